import { isViMmrecError } from '@vi-mmrec/core';
import { EXIT, type CliIo, signalExitCode } from './cli-io.js';

/** A command-line usage error: printed with a hint to `--help`, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose help to point at (`'augment'`), or undefined for the top level. */
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure the CLI has already described in one line (exit code 1). */
export class CliError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
  }
}

const FS_REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  EEXIST: 'already exists',
};

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** Usage hint appended to usage errors. */
export function helpHint(command?: string): string {
  return `run 'vi-mmrec ${command === undefined ? '' : `${command} `}--help' for usage`;
}

/**
 * Prints an error as ONE line `vi-mmrec: <message>` on stderr (plus the stack when
 * `VI_MMREC_DEBUG=1`) and returns the exit code: 2 for usage and option errors, 130 when
 * aborted (143 when the abort reason is `'SIGTERM'`), 1 otherwise.
 */
export function reportError(e: unknown, io: CliIo): number {
  const debug = io.env?.VI_MMREC_DEBUG === '1';
  let code: number = EXIT.failure;
  let message: string;
  if (e instanceof UsageError) {
    code = EXIT.usage;
    message = `${oneLine(e.message)}; ${helpHint(e.command)}`;
  } else if (isViMmrecError(e, 'ABORTED')) {
    const reason: unknown = io.signal?.reason;
    code = signalExitCode(reason);
    message = `${typeof reason === 'string' ? `stopped by ${reason}` : 'aborted'}; no output was replaced: existing files are unchanged and no temporary file is left`;
  } else if (isViMmrecError(e)) {
    if (e.code === 'INVALID_ARGUMENT') code = EXIT.usage;
    message = oneLine(e.message);
  } else if (e instanceof CliError) {
    message = oneLine(e.message);
  } else if (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as { code?: unknown }).code === 'string' &&
    /^E[A-Z]+$/.test((e as { code: string }).code)
  ) {
    const err = e as { code: string; path?: string; message: string };
    const reason = FS_REASONS[err.code] ?? oneLine(err.message);
    message = err.path === undefined ? `${reason} (${err.code})` : `${err.path}: ${reason} (${err.code})`;
  } else {
    const text = e instanceof Error ? e.message : String(e);
    message = `unexpected error: ${oneLine(text)}${debug ? '' : ' (set VI_MMREC_DEBUG=1 for the stack)'}`;
  }
  io.stderr.write(`vi-mmrec: ${message}\n`);
  if (debug && e instanceof Error && e.stack !== undefined) io.stderr.write(`${e.stack}\n`);
  return code;
}
