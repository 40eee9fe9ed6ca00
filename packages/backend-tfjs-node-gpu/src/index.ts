/**
 * TensorFlow.js backend for vi-mmrec: row-block cosine similarities and top-k on the device,
 * with `@tensorflow/tfjs-node-gpu` on CUDA GPUs or with any injected tfjs module.
 *
 * @packageDocumentation
 */
export { tfjsNodeGpuBackend } from './tfjs-backend.js';
export type { TfjsNodeGpuBackendOptions } from './tfjs-backend.js';
export { tfjsNodeGpuBackendFactory } from './factory.js';
export type { TfModule, TfFunction } from './tf-module.js';
/**
 * `tfjsNodeGpuBackendFactory` under the export name every backend package uses: how `vi-mmrec --backend`
 * and `@vi-mmrec/core/node` find this package's factory.
 */
export { tfjsNodeGpuBackendFactory as backendFactory } from './factory.js';
