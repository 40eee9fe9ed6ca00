import type { BackendFactory } from '@vi-mmrec/core';
import { cpuBackend } from './cpu-backend.js';

export { cpuBackend };

/** Registry factory of the CPU backend (priority 100: the fallback that always works). */
export const cpuBackendFactory: BackendFactory = {
  name: 'cpu',
  priority: 100,
  description: 'pure JavaScript, runs everywhere',
  create: () => cpuBackend(),
};
