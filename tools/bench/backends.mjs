// Backends the benchmark knows. Adding one is one entry: its name (as printed), the built
// module (relative to the repository root) and how to create the backend from that module.
// Entries whose module is not built are skipped (run.mjs says so). `maxReps` caps a slow backend's repetitions per shape. `flops` says
// which products the backend computes (counted as such): 'symmetric' = the cpu backend's
// upper-triangle tiles, 'chunk-triangle' = onnxruntime-node's chunks at and after each row
// block's own, 'full' = all of S. `cli: false` = not creatable by `vi-mmrec augment` (measured in-process).
export const BACKENDS = [
  { name: 'cpu', module: 'packages/backend-cpu/dist/index.js', create: (m) => m.cpuBackend(), flops: 'symmetric' },
  {
    name: 'onnxruntime-node',
    module: 'packages/backend-onnxruntime-node/dist/index.js',
    create: (m) => m.onnxruntimeNodeBackend({ executionProviders: ['cpu'] }),
    flops: 'chunk-triangle',
  },
  {
    // tfjs-node(-gpu) cannot be installed here (see shared toolchain notes); the same package runs on tfjs + its wasm backend.
    name: 'tfjs-wasm',
    module: 'packages/backend-tfjs-node-gpu/dist/index.js',
    create: async (m) => {
      const tf = await import('@tensorflow/tfjs');
      await import('@tensorflow/tfjs-backend-wasm');
      return m.tfjsNodeGpuBackend({ tf, backendName: 'wasm' });
    },
    flops: 'full',
    cli: false, // needs tfjs injected
    optIn: true, // slow: run with --backends cpu,tfjs-wasm
    maxReps: { clothing: 1 }, // about 4 minutes per run at the Clothing shape
  },
];
