/**
 * Side-effect entry: registers the tfjs-node-gpu backend with `@vi-mmrec/core`'s registry.
 *
 * @packageDocumentation
 */
import { registerBackend } from '@vi-mmrec/core';
import { tfjsNodeGpuBackendFactory } from './factory.js';

registerBackend(tfjsNodeGpuBackendFactory);
export {};
