import { defineProject } from 'vitest/config';

// `npm run test:gpu`: the checks that need @tensorflow/tfjs-node-gpu and a CUDA GPU.
export default defineProject({
  resolve: { conditions: ['@vi-mmrec/source'] },
  test: { name: 'backend-tfjs-node-gpu:gpu', include: ['test/**/*.gpu.test.ts'], testTimeout: 120_000 },
});
