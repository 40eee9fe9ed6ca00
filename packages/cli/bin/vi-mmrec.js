#!/usr/bin/env node
// Committed shim so npm can link the bin before `prepare` builds dist/.
import('../dist/bin.js').catch((error) => {
  process.stderr.write(`vi-mmrec: could not load its build (${error.message}); run 'npm run build' at the repository root.\n`);
  process.exitCode = 1;
});
