// The Python module shipped in python/vi_mmrec_mmrec: its reader's checks, the virtual-pair
// sampler's seeding and frequencies, and `python -m vi_mmrec_mmrec`. (The CLI's tests run it
// on `vi-mmrec augment --format sidecar` output and inside real MMRec.)
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOutputTransaction } from '@vi-mmrec/io';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { exportForMmrec } from '@vi-mmrec/integration-mmrec';
import type { AugmentResult } from '@vi-mmrec/core';

const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const MODULE_DIR = fileURLToPath(new URL('../python', import.meta.url));
const haveNumpy = spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
const SKIP = haveNumpy ? '' : ` [skipped: ${PYTHON} with numpy not found]`;
const pyIt = it.runIf(haveNumpy);

function python(args: readonly string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(PYTHON, args, {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, PYTHONPATH: MODULE_DIR, PYTHONDONTWRITEBYTECODE: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const HEADER = 'userID\titemID\tweight\treal\n';
/** (user, item, weight, real): real pairs, virtual pairs with weights 1.5 (capped to 1), 0.5, 0.25, 0.1, 2e-7. */
const ROWS: ReadonlyArray<readonly [number, number, number, number]> = [
  [0, 0, 1.25, 1],
  [0, 3, 1.5, 0],
  [1, 1, 1, 1],
  [1, 2, 0.5, 0],
  [2, 0, 0.25, 0],
  [2, 4, 1, 1],
  [3, 1, 0.1, 0],
  [3, 5, 2e-7, 0],
];
const text = (rows: ReadonlyArray<readonly number[]>): string => HEADER + rows.map((r) => `${r.join('\t')}\n`).join('');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vi-mmrec-py-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('read_sidecar / python -m vi_mmrec_mmrec: bad files, one line naming file and line', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['plain matrix TSV', 'userID\titemID\tweight\n0\t0\t1\n', /bad\.tsv:1: this is the plain matrix TSV .*--format sidecar/],
    ['other header', 'userID\titemID\tx_label\tweight\n0\t0\t0\t1\n', /bad\.tsv:1: header is 'userID itemID x_label weight'/],
    [
      'unsorted rows',
      text([
        [0, 3, 1, 1],
        [0, 1, 1, 1],
      ]),
      /bad\.tsv:3: rows must be sorted by userID then itemID, each pair once/,
    ],
    [
      'a repeated pair',
      text([
        [0, 1, 1, 1],
        [0, 1, 0.5, 0],
      ]),
      /bad\.tsv:3: rows must be sorted/,
    ],
    [
      'a zero weight',
      text([
        [0, 1, 1, 1],
        [1, 1, 0, 0],
      ]),
      /bad\.tsv:3: weight 0.0 is not a positive finite number/,
    ],
    ['a real flag of 2', text([[0, 1, 1, 2]]), /bad\.tsv:2: real is 2, expected 0 or 1/],
    ['a negative id', text([[-1, 1, 1, 1]]), /bad\.tsv:2: userID and itemID must be non-negative integers/],
    ['a fractional id', text([[0, 1.5, 1, 1]]), /bad\.tsv:2: userID and itemID must be non-negative integers/],
  ];
  for (const [what, content, message] of cases) {
    pyIt(
      `refuses ${what}${SKIP}`,
      async () => {
        await writeFile(join(dir, 'bad.tsv'), content);
        const r = python(['-m', 'vi_mmrec_mmrec', join(dir, 'bad.tsv')]);
        expect(r.code).toBe(1);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(message);
        expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      },
      60_000,
    );
  }

  pyIt(
    `accepts an empty R̄ and prints the counts${SKIP}`,
    async () => {
      await writeFile(join(dir, 'empty.tsv'), HEADER);
      const r = python(['-m', 'vi_mmrec_mmrec', join(dir, 'empty.tsv'), '--json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ rows: 0, real: 0, virtual: 0 });
    },
    60_000,
  );

  pyIt(
    `--inter: accepts the sidecar of its training rows, refuses another split${SKIP}`,
    async () => {
      await writeFile(join(dir, 's.tsv'), text(ROWS));
      const inter = 'userID\titemID\tx_label\n0\t0\t0\n1\t1\t0\n2\t4\t0\n2\t4\t0\n3\t5\t1\n3\t1\t2\n';
      await writeFile(join(dir, 'd.inter'), inter);
      const ok = python(['-m', 'vi_mmrec_mmrec', join(dir, 's.tsv'), '--inter', join(dir, 'd.inter'), '--json']);
      expect(ok.stderr).toBe('');
      expect(JSON.parse(ok.stdout)).toMatchObject({ rows: 8, real: 3, virtual: 5, users: 4, items: 6, virtual_beyond_inter_ids: 0 });
      await writeFile(join(dir, 'e.inter'), inter.replace('1\t1\t0', '1\t1\t1'));
      const bad = python(['-m', 'vi_mmrec_mmrec', join(dir, 's.tsv'), '--inter', join(dir, 'e.inter')]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/s\.tsv: its real pairs are not the distinct training rows \(x_label 0\) of .*e\.inter/);
    },
    60_000,
  );
});

describe('VirtualPairs: each virtual pair with probability min(1, weight), seeded per (seed, epoch)', () => {
  pyIt(
    `draws depend on (seed, epoch) only, never on earlier draws or the instance${SKIP}`,
    async () => {
      await writeFile(join(dir, 's.tsv'), text(ROWS));
      const script = `
import json, sys
from vi_mmrec_mmrec import VirtualPairs
a, b = VirtualPairs(sys.argv[1]), VirtualPairs(sys.argv[1])
for e in range(7): a.draw(1, e); a.draw(3, e)         # a has drawn a lot before
key = lambda p: [list(map(int, p[0])), list(map(int, p[1]))]
same = all(key(a.draw(2, e)) == key(b.draw(2, e)) for e in range(20))
epochs = [key(b.draw(2, e)) for e in range(20)]
print(json.dumps({"same": same, "distinct_epochs": len({json.dumps(x) for x in epochs}), "n": len(b)}))
`;
      const r = python(['-c', script, join(dir, 's.tsv')]);
      expect(r.stderr).toBe('');
      const got = JSON.parse(r.stdout) as { same: boolean; distinct_epochs: number; n: number };
      expect(got.n).toBe(5);
      expect(got.same).toBe(true);
      expect(got.distinct_epochs).toBeGreaterThan(1);
    },
    60_000,
  );

  pyIt(
    `takes only virtual pairs, at their rates (4000 epochs, 5σ)${SKIP}`,
    async () => {
      await writeFile(join(dir, 's.tsv'), text(ROWS));
      const script = `
import json, sys
from collections import Counter
from vi_mmrec_mmrec import VirtualPairs
p = VirtualPairs(sys.argv[1])
c = Counter()
for e in range(4000):
    u, i = p.draw(7, e)
    c.update(zip(map(int, u), map(int, i)))
print(json.dumps({f"{u},{i}": n for (u, i), n in c.items()}))
`;
      const r = python(['-c', script, join(dir, 's.tsv')]);
      expect(r.stderr).toBe('');
      const counts = JSON.parse(r.stdout) as Record<string, number>;
      const virtual = ROWS.filter((x) => x[3] === 0);
      expect(Object.keys(counts).every((k) => virtual.some((v) => `${v[0]},${v[1]}` === k))).toBe(true);
      for (const [u, i, w] of virtual) {
        const p = Math.min(1, w);
        const n = counts[`${u},${i}`] ?? 0;
        expect(Math.abs(n - 4000 * p)).toBeLessThanOrEqual(5 * Math.sqrt(4000 * p * (1 - p)) + 1e-9);
      }
      expect(counts['0,3']).toBe(4000); // weight 1.5: every epoch
    },
    60_000,
  );
});

describe('exportForMmrec with an output transaction (what vi-mmrec augment --format uses)', () => {
  const result: AugmentResult = {
    matrix: {
      numUsers: 2,
      numItems: 3,
      rowPtr: Int32Array.from([0, 2, 3]),
      items: Int32Array.from([0, 2, 1]),
      weights: Float64Array.from([1, 0.5, 1]),
      real: Uint8Array.from([1, 0, 1]),
    },
    summary: {} as AugmentResult['summary'],
  };
  it('stages the sidecar: nothing replaced before commit, nothing left after rollback', async () => {
    await writeFile(join(dir, 'd.inter'), 'userID\titemID\tx_label\n0\t0\t0\n1\t1\t0\n1\t2\t2\n');
    const out = join(dir, 'out.tsv');
    await writeFile(out, 'previous\n');
    const seen: number[] = [];
    const tx = createOutputTransaction();
    await exportForMmrec(dir, result, { path: out, transaction: tx, onProgress: (done, total) => seen.push(done, total) });
    expect(readFileSync(out, 'utf8')).toBe('previous\n');
    expect(seen.slice(-2)).toEqual([3, 3]);
    tx.commit();
    expect(readFileSync(out, 'utf8')).toBe('userID\titemID\tweight\treal\n0\t0\t1\t1\n0\t2\t0.5\t0\n1\t1\t1\t1\n');
    const tx2 = createOutputTransaction();
    await exportForMmrec(dir, result, { path: join(dir, 'other.tsv'), transaction: tx2 });
    tx2.rollback();
    expect(existsSync(join(dir, 'other.tsv'))).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['d.inter', 'out.tsv']);
  });
});
