/**
 * onnxruntime-node backend for vi-mmrec: cosine similarities and per-row top-k run as ONNX
 * graphs (Gemm + TopK, built in code) on onnxruntime's CPU (MLAS) or CUDA execution provider.
 *
 * @packageDocumentation
 */
export { onnxruntimeNodeBackend } from './onnxruntime-node-backend.js';
export type { OnnxruntimeNodeBackendOptions } from './onnxruntime-node-backend.js';
export type { ExecutionProvider } from './runtime.js';
export { onnxruntimeNodeBackendFactory } from './factory.js';
/**
 * `onnxruntimeNodeBackendFactory` under the export name every backend package uses: how `vi-mmrec --backend`
 * and `@vi-mmrec/core/node` find this package's factory.
 */
export { onnxruntimeNodeBackendFactory as backendFactory } from './factory.js';
