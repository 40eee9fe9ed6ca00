import { defineConfig } from 'vitest/config';

// Root config for IDEs and `npm test`: every package is a project with its own config.
export default defineConfig({
  test: { projects: ['packages/*'] },
});
