import type { BackendFactory } from '@vi-mmrec/core';
import { cpuBackend } from './cpu-backend.js';

export { cpuBackend };

/** Registry factory of the CPU backend (priority 100: the fallback that always works). */
export const cpuBackendFactory: BackendFactory = {
  name: 'cpu',
  priority: 100,
  description: 'WebAssembly SIMD on all cores (scalar JavaScript fallback), runs everywhere',
  create: () => cpuBackend(),
};
