import { describe, expect, it } from 'vitest';
import { onnxruntimeNodeBackend } from '../src/index.js';
import { referenceSearch } from './reference.js';

describe('smoke', () => {
  it('matches the reference on a random case', async () => {
    const n = 50, d0 = 7, d1 = 3;
    const a = new Float32Array(n * d0).map(() => Math.random() - 0.5);
    const b = new Float64Array(n * d1).map(() => Math.random() - 0.5);
    const req = { numItems: n, parts: [{ data: a, dim: d0 }, { data: b, dim: d1 }], outputs: [{ parts: [0], k: 5 }, { parts: [1], k: 3 }, { parts: [0, 1], k: 4 }] };
    const be = onnxruntimeNodeBackend({ maxChunkBytes: 4 * 10 * 20, blockRows: 16 });
    const res = await be.searchNeighbours(req);
    const ref = referenceSearch(req);
    res.forEach((t, o) => {
      for (let i = 0; i < n; i++) {
        expect(Array.from(t.indices.subarray(i * t.k, (i + 1) * t.k))).toEqual(ref[o]!.rows[i]!.map((x) => x.j));
      }
    });
    await be.dispose();
  });
});
