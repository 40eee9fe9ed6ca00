#!/usr/bin/env node
import { removeTemporaryFiles } from '@vi-mmrec/io';
import { EXIT, signalExitCode } from './cli-io.js';
import { main } from './main.js';

// First Ctrl-C or SIGTERM aborts the run cleanly: previous outputs stay as they were, no
// temporary file is left. A second one exits at once, still removing temporary files. Outputs
// are committed synchronously, so no handler can run in the middle of a commit.
const controller = new AbortController();
function onSignal(signal: NodeJS.Signals): void {
  if (!controller.signal.aborted) {
    controller.abort(signal);
    return;
  }
  removeTemporaryFiles();
  process.stderr.write(`\nvi-mmrec: ${signal} again: stopped at once; no output was replaced and no temporary file is left\n`);
  process.exit(signalExitCode(signal));
}
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);
// `--out - | head`: the reader closed the pipe. Stop quietly, as a CLI killed by SIGPIPE would
// (exit 141), leaving no temporary file; other stdout errors stay errors.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  removeTemporaryFiles();
  process.exit(141);
});

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal,
});
// Any handle left open (e.g. a blocked read) must not keep an aborted process alive.
if (controller.signal.aborted && process.exitCode !== EXIT.ok) process.exit();
