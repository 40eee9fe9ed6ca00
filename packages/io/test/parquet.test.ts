// Parquet input and output. The reference side is hyparquet/hyparquet-writer used directly
// (not through the code under test), parquet-wasm (the Rust parquet crate: a different
// implementation, installed from npm) and, when present, pyarrow.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tableFromArrays, tableFromIPC, tableToIPC } from 'apache-arrow';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer, type ColumnSource } from 'hyparquet-writer';
import * as pw from 'parquet-wasm';
import { isViMmrecError, type EnrichedMatrix } from '@vi-mmrec/core';
import {
  createOutputTransaction,
  readDataset,
  readInteractions,
  readNeighbourList,
  writeEnrichedMatrix,
  writeTextAtomic,
} from '../src/index.js';
import { rejection, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let counter = 0;

function parquetFile(columns: ColumnSource[], name = `t${counter++}.parquet`, rowGroupSize?: number, dir = tmp.dir): string {
  const path = join(dir, name);
  writeFileSync(path, new Uint8Array(parquetWriteBuffer({ columnData: columns, ...(rowGroupSize === undefined ? {} : { rowGroupSize }) })));
  return path;
}

/** A CSR matrix from (user, item, weight) triples sorted by user then item. */
function matrixOf(numUsers: number, entries: ReadonlyArray<readonly [number, number, number]>): EnrichedMatrix {
  const rowPtr = new Int32Array(numUsers + 1);
  for (const [u] of entries) rowPtr[u + 1]!++;
  for (let u = 0; u < numUsers; u++) rowPtr[u + 1]! += rowPtr[u]!;
  return {
    numUsers,
    numItems: 1 + entries.reduce((m, e) => Math.max(m, e[1]), 0),
    rowPtr,
    items: Int32Array.from(entries.map((e) => e[1])),
    weights: Float64Array.from(entries.map((e) => e[2])),
  } as unknown as EnrichedMatrix;
}

async function readBack(path: string): Promise<Array<Record<string, unknown>>> {
  return parquetReadObjects({ file: await asyncBufferFromFile(path) });
}

describe('writeEnrichedMatrix to .parquet', () => {
  it('takes part in an output transaction: nothing replaced before commit, nothing left after rollback', async () => {
    const dir = join(tmp.dir, `tx${counter++}`);
    mkdirSync(dir);
    const pq = join(dir, 'r.parquet');
    const summary = join(dir, 's.json');
    writeFileSync(pq, 'old matrix');
    writeFileSync(summary, 'old summary');
    const m = matrixOf(2, [
      [0, 1, 0.5],
      [1, 0, 2],
    ]);

    const aborted = createOutputTransaction();
    await writeEnrichedMatrix(pq, m, { transaction: aborted });
    expect(readFileSync(pq, 'utf8')).toBe('old matrix');
    aborted.rollback();
    expect(readFileSync(pq, 'utf8')).toBe('old matrix');
    expect(readdirSync(dir).sort()).toEqual(['r.parquet', 's.json']);

    const tx = createOutputTransaction();
    await writeEnrichedMatrix(pq, m, { transaction: tx });
    await writeTextAtomic(summary, 'new summary', { transaction: tx });
    expect(readFileSync(pq, 'utf8')).toBe('old matrix');
    expect(tx.commit()).toEqual([pq, summary]);
    expect(await readBack(pq)).toEqual([
      { userID: 0, itemID: 1, weight: 0.5 },
      { userID: 1, itemID: 0, weight: 2 },
    ]);
    expect(readFileSync(summary, 'utf8')).toBe('new summary');
    expect(readdirSync(dir).sort()).toEqual(['r.parquet', 's.json']);
  });

  it('writes userID, itemID (INT32) and weight (float32) rows in order, read back by hyparquet (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.tuple(fc.nat(30), fc.nat(1000)), { selector: (e) => `${e[0]},${e[1]}`, maxLength: 60 }),
        fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 60, maxLength: 60 }),
        async (pairs, ws) => {
          const sorted = [...pairs].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
          const entries = sorted.map(([u, i], p) => [u, i, ws[p]!] as const);
          const path = join(tmp.dir, `m${counter++}.parquet`);
          await writeEnrichedMatrix(path, matrixOf(31, entries));
          // -0 and 0 are one value for the writer's dictionary (and print alike in the TSV).
          const rows = (await readBack(path)).map((r) => ({ ...r, weight: (r.weight as number) + 0 }));
          expect(rows).toEqual(entries.map(([u, i, w]) => ({ userID: u, itemID: i, weight: Math.fround(w) + 0 })));
        },
      ),
      { numRuns: 30 },
    );
  }, 60_000);

  it('picks the format by extension, any case, and writes atomically (no temp file left)', async () => {
    const dir = join(tmp.dir, `atomic${counter++}`);
    mkdirSync(dir);
    const m = matrixOf(2, [
      [0, 1, 0.5],
      [1, 0, 1],
    ]);
    await writeEnrichedMatrix(join(dir, 'r.PARQUET'), m);
    await writeEnrichedMatrix(join(dir, 'r.tsv'), m);
    expect(await readBack(join(dir, 'r.PARQUET'))).toEqual([
      { userID: 0, itemID: 1, weight: 0.5 },
      { userID: 1, itemID: 0, weight: 1 },
    ]);
    const bad = matrixOf(2, [[0, 1, Number.NaN]]);
    const e = await rejection(async () => writeEnrichedMatrix(join(dir, 'bad.parquet'), bad));
    expect(e.message).toMatch(/weight of \(user 0, item 1\) is NaN/);
    expect(readdirSync(dir).sort()).toEqual(['r.PARQUET', 'r.tsv']);
  });

  it('splits large outputs into row groups of 2^20 entries and reports progress', async () => {
    const n = (1 << 20) + 5;
    const entries = Array.from({ length: n }, (_, p) => [p % 1000, Math.floor(p / 1000), (p % 7) / 8] as const).sort(
      (a, b) => a[0] - b[0] || a[1] - b[1],
    );
    const path = join(tmp.dir, `big${counter++}.parquet`);
    const progress: number[] = [];
    await writeEnrichedMatrix(path, matrixOf(1000, entries), { onProgress: (done) => progress.push(done) });
    expect(progress.at(-1)).toBe(n);
    expect(progress).toContain(1 << 20);
    const users = await readInteractionsLike(path);
    expect(users.length).toBe(n);
    expect(users[n - 1]).toBe(999);
  }, 60_000);
});

async function readInteractionsLike(path: string): Promise<number[]> {
  const rows = await parquetReadObjects({ file: await asyncBufferFromFile(path), columns: ['userID'] });
  return rows.map((r) => r.userID as number);
}

describe('reading Parquet interactions and neighbour lists', () => {
  const inter = (u: number[], i: number[], l: number[], extra: ColumnSource[] = []): ColumnSource[] => [
    ...extra,
    { name: 'x_label', data: Int32Array.from(l), type: 'INT32', nullable: false },
    { name: 'itemID', data: Int32Array.from(i), type: 'INT32', nullable: false },
    { name: 'userID', data: Int32Array.from(u), type: 'INT32', nullable: false },
  ];

  it('reads INT32 and INT64 columns in any order over several row groups (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(1e6), fc.nat(1e6), fc.integer({ min: 0, max: 2 })), { maxLength: 60 }),
        fc.integer({ min: 1, max: 20 }),
        fc.boolean(),
        async (rows, groupRows, int64) => {
          const u = rows.map((r) => r[0]);
          const i = rows.map((r) => r[1]);
          const l = rows.map((r) => r[2]);
          const cols: ColumnSource[] = int64
            ? [
                { name: 'userID', data: BigInt64Array.from(u.map(BigInt)), type: 'INT64', nullable: false },
                { name: 'itemID', data: BigInt64Array.from(i.map(BigInt)), type: 'INT64', nullable: false },
                { name: 'x_label', data: BigInt64Array.from(l.map(BigInt)), type: 'INT64', nullable: false },
              ]
            : inter(u, i, l, [{ name: 'timestamp', data: Float64Array.from(u, (x) => x / 3), type: 'DOUBLE' }]);
          const r = await readInteractions(parquetFile(cols, `i${counter++}.parquet`, groupRows));
          expect([...r.users]).toEqual(u);
          expect([...r.items]).toEqual(i);
          expect([...r.labels]).toEqual(l);
          expect(r.numUsers).toBe(rows.length === 0 ? 0 : Math.max(...u) + 1);
        },
      ),
      { numRuns: 40 },
    );
  }, 60_000);

  const cases: Array<[string, () => ColumnSource[], RegExp]> = [
    ['a missing column', () => inter([0], [0], [0]).slice(1), /the Parquet schema lacks column 'x_label' \(found 'itemID', 'userID'\)/],
    [
      'a string id column',
      () => [...inter([0], [0], [0]).slice(0, 2), { name: 'userID', data: ['a'], type: 'STRING' }],
      /column 'userID' has Parquet type BYTE_ARRAY; it must be an integer column/,
    ],
    [
      'a float id column',
      () => [...inter([0], [0], [0]).slice(0, 2), { name: 'userID', data: [1.5], type: 'DOUBLE' }],
      /column 'userID' has Parquet type DOUBLE/,
    ],
    [
      'a null id',
      () => [...inter([0, 1], [0, 1], [0, 0]).slice(0, 2), { name: 'userID', data: [0, null], type: 'INT32', nullable: true }],
      /:2: userID is null/,
    ],
    ['a negative id', () => inter([0, 1, -4], [0, 1, 1], [0, 0, 0]), /:3: userID -4 is negative/],
    [
      'an id too large',
      () => [...inter([0], [0], [0]).slice(0, 2), { name: 'userID', data: BigInt64Array.from([2n ** 40n]), type: 'INT64' }],
      /:1: userID 1099511627776 is too large/,
    ],
    ['x_label 3', () => inter([0, 1], [0, 1], [0, 3]), /:2: x_label 3 is not 0, 1 or 2/],
  ];
  it.each(cases)('rejects %s, naming file and row', async (_label, make, pattern) => {
    const name = `bad${counter++}.parquet`;
    const e = await rejection(async () => readInteractions(parquetFile(make(), name)));
    expect(isViMmrecError(e, 'INVALID_DATA')).toBe(true);
    expect(e.message.startsWith(name)).toBe(true);
    expect(e.message).not.toContain('\n');
    expect(e.message).toMatch(pattern);
  });

  it('rejects a file that is not Parquet and a missing file', async () => {
    const path = join(tmp.dir, 'fake.parquet');
    writeFileSync(path, 'userID\titemID\tx_label\n0\t0\t0\n');
    const e = await rejection(async () => readInteractions(path));
    expect(e.message).toMatch(/^fake\.parquet: not a readable Parquet file/);
    const missing = await rejection(async () => readInteractions(join(tmp.dir, 'nope.parquet')));
    expect(missing.message).toMatch(/nope\.parquet.*no such file/);
  });

  it('reads neighbour lists and rejects a pair listed twice, naming both rows', async () => {
    const knn = (i: number[], j: number[], c: number[]): ColumnSource[] => [
      { name: 'itemID', data: Int32Array.from(i), type: 'INT32', nullable: false },
      { name: 'neighborID', data: Int32Array.from(j), type: 'INT32', nullable: false },
      { name: 'rank', data: Int32Array.from(i, () => 0), type: 'INT32', nullable: false },
      { name: 'cosine', data: Float32Array.from(c), type: 'FLOAT', nullable: false },
    ];
    const m = await readNeighbourList(parquetFile(knn([0, 1, 2], [1, 0, 0], [0.5, 0.25, 1]), 'a_knn.parquet'), 'a');
    expect([...m.items]).toEqual([0, 1, 2]);
    expect([...m.neighbours]).toEqual([1, 0, 0]);
    expect([...m.cosines]).toEqual([0.5, 0.25, 1]);
    const e = await rejection(async () => readNeighbourList(parquetFile(knn([0, 1, 0], [1, 0, 1], [0.5, 0.25, 1]), 'd_knn.parquet'), 'd'));
    expect(e.message).toMatch(/^d_knn\.parquet:3: the pair itemID 0, neighborID 1 is listed twice \(also on line 1\)/);
  });

  it('reads a dataset folder with .inter.parquet and _knn*.parquet like its TSV twin', async () => {
    const tsvDir = join(tmp.dir, `tsv${counter++}`);
    const pqDir = join(tmp.dir, `pq${counter++}`);
    mkdirSync(tsvDir);
    mkdirSync(pqDir);
    const u = [0, 0, 1, 2, 1];
    const i = [0, 2, 1, 2, 0];
    const l = [0, 1, 0, 2, 0];
    writeFileSync(join(tsvDir, 'toy.inter'), `userID\titemID\tx_label\n${u.map((_, p) => `${u[p]}\t${i[p]}\t${l[p]}`).join('\n')}\n`);
    writeFileSync(join(tsvDir, 'image_knn10.tsv'), 'itemID\tneighborID\trank\tcosine\n0\t1\t0\t0.5\n1\t0\t0\t0.5\n2\t0\t0\t0.25\n');
    parquetFile(inter(u, i, l), 'toy.inter.parquet', undefined, pqDir);
    parquetFile(
      [
        { name: 'itemID', data: [0n, 1n, 2n], type: 'INT64', nullable: false },
        { name: 'neighborID', data: [1n, 0n, 0n], type: 'INT64', nullable: false },
        { name: 'rank', data: [0n, 0n, 0n], type: 'INT64', nullable: false },
        { name: 'cosine', data: [0.5, 0.5, 0.25], type: 'DOUBLE', nullable: false },
      ],
      'image_knn10.parquet',
      undefined,
      pqDir,
    );
    const a = await readDataset(tsvDir);
    const b = await readDataset(pqDir);
    expect({ ...b, name: a.name }).toEqual(a);
  });
});

describe('interop with parquet-wasm (the Rust parquet crate, a different implementation)', () => {
  it('reads interactions and neighbour lists it writes with every codec, several row groups, INT64 ids', async () => {
    for (const codec of [
      pw.Compression.UNCOMPRESSED,
      pw.Compression.SNAPPY,
      pw.Compression.GZIP,
      pw.Compression.ZSTD,
      pw.Compression.BROTLI,
      pw.Compression.LZ4_RAW,
    ]) {
      const n = 50;
      const u = Array.from({ length: n }, (_, p) => (p * 7) % 13);
      const i = Array.from({ length: n }, (_, p) => (p * 5) % 17);
      const l = Array.from({ length: n }, (_, p) => p % 3);
      const table = tableFromArrays({
        userID: BigInt64Array.from(u.map(BigInt)),
        rating: Float64Array.from(u, (x) => x / 2),
        itemID: Int32Array.from(i),
        x_label: Int32Array.from(l),
      });
      const props = new pw.WriterPropertiesBuilder().setCompression(codec).setMaxRowGroupSize(7).build();
      const path = join(tmp.dir, `rust${counter++}.parquet`);
      writeFileSync(path, pw.writeParquet(pw.Table.fromIPCStream(tableToIPC(table, 'stream')), props));
      const r = await readInteractions(path);
      expect([...r.users]).toEqual(u);
      expect([...r.items]).toEqual(i);
      expect([...r.labels]).toEqual(l);
    }
    const knn = tableFromArrays({
      itemID: Int32Array.from([0, 0, 1]),
      neighborID: Int32Array.from([1, 2, 0]),
      rank: Int32Array.from([0, 1, 0]),
      cosine: Float32Array.from([0.5, 0.25, 0.5]),
    });
    const path = join(tmp.dir, `rust${counter++}_knn.parquet`);
    writeFileSync(path, pw.writeParquet(pw.Table.fromIPCStream(tableToIPC(knn, 'stream'))));
    const m = await readNeighbourList(path, 'rust');
    expect([...m.neighbours]).toEqual([1, 2, 0]);
    expect([...m.cosines]).toEqual([0.5, 0.25, 0.5]);
  }, 60_000);

  it('reads the R̄ we write, with the declared column types', async () => {
    const path = join(tmp.dir, `ours${counter++}.parquet`);
    await writeEnrichedMatrix(
      path,
      matrixOf(3, [
        [0, 3, 0.25],
        [0, 7, 1.5],
        [2, 1, 2],
      ]),
    );
    const back = tableFromIPC(pw.readParquet(readFileSync(path)).intoIPCStream());
    expect(back.schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual(['userID:Int32', 'itemID:Int32', 'weight:Float32']);
    expect(back.toArray().map((r) => r.toJSON())).toEqual([
      { userID: 0, itemID: 3, weight: 0.25 },
      { userID: 0, itemID: 7, weight: 1.5 },
      { userID: 2, itemID: 1, weight: 2 },
    ]);
  });
});

// Debian 12 packages no pyarrow: `python3 -m venv --system-site-packages v && v/bin/pip install pyarrow`, then PYTHON=v/bin/python3.
const PYTHON = process.env['PYTHON'] ?? '/usr/bin/python3';
const pyarrow = spawnSync(PYTHON, ['-c', 'import pyarrow'], { encoding: 'utf8' }).status === 0;
describe.skipIf(!pyarrow)(
  `interop with pyarrow${pyarrow ? '' : ` (skipped: ${PYTHON} has no pyarrow; pip install pyarrow, and set PYTHON to that interpreter)`}`,
  () => {
    it('reads interactions pyarrow writes (snappy, int64, two row groups) and pyarrow reads our R̄', async () => {
      const dir = join(tmp.dir, `arrow${counter++}`);
      mkdirSync(dir);
      const script = `
import sys, pyarrow as pa, pyarrow.parquet as pq
d = sys.argv[1]
t = pa.table({'userID': pa.array([3, 0, 2, 1], pa.int64()), 'itemID': pa.array([1, 2, 0, 1], pa.int64()),
              'x_label': pa.array([0, 1, 2, 0], pa.int64()), 'rating': [4.5, 3.0, 1.0, 2.0]})
pq.write_table(t, d + '/a.inter.parquet', row_group_size=3, compression='snappy')
r = pq.read_table(d + '/r.parquet')
print(r.schema.field('userID').type, r.schema.field('weight').type, r.column('userID').to_pylist(), r.column('itemID').to_pylist(), r.column('weight').to_pylist())
`;
      await writeEnrichedMatrix(
        join(dir, 'r.parquet'),
        matrixOf(2, [
          [0, 3, 0.25],
          [1, 1, 2],
        ]),
      );
      const run = spawnSync(PYTHON, ['-c', script, dir], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout.trim()).toBe('int32 float [0, 1] [3, 1] [0.25, 2.0]');
      const r = await readInteractions(join(dir, 'a.inter.parquet'));
      expect([...r.users]).toEqual([3, 0, 2, 1]);
      expect([...r.items]).toEqual([1, 2, 0, 1]);
      expect([...r.labels]).toEqual([0, 1, 2, 0]);
    });
  },
);
