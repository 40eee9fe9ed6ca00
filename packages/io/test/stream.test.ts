// Streaming readers: results must not depend on where the input is cut into chunks, and
// memory must follow the data (ids are checked against the rows before anything is sized by them).
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isViMmrecError } from '@vi-mmrec/core';
import { readDataset, readInteractions, readNeighbourList, readNpy } from '../src/index.js';
import { parseInteractions } from '../src/inter.js';
import { checkDuplicates, parseNeighbourList } from '../src/knn.js';
import { readNpyInBlocks } from '../src/npy.js';
import { npyBytes, rejection, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let counter = 0;

/** The bytes cut at the given (sorted, deduplicated) positions, yielded as separate chunks. */
async function* split(bytes: Uint8Array, cuts: readonly number[]): AsyncGenerator<Uint8Array> {
  let from = 0;
  for (const c of [...new Set(cuts)].sort((a, b) => a - b)) {
    if (c <= from || c >= bytes.length) continue;
    yield bytes.slice(from, c);
    from = c;
  }
  yield bytes.slice(from);
}

/** Runs `parse` and returns its result or the error message (errors must not depend on the cuts either). */
async function outcome<T>(parse: () => Promise<T>): Promise<T | string> {
  try {
    return await parse();
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
}

const interText = (
  rows: ReadonlyArray<readonly [number, number, number]>,
  o: { crlf: boolean; bom: boolean; blank: boolean; finalNewline: boolean },
): string => {
  const nl = o.crlf ? '\r\n' : '\n';
  const lines = rows.map((r, p) => `${r[0]}\t${r[1]}\t${r[2]}${o.blank && p % 3 === 1 ? nl : ''}`);
  return `${o.bom ? '\ufeff' : ''}userID\titemID\tx_label${nl}${lines.join(nl)}${o.finalNewline ? nl : ''}`;
};

describe('streaming TSV readers', () => {
  const options = fc.record({ crlf: fc.boolean(), bom: fc.boolean(), blank: fc.boolean(), finalNewline: fc.boolean() });

  it('parse .inter content identically however it is cut into chunks (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(1e6), fc.nat(1e6), fc.integer({ min: 0, max: 3 })), { maxLength: 40 }),
        options,
        fc.array(fc.nat(2000), { maxLength: 30 }),
        async (rows, o, cuts) => {
          const bytes = new TextEncoder().encode(interText(rows, o));
          const whole = await outcome(async () => parseInteractions(bytes, 't.inter'));
          const chunked = await outcome(async () => parseInteractions(split(bytes, cuts), 't.inter'));
          expect(chunked).toEqual(whole);
          if (typeof whole !== 'string') expect([...whole.users]).toEqual(rows.map((r) => r[0]));
        },
      ),
      { numRuns: 200 },
    );
  }, 60_000);

  it('parse a fixed file identically for every single cut and every chunk size', async () => {
    const text = '\ufeffuserID\titemID\tx_label\r\n0\t1\t0\r\n\r\n\n 3 \t 4\t2\r\n1\t2\t1\n2\t5\t0';
    const bytes = new TextEncoder().encode(text);
    const whole = await parseInteractions(bytes, 't.inter');
    expect([...whole.users]).toEqual([0, 3, 1, 2]);
    expect(whole.maxUserLine).toBe(5);
    for (let c = 0; c <= bytes.length; c++) expect(await parseInteractions(split(bytes, [c]), 't.inter')).toEqual(whole);
    for (let size = 1; size <= bytes.length; size++) {
      const cuts = Array.from({ length: Math.ceil(bytes.length / size) }, (_, k) => k * size);
      expect(await parseInteractions(split(bytes, cuts), 't.inter')).toEqual(whole);
    }
    const bad = new TextEncoder().encode(`${text}\n7\tx\t0\n`);
    for (let c = 0; c <= bad.length; c++) {
      const e = await rejection(async () => parseInteractions(split(bad, [c]), 't.inter'));
      expect(e.message).toBe("t.inter:8: itemID 'x' is not a non-negative integer; ids are 0-based integers (no decimals or names).");
    }
  }, 60_000);

  it('parse neighbour lists identically however they are cut (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(50), fc.nat(50), fc.nat(9), fc.double({ min: -1, max: 1, noNaN: true })), { maxLength: 40 }),
        options,
        fc.array(fc.nat(2000), { maxLength: 30 }),
        async (rows, o, cuts) => {
          const nl = o.crlf ? '\r\n' : '\n';
          const text = `${o.bom ? '\ufeff' : ''}itemID\tneighborID\trank\tcosine${nl}${rows.map((r) => r.join('\t')).join(nl)}${o.finalNewline ? nl : ''}`;
          const bytes = new TextEncoder().encode(text);
          const run = async (input: Uint8Array | AsyncIterable<Uint8Array>): Promise<unknown> =>
            outcome(async () => {
              const list = await parseNeighbourList(input, 'a_knn.tsv', 'a');
              checkDuplicates(list);
              return list;
            });
          const whole = await run(bytes);
          expect(await run(split(bytes, cuts))).toEqual(whole);
        },
      ),
      { numRuns: 200 },
    );
  }, 60_000);

  it('rejects an empty file, a blank line 1 and a line without breaks longer than 64 MiB', async () => {
    const empty = await rejection(async () => parseInteractions(split(new Uint8Array(0), []), 'e.inter'));
    expect(empty.message).toMatch(/^e\.inter:1: the file is empty/);
    const blank = await rejection(async () =>
      parseInteractions(split(new TextEncoder().encode('\nuserID\titemID\tx_label\n'), [1]), 'b.inter'),
    );
    expect(blank.message).toMatch(/^b\.inter:1: line 1 is blank/);
    async function* noBreaks(): AsyncGenerator<Uint8Array> {
      for (let k = 0; k < 65; k++) yield new Uint8Array(1 << 20).fill(65);
    }
    const long = await rejection(async () => parseInteractions(noBreaks(), 'l.inter'));
    expect(long.message).toMatch(/^l\.inter:1: a line is longer than 64 MiB without a line break/);
  }, 60_000);
});

describe('ids are bounded by the data, not sized by the largest id', () => {
  function folder(files: Record<string, string | Uint8Array>): string {
    const dir = join(tmp.dir, `ids${counter++}`);
    mkdirSync(dir);
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    return dir;
  }
  const KNN = 'itemID\tneighborID\trank\tcosine\n0\t1\t0\t0.9\n1\t0\t0\t0.9\n';

  it('rejects a userID of 1e9 in a 3-row file, naming its line', async () => {
    const inter = 'userID\titemID\tx_label\n0\t0\t0\n1000000000\t1\t0\n1\t1\t2\n';
    const e = await rejection(async () => readDataset(folder({ 'x.inter': inter, 'a_knn.tsv': KNN })));
    expect(isViMmrecError(e, 'INVALID_DATA')).toBe(true);
    expect(e.message).toMatch(/^x\.inter:3: userID 1000000000 is too large for a file of 3 interactions: .*renumber them/);
  });

  it('rejects an itemID larger than the interactions, feature rows and list entries allow', async () => {
    const inter = 'userID\titemID\tx_label\n0\t0\t0\n1\t2000000000\t0\n1\t1\t2\n';
    const e = await rejection(async () => readDataset(folder({ 'x.inter': inter, 'a_feat.npy': npyBytes([1, 2, 3, 4], 4, 1) })));
    expect(e.message).toMatch(/^x\.inter:3: itemID 2000000000 is too large for a dataset of 3 interactions, 4 feature rows: /);
  });

  it('accepts ids up to the largest of those counts', async () => {
    const inter = 'userID\titemID\tx_label\n2\t0\t0\n0\t1\t0\n1\t3\t2\n';
    const ds = await readDataset(folder({ 'x.inter': inter, 'a_feat.npy': npyBytes([1, 2, 3, 4], 4, 1) }));
    expect(ds.numUsers).toBe(3);
    expect(ds.numItems).toBe(4);
  });

  it('finds duplicate neighbour pairs with huge ids by sorting (no array sized by the id)', async () => {
    const path = join(tmp.dir, `big${counter++}_knn.tsv`);
    writeFileSync(path, 'itemID\tneighborID\trank\tcosine\n2000000000\t5\t0\t0.5\n7\t2000000001\t0\t0.5\n2000000000\t5\t1\t0.4\n');
    const e = await rejection(async () => readNeighbourList(path, 'big'));
    expect(e.message).toMatch(/_knn\.tsv:4: the pair itemID 2000000000, neighborID 5 is listed twice \(also on line 2\)/);
    writeFileSync(path, 'itemID\tneighborID\trank\tcosine\n2000000000\t5\t0\t0.5\n7\t2000000001\t0\t0.5\n2000000000\t6\t1\t0.4\n');
    const m = await readNeighbourList(path, 'big');
    expect([...m.items]).toEqual([2000000000, 7, 2000000000]);
  });
});

describe('readNpy in row blocks', () => {
  it('gives the same array for every block size, dtype and data alignment', async () => {
    const rows = 7;
    const cols = 3;
    const values = Array.from({ length: rows * cols }, (_, p) => (p - 10) / 7);
    for (const descr of ['<f2', '<f4', '<f8']) {
      for (const misalign of [0, 1, 3]) {
        const path = join(tmp.dir, `blocks${counter++}.npy`);
        writeFileSync(path, npyBytes(values, rows, cols, { descr, misalign }));
        const whole = await readNpy(path);
        for (let blockBytes = 1; blockBytes <= rows * cols * 8 + 8; blockBytes++) {
          const a = await readNpyInBlocks(path, blockBytes);
          expect(a.shape).toEqual([rows, cols]);
          expect(a.data).toEqual(whole.data);
        }
        if (descr !== '<f2') expect([...whole.data]).toEqual(values.map((v) => Math.fround(v)));
      }
    }
  }, 60_000);

  // Node 20 caps typed arrays at 2^32 elements; where a runtime allows more, this case cannot be made cheaply.
  const capped = ((): boolean => {
    try {
      return new Float32Array(2 ** 33).length < 0;
    } catch {
      return true;
    }
  })();
  it.skipIf(!capped)('says how much memory a shape needs when it cannot be allocated (a sparse 32 GiB file, nothing read)', async () => {
    const path = join(tmp.dir, `sparse${counter++}.npy`);
    const head = npyBytes([], 0, 0, { shape: [2 ** 33, 1] });
    writeFileSync(path, head);
    truncateSync(path, head.length + 2 ** 35); // a hole: no disk space used
    const e = await rejection(async () => readNpy(path));
    expect(isViMmrecError(e, 'INVALID_DATA')).toBe(true);
    expect(e.message).toMatch(
      /^sparse\d+\.npy: shape \(8589934592, 1\) needs 32\.0 GiB of memory as float32, which could not be allocated; /,
    );
  });

  it('checks the shape against the file size before allocating (a huge shape in a tiny file)', async () => {
    const path = join(tmp.dir, `huge${counter++}.npy`);
    writeFileSync(path, npyBytes([], 0, 0, { shape: [600000000, 1024] }));
    const e = await rejection(async () => readNpy(path));
    expect(e.message).toMatch(/truncated: shape \(600000000, 1024\) of float32 needs 2457600000000 data bytes but the file has 0/);
  });
});

describe('streaming readers read regular files only, opened non-blocking', () => {
  const readers: ReadonlyArray<readonly [string, (file: string) => Promise<unknown>]> = [
    ['x.inter', readInteractions],
    ['x.inter.parquet', readInteractions],
    ['a_knn.tsv', async (f) => readNeighbourList(f, 'a')],
    ['a_knn.parquet', async (f) => readNeighbourList(f, 'a')],
    ['a_feat.npy', readNpy],
  ];
  it.each(['/dev/zero', 'fifo'])(
    'refuse a symbolic link to %s with a one-line error, without hanging',
    async (target) => {
      const dir = join(tmp.dir, `nonregular${counter++}`);
      mkdirSync(dir);
      let to = target;
      if (target === 'fifo') {
        to = join(dir, 'pipe');
        expect(spawnSync('mkfifo', [to]).status).toBe(0);
      }
      for (const [name, read] of readers) {
        const link = join(dir, name);
        symlinkSync(to, link);
        const e = await rejection(async () => read(link));
        expect(isViMmrecError(e, 'INVALID_DATA')).toBe(true);
        expect(e.message).toMatch(
          /is not a regular file \(a device, pipe or socket, maybe behind a symbolic link\); point it at a regular file\.$/,
        );
        expect(e.message).not.toContain('\n');
      }
    },
    30_000,
  );
});
