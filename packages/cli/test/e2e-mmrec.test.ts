// `vi-mmrec augment --format sidecar|labelled` end to end: the CLI's real output, read by the
// Python module shipped in @vi-mmrec/integration-mmrec and trained on by real MMRec.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { augment } from '@vi-mmrec/core';
import { cpuBackend } from '@vi-mmrec/backend-cpu';
import { exportForMmrec } from '@vi-mmrec/integration-mmrec';
import { readDataset, synthesizeDataset, writeDataset } from '@vi-mmrec/io';
import { tempDir } from './helpers.js';
import { REPO_ROOT, ensureBuilt, runCli } from './subprocess.js';

const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const PYTHONPATH = resolve(REPO_ROOT, 'node_modules/@vi-mmrec/integration-mmrec/python');
const MMREC = [resolve(REPO_ROOT, '../shared/vendor/mmrec'), resolve(REPO_ROOT, '../../shared/vendor/mmrec')].find((d) =>
  existsSync(join(d, 'src/utils/quick_start.py')),
);
const probe = (code: string): boolean => spawnSync(PYTHON, ['-c', code], { encoding: 'utf8', timeout: 120_000 }).status === 0;
const haveNumpy = probe('import numpy');
const haveTorch = haveNumpy && probe('import torch, pandas, scipy, yaml, torchvision, PIL, lmdb, matplotlib');
const NUMPY_SKIP = haveNumpy ? '' : ` [skipped: ${PYTHON} with numpy not found]`;
const MMREC_SKIP =
  MMREC === undefined
    ? ' [skipped: MMRec not found at ../shared/vendor/mmrec]'
    : haveTorch
      ? ''
      : ` [skipped: ${PYTHON} lacks MMRec's stack (torch, pandas, scipy, yaml, torchvision, PIL, lmdb, matplotlib)]`;

type Row = [number, number, number, number]; // user, item, weight, real

/** Parses a TSV with a header into rows of numbers (independent of the module under test). */
function readTable(file: string): { header: string[]; rows: number[][] } {
  const [head, ...body] = readFileSync(file, 'utf8').trimEnd().split('\n');
  return { header: head!.split('\t'), rows: body.map((l) => l.split('\t').map(Number)) };
}

function python(args: readonly string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(PYTHON, args, {
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, PYTHONPATH, PYTHONDONTWRITEBYTECODE: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = tempDir('vi-mmrec-mmrec-e2e-');
const data = join(tmp.dir, 'small');
const OPTS = ['--strategy', 'overlay', '--k', '3', '--lambda', '0.1'];
let sidecar: Row[];
let trainPairs: Set<string>;

beforeAll(async () => {
  ensureBuilt();
  await writeDataset(
    data,
    synthesizeDataset({
      name: 'small',
      numUsers: 120,
      numItems: 60,
      interactions: 1200,
      modalities: [
        { name: 'image', dim: 6 },
        { name: 'text', dim: 4 },
      ],
      seed: 5,
    }),
  );
  const inter = readTable(join(data, 'small.inter'));
  const [u, i, l] = ['userID', 'itemID', 'x_label'].map((c) => inter.header.indexOf(c));
  trainPairs = new Set(inter.rows.filter((r) => r[l!] === 0).map((r) => `${r[u!]},${r[i!]}`));
  const r = runCli(['augment', data, ...OPTS, '--format', 'sidecar', '--out', join(tmp.dir, 'small.vi-mmrec.tsv'), '--quiet']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  sidecar = readTable(join(tmp.dir, 'small.vi-mmrec.tsv')).rows as Row[];
}, 300_000);
afterAll(() => tmp.cleanup());

describe('vi-mmrec augment --format', () => {
  it('sidecar: the rows of --format tsv plus real = (user, item) is a training pair of the .inter', () => {
    const r = runCli(['augment', data, ...OPTS, '--out', join(tmp.dir, 'plain.tsv'), '--quiet']);
    expect(r.code).toBe(0);
    const plain = readTable(join(tmp.dir, 'plain.tsv'));
    expect(plain.header).toEqual(['userID', 'itemID', 'weight']);
    expect(readFileSync(join(tmp.dir, 'small.vi-mmrec.tsv'), 'utf8').split('\n')[0]).toBe('userID\titemID\tweight\treal');
    expect(sidecar.map((row) => row.slice(0, 3))).toEqual(plain.rows);
    expect(sidecar.map((row) => row[3])).toEqual(sidecar.map((row) => (trainPairs.has(`${row[0]},${row[1]}`) ? 1 : 0)));
    expect(sidecar.filter((row) => row[3] === 1)).toHaveLength(trainPairs.size);
    expect(sidecar.some((row) => row[3] === 0)).toBe(true);
  });

  it('labelled (and sidecar) are byte-identical to exportForMmrec on the same result: one implementation', async () => {
    const out = join(tmp.dir, 'small.labelled.tsv');
    const summary = join(tmp.dir, 'labelled.json');
    const r = runCli(['augment', data, ...OPTS, '--format', 'labelled', '--out', out, '--summary', summary, '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(existsSync(summary)).toBe(true); // both outputs of the one transaction
    const ds = await readDataset(data);
    const result = await augment(ds, { strategy: 'overlay', k: 3, lambda: 0.1, backend: cpuBackend() });
    const again = tempDir('vi-mmrec-mmrec-again-');
    try {
      await exportForMmrec(data, result, { format: 'labelled', path: join(again.dir, 'l.tsv') });
      await exportForMmrec(data, result, { path: join(again.dir, 's.tsv') });
      expect(readFileSync(out, 'utf8')).toBe(readFileSync(join(again.dir, 'l.tsv'), 'utf8'));
      expect(readFileSync(join(tmp.dir, 'small.vi-mmrec.tsv'), 'utf8')).toBe(readFileSync(join(again.dir, 's.tsv'), 'utf8'));
    } finally {
      again.cleanup();
    }
    const lab = readTable(out);
    expect(lab.header).toEqual(['userID', 'itemID', 'x_label', 'weight']);
    expect(lab.rows.filter((row) => row[2] === 3)).toHaveLength(sidecar.filter((row) => row[3] === 0).length);
    expect(readdirSync(tmp.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a .parquet --out or --out - with sidecar/labelled, and an unknown format, in one line, before any work', () => {
    const a = runCli(['augment', data, ...OPTS, '--format', 'sidecar', '--out', join(tmp.dir, 'x.parquet')]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/^vi-mmrec: --format sidecar writes TSV, but --out .*x\.parquet ends in \.parquet;.*\n$/);
    const b = runCli(['augment', data, ...OPTS, '--format', 'csv', '--out', join(tmp.dir, 'x.tsv')]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--format must be tsv, sidecar or labelled, got 'csv'/);
    const c = runCli(['augment', data, ...OPTS, '--format', 'labelled', '--out', '-']);
    expect(c.code).toBe(2);
    expect(c.stdout).toBe('');
    expect(c.stderr).toMatch(/^vi-mmrec: --format labelled writes a file; --out - streams the tsv format only.*\n$/);
    expect(existsSync(join(tmp.dir, 'x.parquet')) || existsSync(join(tmp.dir, 'x.tsv'))).toBe(false);
  });
});

describe('python -m vi_mmrec_mmrec on the CLI output', () => {
  it.runIf(haveNumpy)(
    `read_sidecar returns exactly the rows of the file${NUMPY_SKIP}`,
    () => {
      const script = [
        'import json, sys',
        'from vi_mmrec_mmrec import read_sidecar',
        's = read_sidecar(sys.argv[1])',
        'print(json.dumps({"rows": [[int(u), int(i), float(w), int(r)] for u, i, w, r in zip(s.users, s.items, s.weights, s.real)],',
        '  "dtypes": [str(s.users.dtype), str(s.items.dtype), str(s.weights.dtype), str(s.real.dtype)]}))',
      ].join('\n');
      const r = python(['-c', script, join(tmp.dir, 'small.vi-mmrec.tsv')]);
      expect(r.stderr).toBe('');
      const got = JSON.parse(r.stdout) as { rows: Row[]; dtypes: string[] };
      expect(got.dtypes).toEqual(['int64', 'int64', 'float64', 'bool']);
      expect(got.rows).toEqual(sidecar); // float64 both sides: the 9-digit decimals parse to the same doubles
    },
    120_000,
  );

  it.runIf(haveNumpy)(
    `checks the sidecar against the .inter and prints the counts${NUMPY_SKIP}`,
    () => {
      const r = python(['-m', 'vi_mmrec_mmrec', join(tmp.dir, 'small.vi-mmrec.tsv'), '--inter', join(data, 'small.inter'), '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const info = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(info.rows).toBe(sidecar.length);
      expect(info.real).toBe(trainPairs.size);
      expect(info.virtual).toBe(sidecar.length - trainPairs.size);
      expect(info.virtual_beyond_inter_ids).toBe(0);
    },
    120_000,
  );

  it.runIf(haveNumpy)(
    `refuses the plain TSV with a one-line hint, exit 1${NUMPY_SKIP}`,
    () => {
      const plain = join(tmp.dir, 'plain2.tsv');
      expect(runCli(['augment', data, ...OPTS, '--out', plain, '--quiet']).code).toBe(0);
      const r = python(['-m', 'vi_mmrec_mmrec', plain]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^vi_mmrec_mmrec: .*plain2\.tsv:1: this is the plain matrix TSV .*--format sidecar'\n$/);
    },
    120_000,
  );
});

interface Point {
  best_valid: Record<string, number>;
  test: Record<string, number>;
  train_rows_last_epoch: number;
  real_train_rows: number;
}

/** One MMRec run (tools/verify/mmrec_run.py: MMRec's own quick_start, 1 epoch); its grid points. */
function mmrec(withSidecar: boolean, config: object = { reg_weight: [0.001] }): Point[] {
  const args = [
    join(REPO_ROOT, 'tools/verify/mmrec_run.py'),
    '--mmrec',
    MMREC!,
    '--data',
    data,
    '--model',
    'BPR',
    '--epochs',
    '1',
    '--config',
    JSON.stringify(config),
  ];
  if (withSidecar) args.push('--sidecar', join(tmp.dir, 'small.vi-mmrec.tsv'));
  const r = python(args);
  expect(r.code, r.stderr.split('\n').slice(-5).join('\n')).toBe(0);
  return (JSON.parse(r.stdout.trim().split('\n').pop()!) as { points: Point[] }).points;
}

describe('real MMRec (quick_start, BPR) with the shipped VirtualTrainDataLoader', () => {
  it.runIf(haveTorch && MMREC !== undefined)(
    `trains 1 epoch on the CLI's sidecar: the loader adds ~Σ min(1, w) virtual rows, the baseline none${MMREC_SKIP}`,
    () => {
      const base = mmrec(false)[0]!;
      const aug = mmrec(true)[0]!;
      for (const res of [base, aug]) {
        for (const m of ['recall@20', 'ndcg@20']) {
          expect(res.test[m]).toBeGreaterThanOrEqual(0);
          expect(res.test[m]).toBeLessThanOrEqual(1);
        }
      }
      const real = sidecar.filter((row) => row[3] === 1).length;
      expect(base.real_train_rows).toBe(aug.real_train_rows);
      expect(base.train_rows_last_epoch).toBe(base.real_train_rows);
      // MMRec keeps duplicate training rows; the sidecar counts distinct pairs.
      expect(base.real_train_rows).toBeGreaterThanOrEqual(real);
      const p = sidecar.filter((row) => row[3] === 0).map((row) => Math.min(1, row[2]));
      const mean = p.reduce((a, b) => a + b, 0);
      const sd = Math.sqrt(p.reduce((a, b) => a + b * (1 - b), 0));
      expect(Math.abs(aug.train_rows_last_epoch - aug.real_train_rows - mean)).toBeLessThan(6 * sd + 1);
    },
    600_000,
  );

  it.runIf(haveTorch && MMREC !== undefined)(
    `re-seeds per grid point: seed 2 after seed 1 in MMRec's loop draws what seed 2 alone draws${MMREC_SKIP}`,
    () => {
      const grid = mmrec(true, { reg_weight: [0.001], seed: [1, 2] });
      const alone = mmrec(true, { reg_weight: [0.001], seed: [2] });
      expect(grid).toHaveLength(2);
      expect(alone).toHaveLength(1);
      expect(grid[1]!.train_rows_last_epoch).toBe(alone[0]!.train_rows_last_epoch);
      expect(grid[1]!.test).toEqual(alone[0]!.test);
    },
    600_000,
  );
});
