import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@vi-mmrec/source'] },
  test: { name: 'backend-tfjs-node-gpu', include: ['test/**/*.test.ts'] },
});
