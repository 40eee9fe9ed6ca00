import { packageProject } from '../../vitest.shared.js';

// Most tests here start `node bin/vi-mmrec.js` or run a whole augment in-process: on a loaded
// machine one can take well over vitest's default 5 s, so every test gets 60 s (tests that run
// real datasets set more themselves).
export default packageProject('cli', { testTimeout: 60_000 });
