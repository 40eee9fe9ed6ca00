// `--out -` streams the matrix to stdout; the backend is looked for only when a dense search runs.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeDataset, writeDataset } from '@vi-mmrec/io';
import { main } from '../src/index.js';
import { lines, memoryIo, tempDir } from './helpers.js';
import { BIN, ensureBuilt } from './subprocess.js';

const tmp = tempDir();
let dataset = '';
let listsOnly = '';
beforeAll(async () => {
  dataset = join(tmp.dir, 'small');
  await writeDataset(
    dataset,
    synthesizeDataset({ name: 'small', numUsers: 60, numItems: 40, interactions: 400, modalities: [{ name: 'image', dim: 6 }], seed: 5 }),
  );
  listsOnly = join(tmp.dir, 'lists');
  mkdirSync(listsOnly);
  writeFileSync(join(listsOnly, 'lists.inter'), 'userID\titemID\tx_label\n0\t0\t0\n0\t1\t0\n1\t1\t0\n1\t2\t1\n2\t0\t0\n2\t3\t2\n');
  writeFileSync(
    join(listsOnly, 'image_knn.tsv'),
    'itemID\tneighborID\trank\tcosine\n0\t1\t0\t0.9\n1\t0\t0\t0.9\n2\t3\t0\t0.5\n3\t2\t0\t0.5\n',
  );
});
afterAll(() => tmp.cleanup());

const args = (data: string, ...rest: string[]): string[] => [
  'augment',
  data,
  '--strategy',
  'overlay',
  '--k',
  '2',
  '--lambda',
  '0.1',
  ...rest,
];

describe('augment --out -', () => {
  it('writes the TSV to stdout (the same bytes as --out file), the report to stderr, and no file named -', async () => {
    const file = join(tmp.dir, 'o.tsv');
    expect(await main(args(dataset, '--backend', 'cpu', '--out', file, '-q'), memoryIo())).toBe(0);
    const summary = join(tmp.dir, 's.json');
    const io = memoryIo();
    expect(await main(args(dataset, '--backend', 'cpu', '--out', '-', '--summary', summary), io)).toBe(0);
    expect(io.out()).toBe(readFileSync(file, 'utf8'));
    expect(lines(io.out())[0]).toBe('userID\titemID\tweight');
    expect(io.err()).toMatch(/^dataset {6}small: 60 users, 40 items/m);
    expect(io.err()).toContain('output       standard output (TSV)');
    expect(JSON.parse(readFileSync(summary, 'utf8')).output).toEqual({ matrix: 'stdout' });
    expect(existsSync(join(process.cwd(), '-'))).toBe(false);
    expect(existsSync(join(tmp.dir, '-'))).toBe(false);
  });

  it(
    'a reader that closes the pipe early (| head) ends the run quietly with 141, no stack trace, no temporary file',
    { timeout: 300_000 },
    async () => {
      ensureBuilt();
      const big = join(tmp.dir, 'big');
      await writeDataset(
        big,
        synthesizeDataset({
          name: 'big',
          numUsers: 3000,
          numItems: 400,
          interactions: 40_000,
          modalities: [{ name: 'image', dim: 4 }],
          seed: 2,
        }),
      );
      const child = spawn(
        process.execPath,
        [BIN, ...args(big, '--k', '20', '--backend', 'cpu', '--out', '-', '--summary', join(tmp.dir, 'big.json'), '-q')],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.stdout.once('data', () => child.stdout.destroy());
      const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
      expect(err).toBe('');
      expect(code).toBe(141);
      expect(existsSync(join(tmp.dir, 'big.json'))).toBe(false);
      expect(
        lines(
          readdirSync(tmp.dir)
            .filter((f) => f.endsWith('.tmp'))
            .join('\n'),
        ),
      ).toEqual([]);
    },
  );

  it('--summary - is a usage error (only --out takes -)', async () => {
    const io = memoryIo();
    expect(await main(args(dataset, '--out', '-', '--summary', '-'), io)).toBe(2);
    expect(lines(io.err())).toEqual([
      "vi-mmrec: --summary needs a file name (only --out takes -, for standard output); run 'vi-mmrec augment --help' for usage",
    ]);
    expect(io.out()).toBe('');
  });
});

describe('backend probe only when a dense search runs', () => {
  it('neighbour lists only: no backend is looked for or announced; the report says none', async () => {
    const io = memoryIo();
    expect(await main(args(listsOnly, '--out', join(tmp.dir, 'l.tsv')), io)).toBe(0);
    expect(io.err()).not.toMatch(/backend/);
    expect(io.out()).toContain('backend      none (neighbour lists only)');
  });

  it('a dense modality: the backend is chosen and announced', async () => {
    const io = memoryIo();
    expect(await main(args(dataset, '--out', join(tmp.dir, 'd.tsv')), io)).toBe(0);
    expect(io.err()).toMatch(/using backend '[\w-]+'/);
  });

  it.each([['auto'], ['cpu'], ['onnxruntime-node']])(
    'a missing dataset folder fails first, in one line (--backend %s)',
    async (backend) => {
      const io = memoryIo();
      expect(await main(args(join(tmp.dir, 'nowhere'), '--backend', backend, '--out', join(tmp.dir, 'x.tsv')), io)).toBe(1);
      expect(lines(io.err())).toEqual([
        `vi-mmrec: ${join(tmp.dir, 'nowhere')}: no such folder; check the path (the dataset folder holds one .inter file and the modality files).`,
      ]);
    },
  );

  it('a file given as the dataset folder fails in one line', async () => {
    const io = memoryIo();
    const file = join(listsOnly, 'lists.inter');
    expect(await main(args(file, '--out', join(tmp.dir, 'x.tsv')), io)).toBe(1);
    expect(lines(io.err())).toEqual([
      `vi-mmrec: ${file} is not a folder; give the dataset folder (one .inter file and the modality files).`,
    ]);
  });
});
