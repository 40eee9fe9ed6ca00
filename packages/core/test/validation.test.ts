// Bad options and bad data reject (never throw synchronously) with an error that names the
// option or the modality at fault.
import { beforeEach, describe, expect, it } from 'vitest';
import { augment } from '../src/augment.js';
import { resetRegistryForTests } from '../src/registry.js';
import { isViMmrecError } from '../src/errors.js';
import type { InvalidArgumentError, InvalidDataError } from '../src/errors.js';
import type { AugmentInput, AugmentOptions, Modality } from '../src/types.js';

const dense = (name: string, features: number[], dim: number): Modality => ({
  kind: 'dense',
  name,
  dim,
  features: Float32Array.from(features),
});
const list = (name: string, items: number[], neighbours: number[], cosines: number[]): Modality => ({
  kind: 'neighbours',
  name,
  items: Int32Array.from(items),
  neighbours: Int32Array.from(neighbours),
  cosines: Float32Array.from(cosines),
});
const base: AugmentInput = {
  numUsers: 2,
  numItems: 3,
  train: { users: Int32Array.from([0, 1]), items: Int32Array.from([0, 2]) },
  modalities: [list('text', [0, 1], [1, 2], [0.5, 0.25])],
};
const opts: AugmentOptions = { strategy: 'overlay', k: 2, lambda: 0.5 };

async function rejection(run: () => Promise<unknown>): Promise<unknown> {
  let p: Promise<unknown> | undefined;
  expect(() => {
    p = run();
  }).not.toThrow();
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

beforeEach(() => resetRegistryForTests());

describe('augment option errors (InvalidArgumentError naming the option)', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['k = 0', { k: 0 }, 'k'],
    ['k = 2.5', { k: 2.5 }, 'k'],
    ['k as a string', { k: '3' }, 'k'],
    ['negative lambda', { lambda: -0.1 }, 'lambda'],
    ['infinite lambda', { lambda: Infinity }, 'lambda'],
    ['unknown strategy', { strategy: 'fused' }, 'strategy'],
    ['unknown oAvg', { oAvg: 'median' }, 'oAvg'],
  ])('%s', async (_, patch, option) => {
    const e = await rejection(async () => augment(base, { ...opts, ...patch }));
    expect(isViMmrecError(e, 'INVALID_ARGUMENT')).toBe(true);
    expect((e as InvalidArgumentError).option).toBe(option);
    expect((e as Error).message).toContain(option);
  });
  it.each<[string, Partial<AugmentInput>, string]>([
    ['negative numUsers', { numUsers: -1 }, 'numUsers'],
    ['fractional numItems', { numItems: 2.5 }, 'numItems'],
    ['no modality', { modalities: [] }, 'modalities'],
    ['duplicate modality names', { modalities: [list('text', [], [], []), list('text', [], [], [])] }, 'modalities'],
  ])('%s', async (_, patch, option) => {
    const e = await rejection(async () => augment({ ...base, ...patch }, opts));
    expect(isViMmrecError(e, 'INVALID_ARGUMENT')).toBe(true);
    expect((e as InvalidArgumentError).option).toBe(option);
  });
  it('an unknown backend name rejects with BackendNotFoundError', async () => {
    const e = await rejection(async () =>
      augment({ ...base, modalities: [dense('image', [1, 0, 0, 1, 1, 1], 2)] }, { ...opts, backend: 'warp-drive' }),
    );
    expect(isViMmrecError(e, 'BACKEND_NOT_FOUND')).toBe(true);
    expect((e as Error).message).toMatch(/warp-drive/);
  });
  it('an already aborted signal rejects with AbortedError', async () => {
    const c = new AbortController();
    c.abort();
    const e = await rejection(async () => augment(base, { ...opts, signal: c.signal }));
    expect(isViMmrecError(e, 'ABORTED')).toBe(true);
  });
});

describe('augment data errors (InvalidDataError naming the modality or the interactions)', () => {
  it.each<[string, Partial<AugmentInput>, RegExp, RegExp]>([
    [
      'dense rows ≠ numItems',
      { modalities: [dense('image', [1, 0, 0, 1], 2)] },
      /modality 'image'/,
      /expected 3 rows of 2 features.*got 2 rows/,
    ],
    ['dense length not a multiple of dim', { modalities: [dense('image', [1, 0, 0, 1, 1], 2)] }, /modality 'image'/, /got 5 values/],
    ['dense dim 0', { modalities: [dense('image', [], 0)] }, /modality 'image'/, /dim must be a positive integer/],
    ['NaN feature', { modalities: [dense('image', [1, 0, 0, Number.NaN, 1, 1], 2)] }, /modality 'image'/, /item 1, column 1 is NaN/],
    ['Infinity feature', { modalities: [dense('image', [1, 0, 0, 1, Infinity, 1], 2)] }, /modality 'image'/, /item 2, column 0/],
    [
      'list id out of range',
      { modalities: [list('text', [0, 1], [1, 3], [0.5, 0.5])] },
      /modality 'text'/,
      /entry 1: pair \(1, 3\).*outside 0…2/,
    ],
    ['negative list id', { modalities: [list('text', [-1], [1], [0.5])] }, /modality 'text'/, /entry 0/],
    [
      'pair listed twice',
      { modalities: [list('text', [0, 1, 0], [1, 2, 1], [0.5, 0.5, 0.4])] },
      /modality 'text'/,
      /pair \(0, 1\) is listed more than once/,
    ],
    [
      'non-finite cosine',
      { modalities: [list('text', [0], [1], [Number.NaN])] },
      /modality 'text'/,
      /cosine of \(0, 1\) is not a finite number/,
    ],
    [
      'list arrays of different lengths',
      {
        modalities: [
          {
            kind: 'neighbours',
            name: 'text',
            items: Int32Array.from([0, 1]),
            neighbours: Int32Array.from([1]),
            cosines: Float32Array.from([1, 1]),
          },
        ],
      },
      /modality 'text'/,
      /same length/,
    ],
    [
      'train user out of range',
      { train: { users: Int32Array.from([0, 2]), items: Int32Array.from([0, 1]) } },
      /training interactions/,
      /pair 1: user id 2 is outside 0…1/,
    ],
    [
      'train item out of range',
      { train: { users: Int32Array.from([0]), items: Int32Array.from([3]) } },
      /training interactions/,
      /item id 3 is outside 0…2/,
    ],
    [
      'train arrays of different lengths',
      { train: { users: Int32Array.from([0, 1]), items: Int32Array.from([0]) } },
      /training interactions/,
      /users has 2 entries but items has 1/,
    ],
  ])('%s', async (_, patch, source, message) => {
    const e = await rejection(async () => augment({ ...base, ...patch }, opts));
    expect(isViMmrecError(e, 'INVALID_DATA'), String(e)).toBe(true);
    expect((e as InvalidDataError).source).toMatch(source);
    expect((e as Error).message).toMatch(message);
  });
  it('a self entry listed twice is ignored, not an error (self entries are dropped first)', async () => {
    const r = await augment({ ...base, modalities: [list('text', [0, 0, 0], [0, 0, 1], [1, 1, 0.5])] }, opts);
    expect(r.summary.groups[0]!.virtualPairs).toBe(1); // user 0: item 0 → {1}
  });
});
