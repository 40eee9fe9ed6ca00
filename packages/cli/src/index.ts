/**
 * The `vi-mmrec` command line (`augment`, `demo`, `eval`, `backends`). The bin calls
 * {@link main}; tests call it in-process with their own streams.
 *
 * @packageDocumentation
 */
export { main } from './main.js';
export { EXIT } from './cli-io.js';
export type { CliIo, OutputStream } from './cli-io.js';
