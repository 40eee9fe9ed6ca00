import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isViMmrecError } from '@vi-mmrec/core';
import { readInteractions, readNeighbourList } from '../src/index.js';
import { rejection, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let counter = 0;
function file(text: string | Uint8Array, name = `f${counter++}.inter`): string {
  const path = join(tmp.dir, name);
  writeFileSync(path, text);
  return path;
}

describe('readInteractions', () => {
  it('reads the three columns in any order, ignoring other columns', async () => {
    const path = file('timestamp\tx_label\titemID\trating\tuserID\n99\t0\t5\t4.5\t2\n98\t2\t0\t1\t0\n97\t1\t7\t3\t2\n');
    const r = await readInteractions(path);
    expect([...r.users]).toEqual([2, 0, 2]);
    expect([...r.items]).toEqual([5, 0, 7]);
    expect([...r.labels]).toEqual([0, 2, 1]);
    expect(r.numUsers).toBe(3);
    expect(r.numItems).toBe(8);
  });

  it('accepts CRLF line ends, a UTF-8 BOM, blank lines, padding spaces and a missing final newline', async () => {
    const path = file('\ufeffuserID\titemID\tx_label\r\n0\t1\t0\r\n\r\n\n 3 \t 4\t2\r\n1\t2\t1');
    const r = await readInteractions(path);
    expect([...r.users]).toEqual([0, 3, 1]);
    expect([...r.items]).toEqual([1, 4, 2]);
    expect([...r.labels]).toEqual([0, 2, 1]);
  });

  it('reads a header-only file as empty', async () => {
    const r = await readInteractions(file('userID\titemID\tx_label\n'));
    expect(r.users.length).toBe(0);
    expect(r.numUsers).toBe(0);
    expect(r.numItems).toBe(0);
  });

  it('round-trips random interaction tables (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(1e6), fc.nat(1e6), fc.integer({ min: 0, max: 2 })), { maxLength: 50 }),
        fc.boolean(),
        async (rows, crlf) => {
          const nl = crlf ? '\r\n' : '\n';
          const text = `userID\titemID\tx_label${nl}${rows.map((r) => r.join('\t')).join(nl)}${nl}`;
          const r = await readInteractions(file(text));
          expect([...r.users]).toEqual(rows.map((x) => x[0]));
          expect([...r.items]).toEqual(rows.map((x) => x[1]));
          expect([...r.labels]).toEqual(rows.map((x) => x[2]));
          expect(r.numUsers).toBe(rows.length === 0 ? 0 : Math.max(...rows.map((x) => x[0])) + 1);
          expect(r.numItems).toBe(rows.length === 0 ? 0 : Math.max(...rows.map((x) => x[1])) + 1);
        },
      ),
      { numRuns: 50 },
    );
  });

  const H = 'userID\titemID\tx_label\n';
  const cases: Array<[string, string, number, RegExp]> = [
    ['an empty file', '', 1, /empty.*header naming userID, itemID, x_label/],
    ['a missing x_label column', 'userID\titemID\n0\t1\n', 1, /lacks column 'x_label'/],
    ['missing userID and itemID columns', 'user\titem\tx_label\n', 1, /lacks columns 'userID', 'itemID'/],
    ['a space-separated header', 'userID itemID x_label\n0 1 0\n', 1, /separated by tabs/],
    ['a header with a repeated column', 'userID\titemID\tx_label\titemID\n', 1, /'itemID' twice/],
    ['a blank first line', '\nuserID\titemID\tx_label\n', 1, /line 1 is blank/],
    ['a row with too few fields', `${H}0\t1\t0\n0\t2\n`, 3, /expected 3 tab-separated fields .* found 2/],
    ['a row with too many fields', `${H}0\t1\t0\t9\n`, 2, /found 4/],
    ['a non-integer user id', `${H}0\t1\t0\nu7\t1\t0\n`, 3, /userID 'u7' is not a non-negative integer/],
    ['a decimal item id', `${H}0\t1.0\t0\n`, 2, /itemID '1\.0' is not a non-negative integer/],
    ['a negative item id', `${H}0\t1\t0\n\n1\t-4\t0\n`, 4, /itemID -4 is negative/],
    ['an empty user id', `${H}\t1\t0\n`, 2, /userID is empty/],
    ['an id too large', `${H}0\t99999999999\t0\n`, 2, /itemID 99999999999 is too large/],
    ['x_label 3', `${H}0\t1\t3\n`, 2, /x_label 3 is not 0, 1 or 2/],
    ['x_label -1', `${H}0\t1\t-1\n`, 2, /x_label -1 is negative/],
  ];
  it.each(cases)('rejects %s, naming file and line', async (_label, text, line, pattern) => {
    const name = `bad${counter++}.inter`;
    const e = await rejection(async () => readInteractions(file(text, name)));
    expect(isViMmrecError(e, 'INVALID_DATA')).toBe(true);
    expect(e.message.startsWith(`${name}:${line}: `)).toBe(true);
    expect(e.message).toMatch(pattern);
  });

  it('rejects a missing file naming it', async () => {
    const e = await rejection(async () => readInteractions(join(tmp.dir, 'absent.inter')));
    expect(isViMmrecError(e, 'INVALID_DATA')).toBe(true);
    expect(e.message).toMatch(/absent\.inter.*no such file or directory/);
  });
});

describe('readNeighbourList', () => {
  it('reads entries in file order, any column order, self entries kept', async () => {
    const path = file('cosine\tneighborID\titemID\trank\n1.0\t0\t0\t0\n0.5\t2\t0\t1\n-0.25\t1\t2\t0\n', 'img_knn10.tsv');
    const m = await readNeighbourList(path, 'img');
    expect(m.kind).toBe('neighbours');
    expect(m.name).toBe('img');
    expect([...m.items]).toEqual([0, 0, 2]);
    expect([...m.neighbours]).toEqual([0, 2, 1]);
    expect([...m.cosines]).toEqual([1, 0.5, -0.25]);
  });

  const H = 'itemID\tneighborID\trank\tcosine\n';
  const cases: Array<[string, string, number, RegExp]> = [
    ['a missing cosine column', 'itemID\tneighborID\trank\n', 1, /lacks column 'cosine'/],
    ['a non-integer rank', `${H}0\t1\t0\t0.9\n0\t2\t1.5\t0.8\n`, 3, /rank '1\.5' is not a non-negative integer/],
    ['a NaN cosine', `${H}0\t1\t0\tnan\n`, 2, /cosine 'nan' is not a finite number/],
    ['an infinite cosine', `${H}0\t1\t0\tInfinity\n`, 2, /cosine 'Infinity' is not a finite number/],
    ['an empty cosine', `${H}0\t1\t0\t\n`, 2, /cosine is empty/],
    ['a negative neighbour', `${H}0\t-1\t0\t0.5\n`, 2, /neighborID -1 is negative/],
    [
      'a duplicate pair',
      `${H}0\t1\t0\t0.9\n1\t0\t0\t0.9\n0\t2\t1\t0.8\n0\t1\t2\t0.7\n`,
      5,
      /itemID 0, neighborID 1 is listed twice \(also on line 2\)/,
    ],
  ];
  it.each(cases)('rejects %s, naming file and line', async (_label, text, line, pattern) => {
    const name = `bad${counter++}_knn.tsv`;
    const e = await rejection(async () => readNeighbourList(file(text, name), 'x'));
    expect(isViMmrecError(e, 'INVALID_DATA')).toBe(true);
    expect(e.message.startsWith(`${name}:${line}: `)).toBe(true);
    expect(e.message).toMatch(pattern);
  });
});
