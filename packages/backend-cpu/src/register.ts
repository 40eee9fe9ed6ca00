/**
 * Side-effect entry: registers the CPU backend with `@vi-mmrec/core`'s registry.
 *
 * @packageDocumentation
 */
import { registerBackend } from '@vi-mmrec/core';
import { cpuBackendFactory } from './factory.js';

registerBackend(cpuBackendFactory);
