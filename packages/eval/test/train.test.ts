import { describe, expect, it } from 'vitest';
import { EarlyStopper } from '../src/train.js';

describe('EarlyStopper', () => {
  it('keeps the first epoch of the maximum and stops after `patience` epochs without strict improvement', () => {
    const s = new EarlyStopper(3);
    const scores = [0.1, 0.3, 0.2, 0.3, 0.25, 0.29];
    const best: boolean[] = [];
    const stopAt: number[] = [];
    scores.forEach((x, i) => {
      best.push(s.update(i + 1, x));
      if (s.shouldStop) stopAt.push(i + 1);
    });
    expect(best).toEqual([true, true, false, false, false, false]);
    expect(s.bestEpoch).toBe(2);
    expect(s.bestScore).toBe(0.3);
    expect(stopAt[0]).toBe(5); // epochs 3, 4, 5 did not improve
  });

  it('an improvement resets the counter', () => {
    const s = new EarlyStopper(2);
    for (const [e, x] of [
      [1, 0.1],
      [2, 0.05],
      [3, 0.2],
      [4, 0.1],
    ] as const)
      s.update(e, x);
    expect(s.shouldStop).toBe(false);
    s.update(5, 0.2);
    expect(s.shouldStop).toBe(true);
    expect(s.bestEpoch).toBe(3);
  });
});
