/**
 * Pure JavaScript CPU backend for vi-mmrec: always available, no native dependencies.
 *
 * @packageDocumentation
 */
export { cpuBackend, cpuBackendFactory } from './factory.js';
export type { CpuBackendOptions } from './cpu-backend.js';
