import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@vi-mmrec/source'] },
  test: { name: 'test-utils', include: ['test/**/*.test.ts'] },
});
