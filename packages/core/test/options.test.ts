import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, isViMmrecError, resolveAugmentOptions } from '@vi-mmrec/core';

describe('resolveAugmentOptions', () => {
  it('applies the modality-mean default', () => {
    expect(resolveAugmentOptions({ strategy: 'overlay', k: 3, lambda: 0.1 })).toEqual({
      strategy: 'overlay',
      k: 3,
      lambda: 0.1,
      oAvg: 'modality-mean',
    });
  });
  it.each([
    [{ strategy: 'overlay', k: 0, lambda: 0.1 }, 'k'],
    [{ strategy: 'overlay', k: 1.5, lambda: 0.1 }, 'k'],
    [{ strategy: 'overlay', k: 3, lambda: -1 }, 'lambda'],
    [{ strategy: 'overlay', k: 3, lambda: Number.NaN }, 'lambda'],
    [{ strategy: 'fused', k: 3, lambda: 0.1 }, 'strategy'],
    [{ strategy: 'overlay', k: 3, lambda: 0.1, oAvg: 'max' }, 'oAvg'],
  ])('rejects %o naming option %s', (opts, option) => {
    let caught: unknown;
    try {
      resolveAugmentOptions(opts as never);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    expect(isViMmrecError(caught, 'INVALID_ARGUMENT')).toBe(true);
    expect((caught as InvalidArgumentError).option).toBe(option);
  });
});
