import type { BackendFactory } from '@vi-mmrec/core';
import { onnxruntimeNodeBackend } from './onnxruntime-node-backend.js';
import { importOnnxruntime } from './runtime.js';

/**
 * Registry factory of the onnxruntime-node backend (priority 200: preferred over the pure
 * JavaScript `cpu` backend whenever onnxruntime-node's native binding loads).
 */
export const onnxruntimeNodeBackendFactory: BackendFactory = {
  name: 'onnxruntime-node',
  priority: 200,
  description: 'onnxruntime-node CPU EP (MLAS), about 2× faster than cpu on large dense catalogues (docs/benchmarks.md)',
  isAvailable: async () => {
    try {
      await importOnnxruntime();
      return true;
    } catch {
      return false;
    }
  },
  create: () => onnxruntimeNodeBackend(),
};
