import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROXIMATE_CROSSOVER_ITEMS } from '@vi-mmrec/core';
import { synthesizeDataset, writeDataset } from '@vi-mmrec/io';
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
      numUsers: 120,
      numItems: 90,
      interactions: 900,
      modalities: [
        { name: 'image', dim: 8 },
        { name: 'text', dim: 4 },
      ],
      seed: 3,
    }),
  );
});
afterAll(() => tmp.cleanup());

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

describe('main: help, version, usage errors', () => {
  it('prints help and version', async () => {
    for (const arg of ['--help', '-h', 'help']) {
      const io = memoryIo();
      expect(await main([arg], io)).toBe(0);
      expect(io.out()).toMatch(/^vi-mmrec: add VI-MMRec virtual/);
      expect(io.out()).toContain('vi-mmrec augment <datasetDir>');
      expect(io.err()).toBe('');
    }
    const io = memoryIo();
    expect(await main(['--version'], io)).toBe(0);
    expect(io.out()).toBe(`${pkg.version}\n`);
    for (const cmd of ['augment', 'demo', 'backends']) {
      const h = memoryIo();
      expect(await main([cmd, '--help'], h)).toBe(0);
      expect(h.out()).toMatch(new RegExp(`^Usage: vi-mmrec ${cmd}`));
    }
    const h = memoryIo();
    await main(['augment', '--help'], h);
    expect(h.out()).toMatch(/--exact {13}exact neighbour search at any size/);
    expect(h.out()).toContain(`exact search up to\n                      ${APPROXIMATE_CROSSOVER_ITEMS.toLocaleString('en-US')} items`);
  });

  it('prints the usage on stderr with exit 2 when no command is given', async () => {
    const io = memoryIo();
    expect(await main([], io)).toBe(2);
    expect(io.err()).toContain('Usage:');
    expect(io.out()).toBe('');
  });

  const usage: Array<[string[], RegExp]> = [
    [['frobnicate'], /^vi-mmrec: unknown command 'frobnicate'; run 'vi-mmrec --help' for usage$/],
    [['--frob'], /^vi-mmrec: unknown option '--frob'; run 'vi-mmrec --help' for usage$/],
    [
      ['augment', 'd', '--strategy', 'overlay', '--k', '3', '--lambda', '0.1', '--out', 'o.tsv', '--kk', '3'],
      /^vi-mmrec: unknown option '--kk' for 'augment'; run 'vi-mmrec augment --help' for usage$/,
    ],
    [['augment', '--strategy', 'overlay'], /missing <datasetDir>/],
    [['augment', 'a', 'b'], /unexpected argument 'b'/],
    [['augment', 'd', '--k', '3'], /missing required options --strategy, --lambda, --out;/],
    [
      ['augment', 'd', '--strategy', 'fused', '--k', '3', '--lambda', '0.1', '--out', 'o'],
      /--strategy must be overlay, synergistic or auto, got 'fused'/,
    ],
    [['augment', 'd', '--strategy', 'overlay', '--k', '2.5', '--lambda', '0.1', '--out', 'o'], /--k must be an integer ≥ 1, got '2\.5'/],
    [['augment', 'd', '--strategy', 'overlay', '--k', '0', '--lambda', '0.1', '--out', 'o'], /--k must be an integer ≥ 1, got '0'/],
    [['augment', 'd', '--strategy', 'overlay', '--k', '3', '--lambda', 'abc', '--out', 'o'], /--lambda must be a number ≥ 0, got 'abc'/],
    [['augment', 'd', '--strategy', 'overlay', '--k', '3', '--lambda=-0.5', '--out', 'o'], /--lambda must be a number ≥ 0, got '-0\.5'/],
    [
      ['augment', 'd', '--strategy', 'overlay', '--k', '3', '--lambda', '-0.5', '--out', 'o'],
      /option --lambda needs a value \(write --lambda=<value>/,
    ],
    [
      ['augment', 'd', '--strategy', 'overlay', '--k', '3', '--lambda', '1', '--out', 'o', '--o-avg', 'max'],
      /--o-avg must be modality-mean or density, got 'max'/,
    ],
    [['augment', 'd', '--strategy', 'overlay', '--k', '3', '--lambda', '1', '--out'], /option --out needs a value/],
    [
      ['augment', 'd', '--strategy', 'overlay', '--k', '3', '--lambda', '1', '--out', 'x.tsv', '--summary', './x.tsv'],
      /--summary and --out name the same file/,
    ],
    [
      ['augment', 'd', '--strategy', 'overlay', '--k', '3', '--lambda', '1', '--out', 'x', '--quiet=yes'],
      /option --quiet does not take a value/,
    ],
    [['demo', 'extra'], /unexpected argument 'extra'.*'vi-mmrec demo --help'/],
  ];
  it.each(usage)('%j → exit 2 with one line', async (argv, pattern) => {
    const io = memoryIo();
    expect(await main(argv, io)).toBe(2);
    expect(lines(io.err())).toHaveLength(1);
    expect(io.err().trimEnd()).toMatch(pattern);
    expect(io.out()).toBe('');
  });
});

describe('main: augment in-process', () => {
  it('writes the matrix and summary and reports on stdout; progress and backend choice on stderr', async () => {
    const out = join(tmp.dir, 'a.tsv');
    const summary = join(tmp.dir, 'a.json');
    const io = memoryIo();
    const code = await main(
      [
        'augment',
        dataset,
        '--strategy',
        'synergistic',
        '--k',
        '5',
        '--lambda',
        '0.2',
        '--o-avg',
        'density',
        '--backend',
        'cpu',
        '--out',
        out,
        '--summary',
        summary,
      ],
      io,
    );
    expect(io.err()).not.toMatch(/error/i);
    expect(code).toBe(0);
    const s = JSON.parse(readFileSync(summary, 'utf8'));
    expect(s.options).toEqual({ strategy: 'synergistic', k: 5, lambda: 0.2, oAvg: 'density', backend: 'cpu' });
    expect(s.dataset).toMatchObject({ name: 'small', users: 120, items: 90, interactions: 900 });
    expect(s.groups.map((g: { name: string }) => g.name)).toEqual(['synergistic']);
    const rows = lines(readFileSync(out, 'utf8'));
    expect(rows[0]).toBe('userID\titemID\tweight');
    expect(rows.length - 1).toBe(s.counts.total);
    expect(io.out()).toMatch(/^dataset {6}small: 120 users, 90 items, 900 interactions/);
    expect(io.out()).toContain(`output       ${out}`);
    expect(io.err()).toMatch(/reading .*: done in/);
    expect(io.err()).toMatch(/similarity \(cpu\)/);
    // One definition of the phases: disjoint, in order, the same in the summary, the report and core's summary.
    const sec = s.run.seconds as Record<string, number>;
    expect(Object.keys(sec)).toEqual(['read', 'backend', 'similarity', 'virtual', 'write', 'total']);
    expect(sec.similarity).toBe(s.seconds.similarity);
    expect(sec.virtual).toBe(s.seconds.virtual);
    expect(sec.backend! + sec.read! + sec.similarity! + sec.virtual! + sec.write!).toBeLessThanOrEqual(sec.total! + 1e-9);
    expect(io.out()).toMatch(/^time {9}read [\d.]+ s, backend [\d.]+ s, similarity [\d.]+ s, R̄ [\d.]+ s, write [\d.]+ s; total [\d.]+ s$/m);
    // R̄ is built block by block while it is written: one progress line covers both phases.
    expect(io.err()).toMatch(
      /similarity \(cpu\)…\n(.*\n)*vi-mmrec: similarity \(cpu\): done in .*\nvi-mmrec: virtual interactions, writing .*a\.tsv…\n(.*\n)*vi-mmrec: virtual interactions, writing .*: done in /,
    );
  });

  it('--out *.parquet writes the same rows as the TSV, weights as float32', async () => {
    const tsv = join(tmp.dir, 'p.tsv');
    const pq = join(tmp.dir, 'p.parquet');
    const args = ['augment', dataset, '--strategy', 'overlay', '--k', '3', '--lambda', '0.1', '--backend', 'cpu', '-q'];
    expect(await main([...args, '--out', tsv], memoryIo())).toBe(0);
    expect(await main([...args, '--out', pq], memoryIo())).toBe(0);
    const want = lines(readFileSync(tsv, 'utf8'))
      .slice(1)
      .map((l) => l.split('\t').map(Number));
    const got = await parquetReadObjects({ file: await asyncBufferFromFile(pq) });
    expect(got.map((r) => [r.userID, r.itemID])).toEqual(want.map((w) => [w[0], w[1]]));
    got.forEach((r, p) => expect(Math.abs((r.weight as number) - want[p]![2]!)).toBeLessThanOrEqual(1e-7 * Math.abs(want[p]![2]!)));
  });

  it('--quiet prints nothing on stderr; --modalities restricts the groups', async () => {
    const out = join(tmp.dir, 'q.tsv');
    const summary = join(tmp.dir, 'q.json');
    const io = memoryIo();
    expect(
      await main(
        [
          'augment',
          dataset,
          '--strategy',
          'overlay',
          '--k',
          '3',
          '--lambda',
          '0.1',
          '--modalities',
          'text',
          '--out',
          out,
          '--summary',
          summary,
          '-q',
        ],
        io,
      ),
    ).toBe(0);
    expect(io.err()).toBe('');
    const s = JSON.parse(readFileSync(summary, 'utf8'));
    expect(s.groups.map((g: { name: string }) => g.name)).toEqual(['text']);
    expect(Object.keys(s.modalityOverlaps)).toEqual(['text']);
  });

  it('auto backend: says which backend it chose and why', async () => {
    const io = memoryIo();
    expect(
      await main(['augment', dataset, '--strategy', 'overlay', '--k', '3', '--lambda', '0.1', '--out', join(tmp.dir, 'auto.tsv')], io),
    ).toBe(0);
    expect(io.err()).toMatch(/vi-mmrec: using backend '[\w-]+' \(priority \d+\)/);
  });

  it('backends: lists usearch as available and says auto uses exact search up to the crossover, usearch above', async () => {
    const io = memoryIo();
    expect(await main(['backends'], io)).toBe(0);
    expect(io.out()).toMatch(/^usearch +50 +@vi-mmrec\/backend-usearch@\S+ +available$/m);
    const crossover = APPROXIMATE_CROSSOVER_ITEMS.toLocaleString('en-US');
    expect(io.out()).toMatch(
      new RegExp(
        `^--backend auto uses: (?!usearch)[\\w-]+ up to ${crossover} items; usearch \\(approximate\\) above, unless --exact$`,
        'm',
      ),
    );
  });

  it('auto backend: a small catalogue gets exact search, never the approximate usearch backend', async () => {
    const io = memoryIo();
    expect(
      await main(['augment', dataset, '--strategy', 'overlay', '--k', '3', '--lambda', '0.1', '--out', join(tmp.dir, 'auto-size.tsv')], io),
    ).toBe(0);
    expect(io.err()).toMatch(/using backend '(?!usearch)[\w-]+' .*\(exact search: 90 items ≤ crossover [\d,]+/);
  });

  it('--exact forces exact search; with an approximate backend named it fails in one line', async () => {
    const io = memoryIo();
    expect(
      await main(
        ['augment', dataset, '--strategy', 'overlay', '--k', '3', '--lambda', '0.1', '--exact', '--out', join(tmp.dir, 'exact.tsv')],
        io,
      ),
    ).toBe(0);
    expect(io.err()).toMatch(/using backend '(?!usearch)[\w-]+' .*\(exact search was requested\)/);
    const sub = tempDir();
    try {
      const io2 = memoryIo();
      const code = await main(
        [
          'augment',
          dataset,
          '--strategy',
          'overlay',
          '--k',
          '3',
          '--lambda',
          '0.1',
          '--backend',
          'usearch',
          '--exact',
          '--out',
          join(sub.dir, 'o.tsv'),
          '-q',
        ],
        io2,
      );
      expect(code).toBe(1);
      expect(lines(io2.err())).toHaveLength(1);
      expect(io2.err()).toMatch(/^vi-mmrec: backend 'usearch' is not available: .*approximate, and exact search was requested/);
      expect(sub.files()).toEqual([]);
    } finally {
      sub.cleanup();
    }
  });

  it('fails with one line for an unknown backend (exit 2) and for a missing output folder (exit 1), writing nothing', async () => {
    const sub = tempDir();
    try {
      const io = memoryIo();
      expect(
        await main(
          [
            'augment',
            dataset,
            '--strategy',
            'overlay',
            '--k',
            '3',
            '--lambda',
            '0.1',
            '--backend',
            'quantum',
            '--out',
            join(sub.dir, 'o.tsv'),
            '-q',
          ],
          io,
        ),
      ).toBe(2);
      expect(lines(io.err())).toHaveLength(1);
      expect(io.err()).toMatch(/^vi-mmrec: unknown backend 'quantum' \(installed: [^)]*cpu[^)]*\)/);
      const io2 = memoryIo();
      expect(
        await main(
          ['augment', dataset, '--strategy', 'overlay', '--k', '3', '--lambda', '0.1', '--out', join(sub.dir, 'nope', 'o.tsv'), '-q'],
          io2,
        ),
      ).toBe(1);
      expect(io2.err()).toMatch(/^vi-mmrec: cannot write .*o\.tsv: folder .*nope does not exist; create it first\.\n$/);
      expect(sub.files()).toEqual([]);
    } finally {
      sub.cleanup();
    }
  });

  it('an aborted run exits 130 and leaves no output', async () => {
    const sub = tempDir();
    try {
      const controller = new AbortController();
      controller.abort();
      const io = memoryIo({ signal: controller.signal });
      expect(
        await main(
          [
            'augment',
            dataset,
            '--strategy',
            'overlay',
            '--k',
            '3',
            '--lambda',
            '0.1',
            '--backend',
            'cpu',
            '--out',
            join(sub.dir, 'o.tsv'),
            '-q',
          ],
          io,
        ),
      ).toBe(130);
      expect(io.err()).toBe('vi-mmrec: aborted; no output was replaced: existing files are unchanged and no temporary file is left\n');
      expect(sub.files()).toEqual([]);
    } finally {
      sub.cleanup();
    }
  });
});

describe('main: demo in-process', () => {
  it('generates, augments and reports; the files are where it says', async () => {
    const sub = tempDir();
    try {
      const io = memoryIo();
      expect(await main(['demo', '--out-dir', sub.dir, '--backend', 'cpu', '--quiet'], io)).toBe(0);
      expect(io.err()).toBe('');
      expect(sub.files()).toEqual(['demo', 'enriched.tsv', 'summary.json']);
      expect(sub.files('demo')).toEqual(['demo.inter', 'image_feat.npy', 'text_feat.npy']);
      const s = JSON.parse(readFileSync(join(sub.dir, 'summary.json'), 'utf8'));
      expect(s.dataset).toMatchObject({ name: 'demo', users: 2000, items: 1500 });
      expect(s.groups.map((g: { name: string }) => g.name)).toEqual(['image', 'text']);
      const report = io.out();
      expect(report).toContain('demo: 2,000 users, 1,500 items');
      expect(report).toMatch(/image\s+image\s+[\d.]+\s+[\d.]+\s+[\d,]+\s+[\d,]+/);
      expect(report).toContain(
        `entries      ${s.counts.total.toLocaleString('en-US')} = ${s.counts.real.toLocaleString('en-US')} real + ${s.counts.virtualOnly.toLocaleString('en-US')} virtual-only`,
      );
      expect(report).toContain(`output       ${join(sub.dir, 'enriched.tsv')}`);
      expect(report).toContain(`vi-mmrec augment ${join(sub.dir, 'demo')} --strategy overlay`);
      // Virtual interactions carry signal on the synthetic data: overlaps well above density.
      const density = s.counts.real / (2000 * 1500);
      for (const g of s.groups) expect(g.overlap).toBeGreaterThan(5 * density);
    } finally {
      sub.cleanup();
    }
  });
});
