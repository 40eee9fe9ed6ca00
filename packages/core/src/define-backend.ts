import { AbortedError, BackendDisposedError, throwIfAborted } from './errors.js';
import { validateNeighbourRequest } from './backend-utils.js';
import type { Backend, BackendCapabilities, ItemRange, NeighbourSearchRequest, NeighbourTable, SearchOptions } from './spi.js';

/** What a backend's compute sees of one `searchNeighbours` call; see {@link BackendDefinition.search}. */
export interface SearchContext {
  /** The caller's signal, for runtimes that take one (e.g. to cancel work on other threads). */
  readonly signal: AbortSignal | undefined;
  /**
   * Call after each block: throws `BackendDisposedError` after `dispose()` and `AbortedError`
   * when the signal is aborted, then reports progress (`doneRows` of the query rows: `numItems`,
   * or `end - start` of `request.rows`).
   */
  checkpoint(doneRows: number): void;
  /** The checks of {@link SearchContext.checkpoint} without reporting progress (e.g. between setup steps). */
  throwIfStopped(): void;
}

/**
 * What an adapter implements: its compute, and nothing of the lifecycle. Turned into a
 * {@link Backend} by {@link defineBackend}.
 *
 * @typeParam S - The state `init` creates (loaded runtime, worker pool, …), handed to every search.
 */
export interface BackendDefinition<S> {
  /** Registry name, equal to the adapter package suffix. */
  readonly name: string;
  /** Read on every access, so a getter may refine it after `init` (e.g. the device a runtime picked). */
  readonly capabilities: BackendCapabilities;
  /**
   * Loads the runtime and allocates; called once. A rejection is not cached (the next call
   * retries) and neither is an aborted init. Reject with `BackendInitError` saying what to
   * install or change.
   */
  init(signal: AbortSignal | undefined): Promise<S>;
  /**
   * `true` when `search` honours `request.rows` (queries only those items, returns
   * `end - start` rows per table). Otherwise `search` never sees `rows`: a request with a
   * range is searched for every item and the range's rows are kept, which is correct but
   * does the whole catalogue's work.
   */
  readonly rowRanges?: boolean;
  /**
   * Compute only: the request is already validated, init already done; its `rows`, when
   * present, is a strict sub-range (a range of every item is dropped before the call). Call
   * `ctx.checkpoint(doneRows)` after each block; return one table per output, in order.
   */
  search(state: S, request: NeighbourSearchRequest, ctx: SearchContext): Promise<NeighbourTable[]>;
  /** Optional release of the state; called once, by the first `dispose()` after a successful init. */
  dispose?(state: S): Promise<void> | void;
}

/** One initialisation attempt, shared by the calls that overlap it. */
interface Attempt<S> {
  readonly promise: Promise<S>;
  readonly signal: AbortSignal | undefined;
}

/** Resolves like `promise`, or rejects with `AbortedError` as soon as `signal` aborts. */
async function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  throwIfAborted(signal);
  let onAbort = (): void => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new AbortedError(undefined, { cause: signal.reason }));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** Rows `range` of a table of every item. */
function sliceRows(table: NeighbourTable, range: ItemRange): NeighbourTable {
  const { k } = table;
  return { k, indices: table.indices.slice(range.start * k, range.end * k), scores: table.scores.slice(range.start * k, range.end * k) };
}

class DefinedBackend<S> implements Backend {
  private attempt: Attempt<S> | undefined;
  private disposing: Promise<void> | undefined;

  constructor(private readonly definition: BackendDefinition<S>) {}

  get name(): string {
    return this.definition.name;
  }

  get capabilities(): BackendCapabilities {
    return this.definition.capabilities;
  }

  async init(signal?: AbortSignal): Promise<void> {
    await this.state(signal);
  }

  /** The initialised state: one shared attempt at a time; failed and aborted attempts are forgotten. */
  private async state(signal: AbortSignal | undefined): Promise<S> {
    for (;;) {
      if (this.disposing !== undefined) throw new BackendDisposedError(this.name);
      throwIfAborted(signal);
      const attempt = this.attempt ?? this.start(signal);
      try {
        const state = await untilAborted(attempt.promise, signal);
        if (this.disposing !== undefined) throw new BackendDisposedError(this.name);
        return state;
      } catch (error) {
        // Another caller's abort ended the shared attempt: this caller was not aborted, so it retries.
        if (attempt.signal?.aborted === true && attempt.signal !== signal && signal?.aborted !== true && this.disposing === undefined) {
          if (this.attempt === attempt) this.attempt = undefined;
          continue;
        }
        throw error;
      }
    }
  }

  private start(signal: AbortSignal | undefined): Attempt<S> {
    const promise = (async () => this.definition.init(signal))();
    const attempt: Attempt<S> = { promise, signal };
    this.attempt = attempt;
    promise.catch(() => {
      if (this.attempt === attempt) this.attempt = undefined;
    });
    return attempt;
  }

  async searchNeighbours(request: NeighbourSearchRequest, options: SearchOptions = {}): Promise<NeighbourTable[]> {
    if (this.disposing !== undefined) throw new BackendDisposedError(this.name);
    validateNeighbourRequest(request, this.name, this.capabilities.maxItems);
    const { signal, onProgress } = options;
    throwIfAborted(signal);
    const state = await this.state(signal);
    // A range of every item is no range; a strict one goes to the adapter if it can search it.
    const { rows, ...everyRow } = request;
    const partial = rows !== undefined && (rows.start > 0 || rows.end < request.numItems);
    const ranged = partial && this.definition.rowRanges === true;
    const searched: NeighbourSearchRequest = ranged ? request : everyRow;
    const kept = partial && !ranged ? rows : undefined;
    const totalRows = ranged ? rows.end - rows.start : request.numItems;
    const throwIfStopped = (): void => {
      if (this.disposing !== undefined) throw new BackendDisposedError(this.name);
      throwIfAborted(signal);
    };
    const ctx: SearchContext = {
      signal,
      throwIfStopped,
      checkpoint: (doneRows) => {
        throwIfStopped();
        onProgress?.(doneRows, totalRows);
      },
    };
    const tables = await this.definition.search(state, searched, ctx);
    // Aborted during the last (or only) block, e.g. from its progress callback.
    throwIfStopped();
    return kept === undefined ? tables : tables.map((t) => sliceRows(t, kept));
  }

  async dispose(): Promise<void> {
    this.disposing ??= (async () => {
      const attempt = this.attempt;
      this.attempt = undefined;
      if (attempt === undefined || this.definition.dispose === undefined) return;
      let state: S;
      try {
        state = await attempt.promise;
      } catch {
        return; // nothing was allocated
      }
      await this.definition.dispose(state);
    })();
    return this.disposing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

/**
 * Builds a {@link Backend} from a definition, owning the whole lifecycle so that adapters
 * write only their compute:
 * - `init(signal)` is idempotent and concurrency-safe (one shared attempt); a failed or
 *   aborted attempt is not cached, so the next call retries; a caller whose own signal aborts
 *   stops waiting at once;
 * - `searchNeighbours` checks, in order: disposed → the request (`validateNeighbourRequest`,
 *   with `capabilities.maxItems`) → aborted → init; then runs `definition.search`, and
 *   rejects with `AbortedError` if the signal was aborted during its last block;
 * - a request's `rows` reaches `definition.search` only with `rowRanges: true` (otherwise
 *   every row is searched and the range kept);
 * - `dispose()` is idempotent, waits for a pending init and releases its state once; later
 *   calls reject with `BackendDisposedError`;
 * - async methods never throw synchronously.
 *
 * @example
 * ```ts
 * export const myBackend = (): Backend =>
 *   defineBackend({
 *     name: 'my-runtime',
 *     capabilities: { device: 'cpu', floatPrecision: 32 },
 *     init: async () => loadRuntime(),
 *     search: async (runtime, request, ctx) => {
 *       // for each block of rows: compute, then ctx.checkpoint(rowsDone)
 *     },
 *   });
 * ```
 */
export function defineBackend<S>(definition: BackendDefinition<S>): Backend {
  return new DefinedBackend(definition);
}
