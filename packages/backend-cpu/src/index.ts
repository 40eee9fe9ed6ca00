/**
 * CPU backend for vi-mmrec: WebAssembly SIMD similarity products on all cores (worker threads),
 * with a scalar JavaScript fallback; always available, no native dependencies.
 *
 * @packageDocumentation
 */
export { cpuBackend, cpuBackendFactory } from './factory.js';
export type { CpuBackendOptions, CpuKernel } from './cpu-backend.js';
