import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@vi-mmrec/source'] },
  test: { name: 'core', include: ['test/**/*.test.ts'] },
});
