import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isViMmrecError, type AugmentResult } from '@vi-mmrec/core';
import { exportForMmrec } from '@vi-mmrec/integration-mmrec';
import { atomicWriteText } from '../src/atomic.js';

const DOCS = fileURLToPath(new URL('../../../docs/integrations/mmrec.md', import.meta.url));
const python = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
const havePython = python.status === 0;
/** Python-backed tests: skipped, saying why, when python3 with NumPy is missing. */
const pyIt = havePython ? it : it.skip;
const PY_REASON = havePython ? '' : ' [skipped: python3 with numpy not found on PATH]';

/**
 * A tiny dataset: 4 users, items 0…6 in the .inter (item 7 only in R̄'s shape, as if from a
 * feature file). Training rows (x_label 0) are the real pairs; R̄ adds virtual pairs.
 */
const INTER = [
  'userID\titemID\tx_label\ttimestamp',
  '0\t0\t0\t100',
  '0\t1\t0\t101',
  '0\t2\t1\t102',
  '1\t1\t0\t103',
  '1\t3\t2\t104',
  '2\t4\t0\t105',
  '2\t4\t0\t106', // duplicate training pair: one real pair
  '2\t5\t1\t107',
  '3\t6\t0\t108',
  '3\t0\t2\t109',
].join('\n');

/** R̄ as (user, item, weight, real) entries, in any order. */
const ENTRIES: ReadonlyArray<readonly [number, number, number, 0 | 1]> = [
  [0, 0, 1.25, 1],
  [0, 1, 1, 1],
  [0, 3, 0.123456789123, 0],
  [1, 1, 1.5, 1],
  [1, 0, 0.5, 0],
  [1, 2, 1.75, 0],
  [2, 4, 1, 1],
  [2, 6, 1 / 3, 0],
  [3, 6, 1, 1],
  [3, 5, 2e-7, 0],
];

function resultOf(entries: ReadonlyArray<readonly [number, number, number, 0 | 1]>, numUsers = 4, numItems = 8): AugmentResult {
  const sorted = [...entries].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const rowPtr = new Int32Array(numUsers + 1);
  for (const [u] of sorted) rowPtr[u + 1]!++;
  for (let u = 0; u < numUsers; u++) rowPtr[u + 1]! += rowPtr[u]!;
  return {
    matrix: {
      numUsers,
      numItems,
      rowPtr,
      items: Int32Array.from(sorted, (e) => e[1]),
      weights: Float64Array.from(sorted, (e) => e[2]),
      real: Uint8Array.from(sorted, (e) => e[3]),
    },
    summary: {} as AugmentResult['summary'],
  };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vi-mmrec-mmrec-'));
  await writeFile(join(dir, 'tiny.inter'), `${INTER}\n`);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function runPython(script: string, args: string[]): unknown {
  const out = spawnSync('python3', ['-c', script, ...args], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONPATH: MODULE_DIR, PYTHONDONTWRITEBYTECODE: '1' },
  });
  expect(out.stderr).toBe('');
  expect(out.status).toBe(0);
  return JSON.parse(out.stdout);
}

/** The shipped Python module (packages/integration-mmrec/python) on PYTHONPATH. */
const MODULE_DIR = fileURLToPath(new URL('../python', import.meta.url));

describe('exportForMmrec: sidecar', () => {
  it('writes the header, every entry of R̄ sorted, 9 significant digits, real flags', async () => {
    const res = await exportForMmrec(dir, resultOf(ENTRIES));
    expect(res.file).toBe(join(dir, 'tiny.vi-mmrec.tsv'));
    expect(res.rows).toEqual({ real: 5, virtual: 5, copied: 0 });
    const text = await readFile(res.file, 'utf8');
    expect(text).toBe(
      [
        'userID\titemID\tweight\treal',
        '0\t0\t1.25\t1',
        '0\t1\t1\t1',
        '0\t3\t0.123456789\t0',
        '1\t0\t0.5\t0',
        '1\t1\t1.5\t1',
        '1\t2\t1.75\t0',
        '2\t4\t1\t1',
        '2\t6\t0.333333333\t0',
        '3\t5\t2e-7\t0',
        '3\t6\t1\t1',
        '',
      ].join('\n'),
    );
    // The dataset's own file is untouched and no temporary file is left.
    expect(await readFile(join(dir, 'tiny.inter'), 'utf8')).toBe(`${INTER}\n`);
    expect((await readdir(dir)).sort()).toEqual(['tiny.inter', 'tiny.vi-mmrec.tsv']);
  });

  pyIt(
    `is read back by the shipped module vi_mmrec_mmrec, which the docs import (python3 + numpy)${PY_REASON}`,
    async () => {
      const md = await readFile(DOCS, 'utf8');
      expect(md).toContain('from vi_mmrec_mmrec import read_sidecar');
      expect(md).not.toMatch(/def load_vi_mmrec|def read_sidecar/); // imported, never pasted
      const { file } = await exportForMmrec({ dir }, resultOf(ENTRIES));
      const script = `import numpy as np
from vi_mmrec_mmrec import read_sidecar
import json, sys
users, items, weights, real = read_sidecar(sys.argv[1])
dense = np.zeros((4, 8))
np.add.at(dense, (users, items), weights.astype(np.float64))
key = users * 8 + items
print(json.dumps({"dense": dense.tolist(), "real": sorted([[int(u), int(i)] for u, i in zip(users[real], items[real])]),
  "sorted": bool(np.all(np.diff(key) > 0)), "dtypes": [str(users.dtype), str(weights.dtype), str(real.dtype)]}))
`;
      const got = runPython(script, [file]) as { dense: number[][]; real: number[][]; sorted: boolean; dtypes: string[] };
      expect(got.sorted).toBe(true);
      expect(got.dtypes).toEqual(['int64', 'float64', 'bool']);
      expect(got.real).toEqual([
        [0, 0],
        [0, 1],
        [1, 1],
        [2, 4],
        [3, 6],
      ]);
      // Independent expectation: the dense matrix of ENTRIES (float32 precision of the reader).
      for (let u = 0; u < 4; u++) {
        for (let i = 0; i < 8; i++) {
          const e = ENTRIES.find((x) => x[0] === u && x[1] === i);
          const want = e === undefined ? 0 : e[2];
          expect(Math.abs(got.dense[u]![i]! - want)).toBeLessThanOrEqual(Math.abs(want) * 1e-8 + 1e-15); // 9 digits
        }
      }
    },
    60_000,
  ); // python3 + numpy in a subprocess: slow on a loaded machine

  it('goes to dir or path when given, and names the dataset as asked', async () => {
    const out = await mkdtemp(join(tmpdir(), 'vi-mmrec-out-'));
    try {
      const a = await exportForMmrec({ dir, name: 'baby' }, resultOf(ENTRIES), { dir: out });
      expect(a.file).toBe(join(out, 'baby.vi-mmrec.tsv'));
      const b = await exportForMmrec(dir, resultOf(ENTRIES), { path: join(out, 'x.tsv') });
      expect(b.file).toBe(join(out, 'x.tsv'));
      expect(await readFile(a.file, 'utf8')).toBe(await readFile(b.file, 'utf8'));
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('refuses a result whose real pairs are not the training rows, writing nothing', async () => {
    const code = async (entries: ReadonlyArray<readonly [number, number, number, 0 | 1]>) => {
      try {
        await exportForMmrec(dir, resultOf(entries));
        return 'ok';
      } catch (e) {
        return isViMmrecError(e) ? `${e.code} ${e.message}` : String(e);
      }
    };
    // (2, 4) virtual instead of real: the training row at line 7 is not real in R̄.
    const wrong = ENTRIES.map((e) => (e[0] === 2 && e[1] === 4 ? ([2, 4, 0.5, 0] as const) : e));
    expect(await code(wrong)).toMatch(/^INVALID_DATA tiny\.inter:7: training pair \(user 2, item 4\)/);
    // An extra real pair that is no training row.
    expect(await code([...ENTRIES, [3, 1, 1, 1]])).toMatch(/^INVALID_DATA tiny\.inter: the AugmentResult has 6 real pairs/);
    expect(await readdir(dir)).toEqual(['tiny.inter']);
  });
});

describe('exportForMmrec: labelled copy', () => {
  pyIt(
    `keeps MMRec’s split, user_num and item_num identical (numpy emulation of RecDataset)${PY_REASON}`,
    async () => {
      const res = await exportForMmrec(dir, resultOf(ENTRIES, 4, 7), { format: 'labelled' });
      expect(res.file).toBe(join(dir, 'tiny.vi-mmrec-labelled.tsv'));
      expect(res.rows).toEqual({ real: 5, virtual: 5, copied: 10 });
      // Emulates MMRec's RecDataset: usecols userID/itemID/x_label, split on labels 0/1/2,
      // user_num/item_num = max id + 1 over every row.
      const script = `
import json, sys
import numpy as np
def load(path):
    with open(path) as f:
        header = f.readline().rstrip("\\n").split("\\t")
    cols = [header.index(c) for c in ("userID", "itemID", "x_label")]
    data = np.genfromtxt(path, delimiter="\\t", skip_header=1, usecols=cols, dtype=np.int64, ndmin=2)
    splits = [sorted(map(list, map(tuple, data[data[:, 2] == i][:, :2].tolist()))) for i in range(3)]
    out = {"splits": splits, "user_num": int(data[:, 0].max()) + 1, "item_num": int(data[:, 1].max()) + 1, "header": header}
    if "weight" in header:
        w = np.genfromtxt(path, delimiter="\\t", skip_header=1, usecols=[header.index("weight")], dtype=np.float64, ndmin=1)
        out["virtual"] = sorted([[int(u), int(i), float(x)] for (u, i, l), x in zip(data.tolist(), w) if l == 3])
        out["train_weights"] = [float(x) for (u, i, l), x in zip(data.tolist(), w) if l == 0]
    return out
print(json.dumps([load(sys.argv[1]), load(sys.argv[2])]))
`;
      const [original, copy] = runPython(script, [join(dir, 'tiny.inter'), res.file]) as Array<{
        splits: number[][][];
        user_num: number;
        item_num: number;
        header: string[];
        virtual?: number[][];
        train_weights?: number[];
      }>;
      expect(copy!.splits).toEqual(original!.splits);
      expect(copy!.user_num).toBe(original!.user_num);
      expect(copy!.item_num).toBe(original!.item_num);
      expect(copy!.header).toEqual([...original!.header, 'weight']);
      const virtual = ENTRIES.filter((e) => e[3] === 0)
        .map((e) => [e[0], e[1], e[2]])
        .sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
      expect(copy!.virtual!.length).toBe(virtual.length);
      copy!.virtual!.forEach((row, k) => {
        expect(row.slice(0, 2)).toEqual(virtual[k]!.slice(0, 2));
        expect(row[2]).toBeCloseTo(virtual[k]![2]!, 8);
      });
      // Training rows carry R̄ (file order: (0,0) (0,1) (1,1) (2,4) (2,4) (3,6)).
      expect(copy!.train_weights).toEqual([1.25, 1, 1.5, 1, 1, 1]);
    },
    60_000,
  ); // python3 + numpy in a subprocess: slow on a loaded machine

  it('is refused when a virtual item lies beyond the .inter’s largest item id', async () => {
    const beyond = [...ENTRIES, [0, 7, 0.2, 0] as const];
    const err = await exportForMmrec(dir, resultOf(beyond), { format: 'labelled' }).catch((e: unknown) => e);
    expect(isViMmrecError(err, 'INVALID_ARGUMENT')).toBe(true);
    expect(String(err)).toContain('(user 0, item 7)');
    expect(await readdir(dir)).toEqual(['tiny.inter']);
  });

  it('copies lines verbatim and fills other columns of virtual rows with empty fields', async () => {
    const res = await exportForMmrec(dir, resultOf(ENTRIES, 4, 7), { format: 'labelled' });
    const lines = (await readFile(res.file, 'utf8')).split('\n');
    expect(lines[0]).toBe('userID\titemID\tx_label\ttimestamp\tweight');
    expect(lines[1]).toBe('0\t0\t0\t100\t1.25');
    expect(lines[3]).toBe('0\t2\t1\t102\t0');
    expect(lines[11]).toBe('0\t3\t3\t\t0.123456789');
    expect(lines).toHaveLength(1 + 10 + 5 + 1);
  });
});

describe('exportForMmrec: materialised', () => {
  it('requires materialise: true, then appends virtual rows as x_label 0 and warns', async () => {
    const refused = await exportForMmrec(dir, resultOf(ENTRIES), { format: 'materialised' }).catch((e: unknown) => e);
    expect(isViMmrecError(refused, 'INVALID_ARGUMENT')).toBe(true);
    const warnings: string[] = [];
    const res = await exportForMmrec(dir, resultOf(ENTRIES), {
      format: 'materialised',
      materialise: true,
      logger: { info: () => undefined, warn: (m) => warnings.push(m) },
    });
    expect(res.file).toBe(join(dir, 'tiny.vi-mmrec-materialised.tsv'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/masked at evaluation/);
    const rows = (await readFile(res.file, 'utf8'))
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split('\t'));
    const train = rows.filter((r) => r[2] === '0').map((r) => `${r[0]}:${r[1]}`);
    expect(train).toEqual(['0:0', '0:1', '1:1', '2:4', '2:4', '3:6', '0:3', '1:0', '1:2', '2:6', '3:5']);
  });
});

describe('atomic writes', () => {
  it('a failing producer leaves the previous file and no temporary file', async () => {
    const file = join(dir, 'out.tsv');
    await writeFile(file, 'OLD\n');
    const big = 'x'.repeat(1 << 20);
    const err = await atomicWriteText(file, async (append) => {
      await append(big); // flushed to the temporary file
      await append(big);
      throw new Error('boom');
    }).catch((e: unknown) => e);
    expect(String(err)).toContain('boom');
    expect(await readFile(file, 'utf8')).toBe('OLD\n');
    expect((await readdir(dir)).sort()).toEqual(['out.tsv', 'tiny.inter']);
  });

  it('replaces the file only when complete', async () => {
    const file = join(dir, 'out.tsv');
    await writeFile(file, 'OLD\n');
    await atomicWriteText(file, async (append) => {
      await append('a\n');
      expect(await readFile(file, 'utf8')).toBe('OLD\n');
      await append('b\n');
    });
    expect(await readFile(file, 'utf8')).toBe('a\nb\n');
  });

  it('an export into a missing folder rejects and creates nothing', async () => {
    const err = await exportForMmrec(dir, resultOf(ENTRIES), { dir: join(dir, 'missing') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(await readdir(dir)).toEqual(['tiny.inter']);
  });

  it('never overwrites the dataset’s own .inter', async () => {
    const err = await exportForMmrec(dir, resultOf(ENTRIES), { path: join(dir, 'tiny.inter') }).catch((e: unknown) => e);
    expect(isViMmrecError(err, 'INVALID_ARGUMENT')).toBe(true);
    expect(await readFile(join(dir, 'tiny.inter'), 'utf8')).toBe(`${INTER}\n`);
  });

  it('never overwrites another dataset input (a feature file) or a device', async () => {
    await writeFile(join(dir, 'img_feat.npy'), 'features');
    for (const path of [join(dir, 'img_feat.npy'), '/dev/null']) {
      const err = await exportForMmrec(dir, resultOf(ENTRIES), { path }).catch((e: unknown) => e);
      expect(isViMmrecError(err, 'INVALID_ARGUMENT')).toBe(true);
      expect((err as Error).message).toContain(`refusing to write path ${path}`);
    }
    expect(await readFile(join(dir, 'img_feat.npy'), 'utf8')).toBe('features');
    expect(await readdir(dir)).toEqual(['img_feat.npy', 'tiny.inter']);
  });

  it('accepts a .inter that starts with a UTF-8 byte-order mark, as the reader does', async () => {
    await writeFile(join(dir, 'tiny.inter'), `\uFEFF${INTER}\n`);
    const res = await exportForMmrec(dir, resultOf(ENTRIES), { format: 'labelled' });
    const text = await readFile(res.file, 'utf8');
    // The copy starts with the header, without the mark.
    expect(text.startsWith('userID\titemID\tx_label\ttimestamp\tweight\n')).toBe(true);
  });

  it('writes a valid 240-byte output name: the temporary name stays short', async () => {
    const path = join(dir, `${'x'.repeat(236)}.tsv`);
    const res = await exportForMmrec(dir, resultOf(ENTRIES), { path });
    expect(res.file).toBe(path);
    expect((await readdir(dir)).sort()).toEqual(['tiny.inter', `${'x'.repeat(236)}.tsv`].sort());
  });
});
