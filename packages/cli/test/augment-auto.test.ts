// `augment --strategy auto` in-process: argument parsing, the missing-@vi-mmrec/eval path,
// Ctrl-C between proxy runs, and "no augmentation" next to an existing --out file.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeDataset, writeDataset } from '@vi-mmrec/io';
import { augmentCommand, parseAugmentArgs } from '../src/augment-command.js';
import type { CliIo } from '../src/cli-io.js';
import { reportError } from '../src/errors.js';
import { AUGMENT_HELP, MAIN_HELP } from '../src/help.js';
import { main } from '../src/index.js';
import { lines, memoryIo, tempDir } from './helpers.js';

const tmp = tempDir();
let dataset = '';
beforeAll(async () => {
  dataset = join(tmp.dir, 'small');
  await writeDataset(
    dataset,
    synthesizeDataset({
      name: 'small',
      numUsers: 150,
      numItems: 100,
      interactions: 1500,
      modalities: [
        { name: 'image', dim: 8 },
        { name: 'text', dim: 4 },
      ],
      seed: 11,
    }),
  );
});
afterAll(() => tmp.cleanup());

/** `augmentCommand` with main's error reporting, and the eval module replaceable. */
async function runAugmentCommand(argv: string[], io: CliIo, evalModule?: string): Promise<number> {
  try {
    return await augmentCommand(argv, io, evalModule);
  } catch (e) {
    return reportError(e, io);
  }
}

describe('augment --strategy auto: arguments', () => {
  it('makes --k and --lambda optional and leaves the grid to chooseSettings', () => {
    expect(parseAugmentArgs(['d', '--strategy', 'auto', '--out', 'o.tsv'])).toEqual({
      mode: 'auto',
      quiet: false,
      config: { datasetDir: 'd', oAvg: 'modality-mean', backend: 'auto', out: 'o.tsv', seed: 0 },
    });
  });

  it('reads comma lists and the auto options', () => {
    const parsed = parseAugmentArgs([
      'd',
      '--strategy=auto',
      '--k',
      '3,10',
      '--lambda',
      '0.05, 0.1',
      '--negatives',
      'non-interacted,non-real',
      '--auto-epochs',
      '2',
      '--proxy-model',
      'vbpr',
      '--seed',
      '7',
      '--min-gain=-1',
      '--o-avg',
      'density',
      '--backend',
      'cpu',
      '--modalities',
      'text',
      '--summary',
      's.json',
      '-o',
      'o.tsv',
      '-q',
    ]);
    expect(parsed).toEqual({
      mode: 'auto',
      quiet: true,
      config: {
        datasetDir: 'd',
        oAvg: 'density',
        backend: 'cpu',
        out: 'o.tsv',
        summary: 's.json',
        modalities: ['text'],
        ks: [3, 10],
        lambdas: [0.05, 0.1],
        negatives: ['non-interacted', 'non-real'],
        epochs: 2,
        model: 'vbpr',
        seed: 7,
        minGain: -1,
      },
    });
    const one = parseAugmentArgs(['d', '--strategy', 'auto', '--k', '10', '--min-gain', '0.1', '--out', 'o']);
    expect(one !== 'help' && one.mode === 'auto' && [one.config.ks, one.config.lambdas, one.config.minGain]).toEqual([
      [10],
      undefined,
      0.1,
    ]);
  });

  it('leaves fixed settings as they were', () => {
    expect(parseAugmentArgs(['d', '--strategy', 'overlay', '--k', '3', '--lambda', '0.1', '--out', 'o'])).toEqual({
      mode: 'fixed',
      quiet: false,
      config: { datasetDir: 'd', strategy: 'overlay', k: 3, lambda: 0.1, oAvg: 'modality-mean', backend: 'auto', out: 'o' },
    });
  });

  const auto = ['augment', 'd', '--strategy', 'auto', '--out', 'o.tsv'];
  const fixed = ['augment', 'd', '--strategy', 'overlay', '--k', '3', '--lambda', '0.1', '--out', 'o.tsv'];
  const usage: Array<[string[], RegExp]> = [
    [['augment', 'd', '--strategy', 'auto'], /^vi-mmrec: missing required option --out; run 'vi-mmrec augment --help' for usage$/],
    [[...auto, '--k', '3,,10'], /^vi-mmrec: --k must be a comma-separated list of integers ≥ 1, got '3,,10'; run/],
    [[...auto, '--k', '3,'], /--k must be a comma-separated list of integers ≥ 1, got '3,'/],
    [[...auto, '--k', '3,x'], /--k must be a comma-separated list of integers ≥ 1, got '3,x'/],
    [[...auto, '--k', '0,3'], /--k must be a comma-separated list of integers ≥ 1, got '0,3'/],
    [[...auto, '--k', '3;10'], /--k must be a comma-separated list of integers ≥ 1, got '3;10'/],
    [[...auto, '--k', '3,10,3'], /--k lists 3 twice, in '3,10,3'; give each value once/],
    [[...auto, '--lambda', '0.1,abc'], /--lambda must be a comma-separated list of numbers ≥ 0, got '0\.1,abc'/],
    [[...auto, '--lambda=0.1,-0.1'], /--lambda must be a comma-separated list of numbers ≥ 0, got '0\.1,-0\.1'/],
    [[...auto, '--lambda', '0.1,0.10'], /--lambda lists 0\.1 twice/],
    [
      [...auto, '--negatives', 'non-real,none'],
      /--negatives must be a comma-separated list of non-real and non-interacted, got 'non-real,none'/,
    ],
    [[...auto, '--negatives', ''], /--negatives must be a comma-separated list of non-real and non-interacted, got ''/],
    [[...auto, '--negatives', 'non-real,non-real'], /--negatives lists a policy twice, in 'non-real,non-real'; give each once/],
    [[...fixed, '--negatives', 'non-real'], /--negatives only applies with --strategy auto/],
    [[...auto, '--auto-epochs', '0'], /--auto-epochs must be an integer ≥ 1, got '0'/],
    [[...auto, '--auto-epochs', '2,3'], /--auto-epochs must be an integer ≥ 1, got '2,3'/],
    [[...auto, '--seed', '1.5'], /--seed must be an integer ≥ 0, got '1\.5'/],
    [[...auto, '--min-gain=-2'], /--min-gain must be a number ≥ -1, got '-2'/],
    [[...auto, '--min-gain', '-1'], /option --min-gain needs a value \(write --min-gain=<value>/],
    [[...fixed, '--auto-epochs', '2'], /^vi-mmrec: --auto-epochs only applies with --strategy auto; run/],
    [[...fixed, '--proxy-model', 'vbpr'], /^vi-mmrec: --proxy-model only applies with --strategy auto; run/],
    [[...auto, '--proxy-model', 'svd'], /--proxy-model must be bpr, lightgcn, vbpr or freedom, got 'svd'/],
    [[...fixed, '--seed', '1', '--min-gain', '0'], /--seed, --min-gain only apply with --strategy auto/],
    [['augment', 'd', '--strategy', 'overlay', '--k', '3,10', '--lambda', '0.1', '--out', 'o'], /--k must be an integer ≥ 1, got '3,10'/],
    [['augment', 'd', '--strategy', 'Auto', '--out', 'o'], /missing required options --k, --lambda/],
    [
      ['augment', 'd', '--strategy', 'Auto', '--k', '3', '--lambda', '0.1', '--out', 'o'],
      /--strategy must be overlay, synergistic or auto, got 'Auto'/,
    ],
  ];
  it.each(usage)('%j → exit 2 with one line', async (argv, pattern) => {
    const io = memoryIo();
    expect(await main(argv, io)).toBe(2);
    expect(lines(io.err())).toHaveLength(1);
    expect(io.err().trimEnd()).toMatch(pattern);
    expect(io.out()).toBe('');
  });

  it('documents the mode in the help texts', () => {
    expect(MAIN_HELP).toContain('vi-mmrec augment <datasetDir> --strategy auto --out <file.tsv>');
    for (const option of [
      '--strategy auto',
      '--negatives',
      '--auto-epochs',
      '--proxy-model',
      '--seed',
      '--min-gain',
      '"augmented": false',
      '@vi-mmrec/eval',
      'integration-loader',
    ]) {
      expect(AUGMENT_HELP).toContain(option);
    }
  });
});

describe('augment --strategy auto without @vi-mmrec/eval', () => {
  it('fails with one line saying what to install or pass, before reading anything or writing', async () => {
    const out = tempDir();
    try {
      const io = memoryIo();
      // The dataset folder does not exist: the eval check comes first.
      const code = await runAugmentCommand(
        ['no/such/dataset', '--strategy', 'auto', '--out', join(out.dir, 'o.tsv'), '--summary', join(out.dir, 's.json')],
        io,
        '@vi-mmrec/no-such-package',
      );
      expect(code).toBe(1);
      expect(io.err()).toBe(
        "vi-mmrec: --strategy auto needs @vi-mmrec/no-such-package, which is not installed or not built; install it (npm install @vi-mmrec/no-such-package; before its first release on the npm registry, 'npm run pack -- no-such-package' in a clone of vi-mmrec, see docs/guide/installing.md) or pass --strategy, --k and --lambda explicitly.\n",
      );
      expect(io.out()).toBe('');
      expect(out.files()).toEqual([]);
    } finally {
      out.cleanup();
    }
  });

  it('says so when the installed package has no chooseSettings', async () => {
    const io = memoryIo();
    const code = await runAugmentCommand([dataset, '--strategy', 'auto', '--out', join(tmp.dir, 'never.tsv')], io, '@vi-mmrec/io');
    expect(code).toBe(1);
    expect(lines(io.err())).toEqual([
      'vi-mmrec: --strategy auto needs chooseSettings from @vi-mmrec/io, which this version lacks; update it to match @vi-mmrec/cli or pass --strategy, --k and --lambda explicitly.',
    ]);
    expect(existsSync(join(tmp.dir, 'never.tsv'))).toBe(false);
  });

  it('turns a failed proxy run into one line that says how to narrow the grid (exit 1)', async () => {
    const out = tempDir();
    try {
      const io = memoryIo();
      const fake = new URL('./fixtures/failing-eval.ts', import.meta.url).pathname;
      const code = await runAugmentCommand(
        [dataset, '--strategy', 'auto', '--backend', 'cpu', '--out', join(out.dir, 'o.tsv'), '--summary', join(out.dir, 's.json'), '-q'],
        io,
        fake,
      );
      expect(code).toBe(1);
      expect(io.err()).toBe(
        "vi-mmrec: --strategy auto: a proxy run failed: User 3 has all 9 items real or virtual, so no negative can be drawn under policy 'non-interacted'. Use negatives: 'non-real'; narrow the candidates with --negatives (e.g. --negatives non-real), --k or --lambda.\n",
      );
      expect(out.files()).toEqual([]);
    } finally {
      out.cleanup();
    }
  });

  it('still checks the output folder first', async () => {
    const io = memoryIo();
    const code = await runAugmentCommand(
      [dataset, '--strategy', 'auto', '--out', join(tmp.dir, 'missing-dir', 'o.tsv')],
      io,
      '@vi-mmrec/no-such-package',
    );
    expect(code).toBe(1);
    expect(io.err()).toMatch(/^vi-mmrec: cannot write .*o\.tsv: folder .*missing-dir does not exist; create it first\.\n$/);
  });
});

describe('augment --strategy auto in-process', () => {
  const grid = ['--k', '3', '--lambda', '0.1', '--negatives', 'non-real', '--auto-epochs', '1', '--backend', 'cpu'];

  it('stops between proxy runs on abort and writes nothing', async () => {
    const out = tempDir();
    try {
      const controller = new AbortController();
      const io = memoryIo({ signal: controller.signal });
      const write = io.stderr.write;
      const stderr = {
        ...io.stderr,
        write: (s: string) => {
          if (s.includes('auto: proxy run 2/')) controller.abort();
          return write(s);
        },
      };
      const code = await main(
        ['augment', dataset, '--strategy', 'auto', ...grid, '--out', join(out.dir, 'o.tsv'), '--summary', join(out.dir, 's.json')],
        { ...io, stderr },
      );
      expect(code).toBe(130);
      const err = lines(io.err());
      // Run 2 is announced (and aborts), runs to its end, and run 3 never starts.
      expect(err.filter((l) => /auto: proxy run \d\/3 .*…$/.test(l))).toHaveLength(2);
      expect(err.at(-1)).toBe('vi-mmrec: aborted; no output was replaced: existing files are unchanged and no temporary file is left');
      expect(out.files()).toEqual([]);
    } finally {
      out.cleanup();
    }
  });

  it('with no augmentation chosen, leaves an existing --out file alone and warns even when quiet', async () => {
    const out = tempDir();
    try {
      const old = join(out.dir, 'o.tsv');
      writeFileSync(old, 'old\n');
      const io = memoryIo();
      const code = await main(
        [
          'augment',
          dataset,
          '--strategy',
          'auto',
          ...grid,
          '--modalities',
          'text',
          '--min-gain',
          '100',
          '--out',
          old,
          '--summary',
          join(out.dir, 's.json'),
          '-q',
        ],
        io,
      );
      expect(code, io.err()).toBe(0);
      expect(readFileSync(old, 'utf8')).toBe('old\n');
      expect(lines(io.err())).toEqual([
        `vi-mmrec: warning: ${old} exists from an earlier run and was left unchanged; this run chose no augmentation and wrote no matrix`,
      ]);
      expect(io.out()).toContain(
        `output       none: no augmentation was chosen, so ${old} was not written; train on the original interactions`,
      );
      const summary = JSON.parse(readFileSync(join(out.dir, 's.json'), 'utf8')) as Record<string, unknown>;
      expect(summary.augmented).toBe(false);
      expect(summary.output).toEqual({ matrix: null });
      expect((summary.dataset as { modalities: unknown }).modalities).toEqual([{ name: 'text', kind: 'dense', dim: 4 }]);
      expect(out.files()).toEqual(['o.tsv', 's.json']); // no temporary file left
    } finally {
      out.cleanup();
    }
  });
});
