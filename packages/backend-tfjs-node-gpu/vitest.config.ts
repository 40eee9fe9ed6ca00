import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@vi-mmrec/source'] },
  // GPU checks run separately (`npm run test:gpu`, vitest.gpu.config.ts).
  test: { name: 'backend-tfjs-node-gpu', include: ['test/**/*.test.ts'], exclude: ['test/**/*.gpu.test.ts'] },
});
