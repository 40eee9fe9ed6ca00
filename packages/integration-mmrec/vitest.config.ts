import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@vi-mmrec/source'] },
  test: { name: 'integration-mmrec', include: ['test/**/*.test.ts'] },
});
