import { EXIT, type CliIo } from './cli-io.js';
import { importOptional, installHint } from './optional-module.js';

/** The module that implements `vi-mmrec eval`; resolved at run time (an optional package). */
const EVAL_MODULE = '@vi-mmrec/eval';

type EvalCommand = (
  argv: string[],
  io: { stdout: CliIo['stdout']; stderr: CliIo['stderr']; isTTY: boolean; signal?: AbortSignal },
) => Promise<number>;

/**
 * `vi-mmrec eval …`: hands the arguments to `@vi-mmrec/eval`'s `evalCommand`. When that
 * package is not installed, not built, or has no `evalCommand`, prints one line saying eval
 * is unavailable and returns 1.
 */
export async function runEval(argv: readonly string[], io: CliIo, specifier: string = EVAL_MODULE): Promise<number> {
  const mod = await importOptional(specifier);
  if (mod === undefined) {
    io.stderr.write(`vi-mmrec: eval is unavailable: ${specifier} is not installed or not built; install it (${installHint(specifier)}).\n`);
    return EXIT.failure;
  }
  if (typeof mod.evalCommand !== 'function') {
    io.stderr.write(`vi-mmrec: eval is unavailable: this version of ${specifier} has no evalCommand; update it to match @vi-mmrec/cli.\n`);
    return EXIT.failure;
  }
  const evalCommand = mod.evalCommand as EvalCommand;
  return evalCommand([...argv], {
    stdout: io.stdout,
    stderr: io.stderr,
    isTTY: io.stderr.isTTY === true,
    ...(io.signal === undefined ? {} : { signal: io.signal }),
  });
}
