import { packageProject } from '../../vitest.shared.js';

// GPU checks run separately (`npm run test:gpu`, vitest.gpu.config.ts).
export default packageProject('backend-tfjs-node-gpu', { exclude: ['test/**/*.gpu.test.ts'] });
