// Backends the benchmark knows. Adding one is one entry: its name (as printed), the built
// module (relative to the repository root) and how to create the backend from that module.
// Entries whose module is not built are skipped (run.mjs says so). `maxReps` caps a slow backend's repetitions per shape. `flops: 'symmetric'` means
// the backend computes only the upper triangle of each similarity matrix (counted as such).
export const BACKENDS = [
  { name: 'cpu', module: 'packages/backend-cpu/dist/index.js', create: (m) => m.cpuBackend(), flops: 'symmetric' },
  { name: 'onnxruntime-node', module: 'packages/backend-onnxruntime-node/dist/index.js', create: (m) => m.onnxruntimeNodeBackend({ executionProviders: ['cpu'] }) },
  {
    // tfjs-node(-gpu) cannot be installed here (see shared toolchain notes); the same package runs on tfjs + its wasm backend.
    name: 'tfjs-wasm',
    module: 'packages/backend-tfjs-node-gpu/dist/index.js',
    create: async (m) => {
      const tf = await import('@tensorflow/tfjs');
      await import('@tensorflow/tfjs-backend-wasm');
      return m.tfjsNodeGpuBackend({ tf, backendName: 'wasm' });
    },
    optIn: true, // slow: run with --backends cpu,tfjs-wasm
    maxReps: { clothing: 1 }, // about 4 minutes per run at the Clothing shape
  },
];
