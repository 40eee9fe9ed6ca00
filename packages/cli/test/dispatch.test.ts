// `vi-mmrec eval` dispatch and the all-or-nothing output rule, with modules mocked.
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type * as IoModuleNs from '@vi-mmrec/io';
import { lines, memoryIo, tempDir } from './helpers.js';

afterEach(() => {
  vi.doUnmock('@vi-mmrec/eval');
  vi.doUnmock('@vi-mmrec/io');
  vi.resetModules();
});

describe('vi-mmrec eval', () => {
  it('hands argv and io to @vi-mmrec/eval evalCommand and returns its exit code', async () => {
    const evalCommand = vi.fn(async () => 7);
    vi.doMock('@vi-mmrec/eval', () => ({ evalCommand }));
    const { main } = await import('../src/index.js');
    const io = memoryIo({ isTTY: true });
    expect(await main(['eval', 'run', '--model', 'bpr'], io)).toBe(7);
    expect(evalCommand).toHaveBeenCalledWith(['run', '--model', 'bpr'], { stdout: io.stdout, stderr: io.stderr, isTTY: true });
  });

  it('says eval is unavailable when the package has no evalCommand', async () => {
    vi.doMock('@vi-mmrec/eval', () => ({ evalCommand: undefined }));
    const { main } = await import('../src/index.js');
    const io = memoryIo();
    expect(await main(['eval'], io)).toBe(1);
    expect(lines(io.err())).toEqual([
      'vi-mmrec: eval is unavailable: this version of @vi-mmrec/eval has no evalCommand; update it to match @vi-mmrec/cli.',
    ]);
  });

  it('says eval is unavailable when the package is missing', async () => {
    const { runEval } = await import('../src/eval-command.js');
    const io = memoryIo();
    expect(await runEval(['--help'], io, '@vi-mmrec/no-such-package')).toBe(1);
    expect(lines(io.err())).toEqual([
      "vi-mmrec: eval is unavailable: @vi-mmrec/no-such-package is not installed or not built; install it (npm install @vi-mmrec/no-such-package; before its first release on the npm registry, 'npm run pack -- no-such-package' in a clone of vi-mmrec, see docs/guide/installing.md).",
    ]);
  });
});

describe('vi-mmrec report', () => {
  it('hands argv and io to @vi-mmrec/eval reportCommand and returns its exit code', async () => {
    const reportCommand = vi.fn(async () => 2);
    vi.doMock('@vi-mmrec/eval', () => ({ reportCommand }));
    const { main } = await import('../src/index.js');
    const io = memoryIo();
    expect(await main(['report', 'a.json', '--out', 'r.html'], io)).toBe(2);
    expect(reportCommand).toHaveBeenCalledWith(['a.json', '--out', 'r.html'], { stdout: io.stdout, stderr: io.stderr });
  });

  it('says report is unavailable when the package is missing or too old', async () => {
    const { runReport } = await import('../src/eval-command.js');
    const io = memoryIo();
    expect(await runReport(['a.json'], io, '@vi-mmrec/no-such-package')).toBe(1);
    expect(lines(io.err())).toEqual([
      "vi-mmrec: report is unavailable: @vi-mmrec/no-such-package is not installed or not built; install it (npm install @vi-mmrec/no-such-package; before its first release on the npm registry, 'npm run pack -- no-such-package' in a clone of vi-mmrec, see docs/guide/installing.md).",
    ]);
    vi.doMock('@vi-mmrec/eval', () => ({ reportCommand: undefined }));
    const { main } = await import('../src/index.js');
    const io2 = memoryIo();
    expect(await main(['report', 'a.json'], io2)).toBe(1);
    expect(lines(io2.err())).toEqual([
      'vi-mmrec: report is unavailable: this version of @vi-mmrec/eval has no reportCommand; update it to match @vi-mmrec/cli.',
    ]);
  });
});

describe('all-or-nothing outputs', () => {
  it('removes the written matrix when writing the summary fails', async () => {
    vi.doMock('@vi-mmrec/io', async (importOriginal) => ({
      ...(await importOriginal<typeof IoModuleNs>()),
      writeSummary: vi.fn(async () => {
        throw new Error('disk full');
      }),
    }));
    const { main } = await import('../src/index.js');
    const { synthesizeDataset, writeDataset } = await import('@vi-mmrec/io');
    const tmp = tempDir();
    try {
      const data = join(tmp.dir, 'data');
      await writeDataset(data, synthesizeDataset({ numUsers: 30, numItems: 20, interactions: 100, modalities: [{ name: 'a', dim: 3 }] }));
      const out = tempDir();
      const io = memoryIo();
      const code = await main(
        [
          'augment',
          data,
          '--strategy',
          'overlay',
          '--k',
          '2',
          '--lambda',
          '0.1',
          '--backend',
          'cpu',
          '--out',
          join(out.dir, 'o.tsv'),
          '--summary',
          join(out.dir, 's.json'),
          '-q',
        ],
        io,
      );
      expect(code).toBe(1);
      expect(io.err()).toBe('vi-mmrec: unexpected error: disk full (set VI_MMREC_DEBUG=1 for the stack)\n');
      expect(out.files()).toEqual([]);
      out.cleanup();
    } finally {
      tmp.cleanup();
    }
  });
});
