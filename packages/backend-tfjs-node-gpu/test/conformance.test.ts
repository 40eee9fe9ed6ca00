import { describeBackendConformance } from '@vi-mmrec/backend-conformance';
import { tfjsNodeGpuBackend } from '../src/index.js';
import { tf } from './wasm-tf.js';

// The shared suite on the injected-tf path (@tensorflow/tfjs + wasm): the same code that runs
// on tfjs-node-gpu. The suite on the real GPU runs from gpu.gpu.test.ts (`npm run test:gpu`).
describeBackendConformance({
  name: 'tfjs-node-gpu (injected @tensorflow/tfjs, wasm)',
  create: () => tfjsNodeGpuBackend({ tf, backendName: 'wasm' }),
});
