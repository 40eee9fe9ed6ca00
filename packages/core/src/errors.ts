/**
 * Error classes of vi-mmrec. Every error thrown by the library is a {@link ViMmrecError}
 * with a stable `code`; use {@link isViMmrecError} rather than `instanceof`, which fails when
 * two copies of core are installed.
 */

/** Stable error codes; one per error class. */
export type ViMmrecErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_DATA'
  | 'BACKEND_NOT_FOUND'
  | 'BACKEND_INIT'
  | 'NO_BACKEND_AVAILABLE'
  | 'UNSUPPORTED_OPERATION'
  | 'BACKEND_DISPOSED'
  | 'ABORTED';

const BRAND = Symbol.for('@vi-mmrec/core/error');

/** Base class of every error raised by vi-mmrec. */
export class ViMmrecError extends Error {
  /** Stable, machine-readable code. */
  readonly code: ViMmrecErrorCode;
  /** @internal */
  readonly [BRAND] = true;
  constructor(code: ViMmrecErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An option or argument is out of its domain (e.g. `k < 1`, an unknown strategy). */
export class InvalidArgumentError extends ViMmrecError {
  /** The option or argument at fault, e.g. `'k'` or `'--lambda'`. */
  readonly option: string;
  constructor(option: string, message: string, options?: { cause?: unknown }) {
    super('INVALID_ARGUMENT', message, options);
    this.option = option;
  }
}

/** Input data are malformed; `source` names the file (and line) or modality at fault. */
export class InvalidDataError extends ViMmrecError {
  /** Where the problem is, e.g. `'baby.inter:12'` or `"modality 'image'"`. */
  readonly source: string;
  constructor(source: string, message: string, options?: { cause?: unknown }) {
    super('INVALID_DATA', `${source}: ${message}`, options);
    this.source = source;
  }
}

/** No backend is registered under the requested name. */
export class BackendNotFoundError extends ViMmrecError {
  constructor(
    readonly backend: string,
    message: string,
  ) {
    super('BACKEND_NOT_FOUND', message);
  }
}

/** A backend failed to initialise (missing native runtime, driver, …). */
export class BackendInitError extends ViMmrecError {
  constructor(
    readonly backend: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('BACKEND_INIT', message, options);
  }
}

/** Automatic resolution found no backend that initialises; `errors` holds each candidate's. */
export class NoBackendAvailableError extends ViMmrecError {
  constructor(
    readonly errors: ReadonlyArray<{ backend: string; error: unknown }>,
    message: string,
  ) {
    super('NO_BACKEND_AVAILABLE', message);
  }
}

/** A backend cannot run the requested operation or input (names the op and the backend). */
export class UnsupportedOperationError extends ViMmrecError {
  constructor(
    readonly backend: string,
    readonly operation: string,
    message: string,
  ) {
    super('UNSUPPORTED_OPERATION', message);
  }
}

/** The backend was used after `dispose()`. */
export class BackendDisposedError extends ViMmrecError {
  constructor(readonly backend: string) {
    super('BACKEND_DISPOSED', `Backend '${backend}' was used after dispose(); create a new one.`);
  }
}

/** The operation was cancelled through its `AbortSignal`. */
export class AbortedError extends ViMmrecError {
  constructor(message = 'The operation was aborted.', options?: { cause?: unknown }) {
    super('ABORTED', message, options);
  }
}

/**
 * True when `e` is a vi-mmrec error (optionally with the given code). Works across duplicate
 * installs of core, unlike `instanceof`.
 */
export function isViMmrecError(e: unknown, code?: ViMmrecErrorCode): e is ViMmrecError {
  if (typeof e !== 'object' || e === null || !(BRAND in e)) return false;
  return code === undefined || (e as ViMmrecError).code === code;
}

/**
 * Throws {@link AbortedError} (with the signal's reason as `cause`) if `signal` is aborted. Backends
 * call it at every block boundary; it is exported from `@vi-mmrec/core/backend`.
 */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new AbortedError(undefined, { cause: signal.reason });
}
