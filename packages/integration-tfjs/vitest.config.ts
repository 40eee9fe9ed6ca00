import { defineProject } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources through the '@vi-mmrec/source'
// condition; tests run in Vite's SSR environment, which needs the condition too.
export default defineProject({
  resolve: { conditions: ['@vi-mmrec/source'] },
  ssr: { resolve: { conditions: ['@vi-mmrec/source'], externalConditions: ['@vi-mmrec/source'] } },
  test: { name: 'integration-tfjs', include: ['test/**/*.test.ts'] },
});
