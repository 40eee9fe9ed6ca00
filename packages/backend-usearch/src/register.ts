/**
 * Side-effect entry: registers the USearch backend with `@vi-mmrec/core`'s registry.
 *
 * @packageDocumentation
 */
import { registerBackend } from '@vi-mmrec/core';
import { usearchBackendFactory } from './factory.js';

registerBackend(usearchBackendFactory);
