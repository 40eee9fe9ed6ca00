/**
 * CPU backend for vi-mmrec: WebAssembly SIMD similarity products on all cores (worker threads),
 * with a scalar JavaScript fallback; always available, no native dependencies.
 *
 * @packageDocumentation
 */
export { cpuBackend, cpuBackendFactory } from './factory.js';
export type { CpuBackendOptions, CpuKernel } from './cpu-backend.js';
/**
 * `cpuBackendFactory` under the export name every backend package uses: how `vi-mmrec --backend`
 * and `@vi-mmrec/core/node` find this package's factory.
 */
export { cpuBackendFactory as backendFactory } from './factory.js';
