// Hostile input through the library: augment() validates what the CLI validates, with the same
// typed errors, and never sizes memory from an unchecked number.
import { beforeEach, describe, expect, it } from 'vitest';
import { augment } from '../src/augment.js';
import { isViMmrecError } from '../src/errors.js';
import { resetRegistryForTests } from '../src/registry.js';
import type { AugmentInput, AugmentOptions, Logger, Modality } from '../src/types.js';

const list = (name: string, items: number[], neighbours: number[], cosines: number[]): Modality => ({
  kind: 'neighbours',
  name,
  items: Int32Array.from(items),
  neighbours: Int32Array.from(neighbours),
  cosines: Float32Array.from(cosines),
});
// 3 users, 4 items; two neighbour-list modalities with different overlaps.
const train = { users: Int32Array.from([0, 0, 1, 2, 2]), items: Int32Array.from([0, 1, 1, 2, 3]) };
const listA = (name: string): Modality => list(name, [0, 1, 2, 3], [1, 0, 3, 2], [0.9, 0.9, 0.8, 0.8]);
const listB = (name: string): Modality => list(name, [0, 1, 2, 3], [2, 3, 0, 1], [0.7, 0.6, 0.7, 0.6]);
const input = (modalities: Modality[]): AugmentInput => ({ numUsers: 3, numItems: 4, train, modalities });
const opts: AugmentOptions = { strategy: 'overlay', k: 1, lambda: 0.5 };

async function rejection(run: () => Promise<unknown>): Promise<Error> {
  try {
    await run();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

beforeEach(() => resetRegistryForTests());

describe('clear error: ids that are not integers are rejected, never dropped', () => {
  it.each([
    ['a fractional user id', { users: [0, 0.5], items: [0, 1] }, /pair 1: user id 0\.5 is not an integer id in 0…2/],
    ['a string user id', { users: [0, '1'], items: [0, 1] }, /pair 1: user id "1" is not an integer id in 0…2/],
    ['a fractional item id', { users: [0, 1], items: [0, 2.5] }, /pair 1: item id 2\.5 is not an integer id in 0…3/],
    ['NaN', { users: [0, Number.NaN], items: [0, 1] }, /user id NaN is not an integer id/],
  ])('%s in train (plain arrays)', async (_name, bad, message) => {
    const e = await rejection(async () => augment({ ...input([listA('a')]), train: bad as unknown as AugmentInput['train'] }, opts));
    expect(isViMmrecError(e, 'INVALID_DATA')).toBe(true);
    expect(e.message).toMatch(message);
  });

  it('a fractional neighbour id in a neighbour list', async () => {
    const m = { kind: 'neighbours', name: 'a', items: [0, 1], neighbours: [1, 0.5], cosines: [0.5, 0.5] } as unknown as Modality;
    const e = await rejection(async () => augment(input([m]), opts));
    expect(isViMmrecError(e, 'INVALID_DATA')).toBe(true);
    expect(e.message).toMatch(/entry 1: pair \(1, 0\.5\) is not a pair of integer item ids in 0…3/);
  });

  it.each([
    ['train missing', { train: undefined }, 'train'],
    ['numUsers beyond Int32 ids', { numUsers: 1e10 }, 'numUsers'],
    ['numItems fractional', { numItems: 3.5 }, 'numItems'],
  ])('%s is an InvalidArgumentError naming the option', async (_name, patch, option) => {
    const e = await rejection(async () => augment({ ...input([listA('a')]), ...patch } as unknown as AugmentInput, opts));
    expect(isViMmrecError(e, 'INVALID_ARGUMENT')).toBe(true);
    expect((e as Error & { option?: string }).option ?? e.message).toContain(option);
  });
});

describe('right result: a modality named __proto__ counts like any other', () => {
  it('gives the same overlaps, weights and matrix as the same data under another name', async () => {
    const named = await augment(input([listA('a'), listB('b')]), opts);
    const proto = await augment(input([listA('a'), listB('__proto__')]), opts);
    expect(Object.keys(proto.summary.modalityOverlaps)).toEqual(['a', '__proto__']);
    expect(Object.getOwnPropertyDescriptor(proto.summary.modalityOverlaps, '__proto__')?.value).toBe(named.summary.modalityOverlaps.b);
    expect(proto.summary.oAvg).toBe(named.summary.oAvg);
    expect(proto.summary.groups.map((g) => g.weight)).toEqual(named.summary.groups.map((g) => g.weight));
    expect(proto.matrix).toEqual(named.matrix);
    expect(JSON.parse(JSON.stringify(proto.summary)).modalityOverlaps).toEqual({
      a: named.summary.modalityOverlaps.a,
      ['__proto__']: named.summary.modalityOverlaps.b,
    });
    // The two overlaps differ, so leaving one out of the mean would change O_avg.
    expect(named.summary.modalityOverlaps.a).not.toBe(named.summary.modalityOverlaps.b);
  });
});

describe('memory bounded by data: k is capped at numItems - 1 before allocating', () => {
  it.each([4, 1e7, 1e9])('k = %d on 4 items runs as k = 3, with a warning', async (k) => {
    const warnings: string[] = [];
    const logger: Logger = { info: () => {}, warn: (m) => warnings.push(m) };
    const capped = await augment(input([listA('a'), listB('b')]), { ...opts, k, logger });
    const exact = await augment(input([listA('a'), listB('b')]), { ...opts, k: 3 });
    expect(capped.summary.options.k).toBe(3);
    expect(capped.matrix).toEqual(exact.matrix);
    expect(warnings).toEqual([`k = ${k} is more than the 3 other items of 4; using k = 3.`]);
  });

  it('warns on an empty training split', async () => {
    const warnings: string[] = [];
    const r = await augment(
      { ...input([listA('a')]), train: { users: new Int32Array(0), items: new Int32Array(0) } },
      {
        ...opts,
        logger: { info: () => {}, warn: (m) => warnings.push(m) },
      },
    );
    expect(r.matrix.items.length).toBe(0);
    expect(warnings.some((w) => w.startsWith('the training split is empty'))).toBe(true);
  });
});
