import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@vi-mmrec/source'] },
  // Vite applies resolve.conditions to the client only; tests run in the SSR environment.
  ssr: { resolve: { conditions: ['@vi-mmrec/source'] } },
  test: { name: 'backend-onnxruntime-node', include: ['test/**/*.test.ts'] },
});
