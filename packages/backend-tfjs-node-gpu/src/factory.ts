import type { BackendFactory } from '@vi-mmrec/core';
import { tfjsNodeGpuHasGpu } from './tf-module.js';
import { tfjsNodeGpuBackend } from './tfjs-backend.js';

/**
 * Registry factory of the tfjs-node-gpu backend (priority 300: preferred when a CUDA GPU is
 * usable). `isAvailable()` is true only when `@tensorflow/tfjs-node-gpu` loads and TensorFlow
 * sees a GPU; it resolves false quickly when the package is not installed.
 */
export const tfjsNodeGpuBackendFactory: BackendFactory = {
  name: 'tfjs-node-gpu',
  priority: 300,
  description: 'TensorFlow.js on a CUDA GPU via @tensorflow/tfjs-node-gpu',
  isAvailable: async () => tfjsNodeGpuHasGpu(),
  create: () => tfjsNodeGpuBackend(),
};
