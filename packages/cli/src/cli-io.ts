/** A stream the CLI writes to: `process.stdout`/`process.stderr` or a test double. */
export interface OutputStream {
  write(chunk: string): unknown;
  /** True when the stream is a terminal (progress bars are redrawn in place). */
  readonly isTTY?: boolean;
  /** Terminal width, when known. */
  readonly columns?: number;
}

/** What {@link main} reads and writes: injected so the CLI runs in-process in tests. */
export interface CliIo {
  /** Results (reports, help, version). */
  readonly stdout: OutputStream;
  /** Diagnostics: progress, backend choice, warnings, errors. */
  readonly stderr: OutputStream;
  /** Environment variables (`VI_MMREC_DEBUG`); default none. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Aborts a running command. The bin wires it to Ctrl-C, SIGTERM and SIGHUP, with the
   * signal's name as the abort reason, which picks the exit code (130, 143 or 129).
   */
  readonly signal?: AbortSignal;
}

/** Exit codes of the `vi-mmrec` command. */
export const EXIT = {
  /** Success. */
  ok: 0,
  /** Bad input data, unavailable backend, I/O error, unexpected error. */
  failure: 1,
  /** Usage error: unknown command or option, missing or invalid option value. */
  usage: 2,
  /** Interrupted (Ctrl-C, SIGINT). */
  aborted: 130,
  /** Terminated (SIGTERM). */
  terminated: 143,
} as const;

/**
 * The exit code of a run stopped by `signal` (the abort reason the bin passes): 128 + the
 * signal's number, as shells report it; 130 for anything else.
 */
export function signalExitCode(signal: unknown): number {
  if (signal === 'SIGTERM') return EXIT.terminated;
  if (signal === 'SIGHUP') return 129;
  return EXIT.aborted;
}
