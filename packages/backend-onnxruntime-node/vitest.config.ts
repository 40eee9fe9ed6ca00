import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@vi-mmrec/source'] },
  test: { name: 'backend-onnxruntime-node', include: ['test/**/*.test.ts'] },
});
