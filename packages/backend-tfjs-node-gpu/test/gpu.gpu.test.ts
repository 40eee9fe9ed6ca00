/**
 * Checks on a real CUDA GPU with @tensorflow/tfjs-node-gpu (run with `npm run test:gpu`).
 * With VI_MMREC_REQUIRE_GPU=1 an unavailable GPU is a failure; otherwise these are skipped.
 */
import { describeBackendConformance } from '@vi-mmrec/backend-conformance';
import type { NeighbourSearchRequest } from '@vi-mmrec/core/backend';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tfjsNodeGpuBackend, tfjsNodeGpuBackendFactory } from '../src/index.js';
import { loadTfjsNodeGpu } from '../src/tf-module.js';
import { exactRequest, expectClose, expectExact, gaussianRows } from './helpers.js';
import { referenceNeighbours, relTolForPrecision } from '@vi-mmrec/test-utils';

const required = process.env.VI_MMREC_REQUIRE_GPU === '1';
const available = await tfjsNodeGpuBackendFactory.isAvailable!();

describe.runIf(required)('VI_MMREC_REQUIRE_GPU=1', () => {
  it('tfjs-node-gpu loads and TensorFlow sees a GPU', async () => {
    const reason = await tfjsNodeGpuBackend()
      .init()
      .then(
        () => 'it loaded, but TensorFlow found no GPU device (check the driver, CUDA 11.x and cuDNN 8 libraries)',
        (e: unknown) => (e instanceof Error ? e.message : String(e)),
      );
    expect(available, reason).toBe(true);
  });
});

describe.runIf(available)('tfjs-node-gpu on a CUDA GPU', () => {
  it('initialises on the GPU with full float32 products', async () => {
    const b = tfjsNodeGpuBackend();
    await b.init();
    expect(b.capabilities.device).toBe('gpu');
    expect(b.capabilities.floatPrecision).toBe(process.env.NVIDIA_TF32_OVERRIDE === '0' ? 32 : 16);
    await b.dispose();
  });

  it('equals the float64 reference exactly on exact-arithmetic data, without leaking tensors', async () => {
    const tf = await loadTfjsNodeGpu();
    await fc.assert(
      fc.asyncProperty(exactRequest, async ({ req, blockRows }) => {
        const b = tfjsNodeGpuBackend(blockRows === undefined ? {} : { blockRows });
        await b.init();
        const before = tf.memory().numTensors;
        expectExact(await b.searchNeighbours(req), referenceNeighbours(req));
        expect(tf.memory().numTensors).toBe(before);
        await b.dispose();
      }),
      { numRuns: 40 },
    );
  });

  it('matches the float64 reference on random float data', async () => {
    const n = 2000;
    const req: NeighbourSearchRequest = {
      numItems: n,
      parts: [
        { data: gaussianRows(n, 64, 5, 17), dim: 64 },
        { data: gaussianRows(n, 16, 6), dim: 16 },
      ],
      outputs: [
        { parts: [0], k: 10 },
        { parts: [0, 1], k: 25 },
      ],
    };
    const b = tfjsNodeGpuBackend();
    await b.init();
    expectClose(await b.searchNeighbours(req), req, relTolForPrecision(b.capabilities.floatPrecision));
    await b.dispose();
  });
});

// The shared suite on the real thing; skipped when unavailable, failing under VI_MMREC_REQUIRE_GPU=1.
describeBackendConformance({
  name: 'tfjs-node-gpu (CUDA)',
  create: () => tfjsNodeGpuBackend(),
  isAvailable: async () => tfjsNodeGpuBackendFactory.isAvailable!(),
});
