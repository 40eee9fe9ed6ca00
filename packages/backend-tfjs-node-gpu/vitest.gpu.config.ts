import { packageProject } from '../../vitest.shared.js';

// `npm run test:gpu`: the checks that need @tensorflow/tfjs-node-gpu and a CUDA GPU.
export default packageProject('backend-tfjs-node-gpu:gpu', { include: ['test/**/*.gpu.test.ts'], testTimeout: 120_000 });
