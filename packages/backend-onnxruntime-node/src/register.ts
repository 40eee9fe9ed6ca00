/**
 * Side-effect entry: registers the onnxruntime-node backend with `@vi-mmrec/core`'s registry.
 *
 * @packageDocumentation
 */
import { registerBackend } from '@vi-mmrec/core';
import { onnxruntimeNodeBackendFactory } from './factory.js';

registerBackend(onnxruntimeNodeBackendFactory);
