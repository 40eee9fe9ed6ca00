/**
 * The tfjs module the tests inject: `@tensorflow/tfjs` with the wasm backend, its .wasm
 * files loaded from the installed package (no network).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

const require = createRequire(import.meta.url);
const wasmDir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
setWasmPaths(wasmDir);

export { tf };

/** Activates the wasm backend (idempotent) and returns the module. */
export async function wasmTf(): Promise<typeof tf> {
  if (tf.getBackend() !== 'wasm') {
    const ok = await tf.setBackend('wasm');
    if (!ok) throw new Error('the tfjs wasm backend failed to initialise');
  }
  await tf.ready();
  return tf;
}
