import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@vi-mmrec/source'] },
  test: { name: 'integration-tfjs', include: ['test/**/*.test.ts'] },
});
