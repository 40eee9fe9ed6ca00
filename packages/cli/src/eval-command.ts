import { EXIT, type CliIo } from './cli-io.js';
import { importOptional, installHint } from './optional-module.js';

/** The module that implements `vi-mmrec eval`; resolved at run time (an optional package). */
const EVAL_MODULE = '@vi-mmrec/eval';

type EvalCommand = (
  argv: string[],
  io: { stdout: CliIo['stdout']; stderr: CliIo['stderr']; isTTY: boolean; signal?: AbortSignal },
) => Promise<number>;

/**
 * The function `name` of `@vi-mmrec/eval` (`specifier`), or undefined after printing one line
 * saying `command` is unavailable (package not installed or not built, or too old).
 */
async function evalExport(
  name: string,
  command: string,
  io: CliIo,
  specifier: string,
): Promise<((...args: never[]) => Promise<number>) | undefined> {
  const mod = await importOptional(specifier);
  if (mod === undefined) {
    io.stderr.write(
      `vi-mmrec: ${command} is unavailable: ${specifier} is not installed or not built; install it (${installHint(specifier)}).\n`,
    );
    return undefined;
  }
  if (typeof mod[name] !== 'function') {
    io.stderr.write(
      `vi-mmrec: ${command} is unavailable: this version of ${specifier} has no ${name}; update it to match @vi-mmrec/cli.\n`,
    );
    return undefined;
  }
  return mod[name] as (...args: never[]) => Promise<number>;
}

/**
 * `vi-mmrec eval …`: hands the arguments to `@vi-mmrec/eval`'s `evalCommand`. When that
 * package is not installed, not built, or has no `evalCommand`, prints one line saying eval
 * is unavailable and returns 1.
 */
export async function runEval(argv: readonly string[], io: CliIo, specifier: string = EVAL_MODULE): Promise<number> {
  const evalCommand = (await evalExport('evalCommand', 'eval', io, specifier)) as EvalCommand | undefined;
  if (evalCommand === undefined) return EXIT.failure;
  return evalCommand([...argv], {
    stdout: io.stdout,
    stderr: io.stderr,
    isTTY: io.stderr.isTTY === true,
    ...(io.signal === undefined ? {} : { signal: io.signal }),
  });
}

type ReportCommand = (argv: string[], io: { stdout: CliIo['stdout']; stderr: CliIo['stderr'] }) => Promise<number>;

/**
 * `vi-mmrec report a.json … --out report.html`: hands the arguments to `@vi-mmrec/eval`'s
 * `reportCommand` (merges saved eval results into one HTML report); unavailable like eval.
 */
export async function runReport(argv: readonly string[], io: CliIo, specifier: string = EVAL_MODULE): Promise<number> {
  const reportCommand = (await evalExport('reportCommand', 'report', io, specifier)) as ReportCommand | undefined;
  if (reportCommand === undefined) return EXIT.failure;
  return reportCommand([...argv], { stdout: io.stdout, stderr: io.stderr });
}
