import { AbortedError, BackendInitError, BackendNotFoundError, NoBackendAvailableError, isViMmrecError, throwIfAborted } from './errors.js';
import type { Backend, BackendFactory } from './spi.js';
import { approximateAllowed, sizeReason } from './size-policy.js';
import type { Logger } from './types.js';

interface Entry {
  readonly factory: BackendFactory;
  backend?: Backend;
  init?: Promise<Backend>;
  error?: unknown;
}

interface Registry {
  readonly entries: Map<string, Entry>;
}

const KEY = Symbol.for('@vi-mmrec/core/registry');

function registry(): Registry {
  const g = globalThis as { [KEY]?: Registry };
  g[KEY] ??= { entries: new Map() };
  return g[KEY];
}

/**
 * Registers a backend factory for automatic resolution. Registering the same factory again is
 * a no-op; a different factory under a taken name throws.
 */
export function registerBackend(factory: BackendFactory): void {
  const entries = registry().entries;
  const existing = entries.get(factory.name);
  if (existing !== undefined) {
    if (existing.factory === factory) return;
    throw new BackendInitError(
      factory.name,
      `A different backend is already registered as '${factory.name}'; each name may be registered once.`,
    );
  }
  entries.set(factory.name, { factory });
}

/** Names and priorities of the registered backends, highest priority first (`exact: false` for approximate ones). */
export function listBackends(): Array<{ name: string; priority: number; description?: string; exact?: false }> {
  return [...registry().entries.values()]
    .map(({ factory: f }) => ({
      name: f.name,
      priority: f.priority,
      ...(f.description === undefined ? {} : { description: f.description }),
      ...(f.exact === false ? { exact: false as const } : {}),
    }))
    .sort((a, b) => b.priority - a.priority);
}

/**
 * Initialises an entry once. Automatic resolution first asks the cheap `isAvailable()` probe;
 * an explicitly requested backend skips it so that its own init error (which says how to
 * install what is missing) reaches the user. A failure is kept, except an aborted attempt:
 * that one is forgotten (its backend disposed) so that a later resolve starts afresh.
 */
async function initEntry(entry: Entry, explicit: boolean, signal?: AbortSignal): Promise<Backend> {
  if (entry.error !== undefined) throw entry.error as Error;
  const init = (entry.init ??= (async () => {
    let backend: Backend | undefined;
    try {
      if (!explicit && entry.factory.isAvailable !== undefined && !(await entry.factory.isAvailable())) {
        throw new BackendInitError(entry.factory.name, `Backend '${entry.factory.name}' is not available on this machine.`);
      }
      throwIfAborted(signal);
      backend = entry.factory.create();
      await backend.init(signal);
      entry.backend = backend;
      return backend;
    } catch (error) {
      if (signal?.aborted === true || isViMmrecError(error, 'ABORTED')) {
        entry.init = undefined;
        await backend?.dispose().catch(() => undefined);
        throw isViMmrecError(error, 'ABORTED') ? error : new AbortedError(undefined, { cause: signal?.reason ?? error });
      }
      entry.error = isViMmrecError(error, 'BACKEND_INIT')
        ? error
        : new BackendInitError(
            entry.factory.name,
            `Backend '${entry.factory.name}' failed to initialise: ${error instanceof Error ? error.message : String(error)}`,
            {
              cause: error,
            },
          );
      throw entry.error;
    }
  })());
  try {
    return await init;
  } catch (error) {
    // Another caller's abort ended the shared attempt; this caller was not aborted: retry.
    if (isViMmrecError(error, 'ABORTED') && signal?.aborted !== true) return initEntry(entry, explicit, signal);
    throw error;
  }
}

/** Options of {@link resolveBackend}. */
export interface ResolveOptions {
  /** Diagnostics (which backend was chosen and why, skipped candidates). */
  readonly logger?: Logger;
  /** Cancels initialisation. */
  readonly signal?: AbortSignal;
  /**
   * Catalogue size. Automatic resolution tries approximate backends (`exact: false`) first
   * above `APPROXIMATE_CROSSOVER_ITEMS`, and never at or below it or when the size is unknown.
   */
  readonly numItems?: number;
  /** Exact search at any size: approximate backends are skipped, even when named in `hints`. */
  readonly exact?: boolean;
}

/**
 * Returns an initialised backend from the registry. With `hints`, tries those names in order
 * (failing fast on an unknown name, warning when a requested one is skipped); without, tries
 * every backend of non-negative priority, highest first. Concurrent calls share one
 * initialisation; a backend that failed stays failed and keeps its error, but an aborted
 * initialisation is not cached (the next call starts afresh). Rejects with `AbortedError` when
 * `options.signal` aborts, and with `NoBackendAvailableError` listing each candidate's error
 * when none initialises.
 */
export async function resolveBackend(hints?: readonly string[], options: ResolveOptions = {}): Promise<Backend> {
  const entries = registry().entries;
  let candidates: Entry[];
  if (hints !== undefined && hints.length > 0) {
    candidates = hints.map((name) => {
      const entry = entries.get(name);
      if (entry === undefined) {
        const known = [...entries.keys()].join(', ') || 'none';
        throw new BackendNotFoundError(
          name,
          `Backend '${name}' is not registered (registered: ${known}). Install @vi-mmrec/backend-${name} and import '@vi-mmrec/backend-${name}/register'.`,
        );
      }
      return entry;
    });
  } else {
    // By size: approximate backends first above the crossover, excluded at or below it.
    const approx = approximateAllowed(options.numItems, options.exact);
    const rank = (e: Entry): number => (approx && e.factory.exact === false ? 1 : 0);
    candidates = [...entries.values()]
      .filter((e) => e.factory.priority >= 0 && (approx || e.factory.exact !== false))
      .sort((a, b) => rank(b) - rank(a) || b.factory.priority - a.factory.priority);
  }
  const explicit = hints !== undefined && hints.length > 0;
  const mayBeApproximate = explicit ? options.exact !== true : approximateAllowed(options.numItems, options.exact);
  const reason = sizeReason(options.numItems, options.exact);
  const errors: Array<{ backend: string; error: unknown }> = [];
  for (const entry of candidates) {
    try {
      const backend = await initEntry(entry, hints !== undefined && hints.length > 0, options.signal);
      if (backend.capabilities.exact === false && !mayBeApproximate) {
        throw new BackendInitError(
          backend.name,
          `Backend '${backend.name}' is approximate, and ${reason ?? 'the catalogue size is unknown'}.`,
        );
      }
      const why = entry.factory.description === undefined ? '' : `: ${entry.factory.description}`;
      const size = reason === undefined || explicit ? '' : ` (${reason})`;
      options.logger?.info(`using backend '${backend.name}' (priority ${entry.factory.priority})${why}${size}`);
      return backend;
    } catch (error) {
      // Cancelled by the caller: stop resolving (nothing was cached).
      if (options.signal?.aborted === true) throw new AbortedError(undefined, { cause: options.signal.reason });
      errors.push({ backend: entry.factory.name, error });
      const reason = error instanceof Error ? error.message : String(error);
      if (hints !== undefined && hints.length > 0) {
        options.logger?.warn(`requested backend '${entry.factory.name}' skipped: ${reason}`);
      } else {
        options.logger?.info(`backend '${entry.factory.name}' unavailable: ${reason}`);
      }
    }
  }
  const detail = errors.map((e) => `${e.backend}: ${e.error instanceof Error ? e.error.message : String(e.error)}`).join('; ');
  throw new NoBackendAvailableError(
    errors,
    candidates.length === 0
      ? 'No backend is registered. Install @vi-mmrec/backend-cpu and import "@vi-mmrec/backend-cpu/register", or pass backend: cpuBackend().'
      : `No backend could be initialised (${detail}). Pass backend: cpuBackend() from @vi-mmrec/backend-cpu, which always works.`,
  );
}

/** Removes every registration (for tests). @internal */
export function resetRegistryForTests(): void {
  registry().entries.clear();
}
