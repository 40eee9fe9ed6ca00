// The usearch backend beyond the shared conformance suite: recall on larger clustered inputs
// (where HNSW is really approximate), exact scores and SPI rules there, f16 storage, progress
// and abort across many batches, and option validation.
import { describe, expect, it } from 'vitest';
import { isViMmrecError } from '@vi-mmrec/core';
import type { NeighbourSearchRequest } from '@vi-mmrec/core/backend';
import { compareApproximateTables, recallOf } from '@vi-mmrec/backend-conformance';
import { createRng, referenceNeighbours } from '@vi-mmrec/test-utils';
import { usearchBackend, type UsearchBackendOptions } from '../src/index.js';

const TIMEOUT = 240_000;

/** n items in `clusters` Gaussian-ish clusters, dim d; every 37th row is all zero. */
function clustered(n: number, d: number, clusters: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const centres = Float32Array.from({ length: clusters * d }, () => rng.float(-1, 1));
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    if (i % 37 === 5) continue;
    const c = Math.floor(rng.next() * clusters);
    for (let j = 0; j < d; j++) x[i * d + j] = centres[c * d + j]! + 0.35 * (rng.next() + rng.next() - 1);
  }
  return x;
}

/** Two parts (the second zero for every 11th item), a per-part and a fused output. */
function request(n: number): NeighbourSearchRequest {
  const b = clustered(n, 8, 15, 2);
  for (let i = 0; i < n; i += 11) b.fill(0, i * 8, (i + 1) * 8);
  return {
    numItems: n,
    parts: [
      { dim: 24, data: clustered(n, 24, 40, 1) },
      { dim: 8, data: b },
    ],
    outputs: [
      { parts: [0], k: 10 },
      { parts: [0, 1], k: 7 },
    ],
  };
}

async function run(req: NeighbourSearchRequest, options: UsearchBackendOptions, minRecall: number): Promise<void> {
  const backend = usearchBackend(options);
  try {
    const tables = await backend.searchNeighbours(req);
    const refs = referenceNeighbours(req);
    tables.forEach((t, o) => {
      const tally = { hits: 0, expected: 0 };
      expect(compareApproximateTables(t, refs[o]!, { relTol: 1e-5, label: `output ${o}` }, tally)).toBeUndefined();
      expect(recallOf(tally), `output ${o}: recall ${tally.hits}/${tally.expected}`).toBeGreaterThanOrEqual(minRecall);
    });
  } finally {
    await backend.dispose();
  }
}

describe('usearch backend on larger clustered inputs', () => {
  const req = request(2500);
  it('f32 (defaults): every SPI rule holds, scores are exact, recall@k ≥ 0.95', async () => run(req, {}, 0.95), TIMEOUT);
  it('f16 storage, small batches: the same rules, recall@k ≥ 0.9', async () => run(req, { storage: 'f16', batchRows: 300 }, 0.9), TIMEOUT);
  it(
    'oversample 1 (k + 1 candidates) and a low search expansion still obey every rule',
    async () => run(req, { oversample: 1, expansionSearch: 8, connectivity: 4 }, 0.5),
    TIMEOUT,
  );
});

describe('usearch backend: edge cases', () => {
  it('no valid item, or a single one: every row is padding', async () => {
    const backend = usearchBackend();
    const data = new Float32Array(4 * 3);
    data.set([1, 2, 3], 6);
    const [t] = await backend.searchNeighbours({ numItems: 4, parts: [{ dim: 3, data }], outputs: [{ parts: [0], k: 2 }] });
    expect(Array.from(t!.indices)).toEqual(Array(8).fill(-1));
    expect(Array.from(t!.scores)).toEqual(Array(8).fill(-Infinity));
    await backend.dispose();
  });

  it(
    'progress is monotone over many batches and ends at numItems; an abort from it rejects with AbortedError',
    async () => {
      const req = request(1200);
      const backend = usearchBackend({ batchRows: 100 });
      const calls: number[] = [];
      await backend.searchNeighbours(req, { onProgress: (done, total) => (expect(total).toBe(1200), calls.push(done)) });
      expect(calls.length).toBeGreaterThan(10);
      calls.forEach((c, i) => expect(c).toBeGreaterThanOrEqual(i === 0 ? 0 : calls[i - 1]!));
      expect(calls.at(-1)).toBe(1200);
      const controller = new AbortController();
      const outcome = await backend
        .searchNeighbours(req, { signal: controller.signal, onProgress: (done) => done > 300 && controller.abort() })
        .then(
          () => 'resolved',
          (e: unknown) => e,
        );
      expect(isViMmrecError(outcome, 'ABORTED'), String(outcome)).toBe(true);
      await backend.dispose();
    },
    TIMEOUT,
  );

  it('rejects invalid options with InvalidArgumentError', () => {
    const bad: UsearchBackendOptions[] = [
      { connectivity: 1 },
      { expansionAdd: 0 },
      { expansionSearch: 2.5 },
      { oversample: 0 },
      { threads: -1 },
      { batchRows: 0 },
      { storage: 'i8' as 'f16' },
    ];
    for (const options of bad) {
      let error: unknown;
      try {
        usearchBackend(options);
      } catch (e) {
        error = e;
      }
      expect(isViMmrecError(error, 'INVALID_ARGUMENT'), JSON.stringify(options)).toBe(true);
    }
  });

  it('declares itself approximate on the CPU, with exact float32 scores', () => {
    expect(usearchBackend().capabilities).toEqual({ device: 'cpu', floatPrecision: 32, exact: false });
  });
});
