// TEMPORARY stand-in for `defineBackend` of `@vi-mmrec/core/backend`, which lands on main with the
// lifecycle helper; delete this file and import from '@vi-mmrec/core/backend' after `git merge main`.
import { BackendDisposedError } from '@vi-mmrec/core';
import {
  type Backend,
  type BackendCapabilities,
  type NeighbourSearchRequest,
  type NeighbourTable,
  type SearchOptions,
  throwIfAborted,
  validateNeighbourRequest,
} from '@vi-mmrec/core/backend';

/** TEMPORARY: see the file comment. @internal */
export interface SearchContext {
  readonly signal: AbortSignal | undefined;
  checkpoint(doneRows: number): void;
}

/** TEMPORARY: see the file comment. @internal */
export interface BackendDefinition<S> {
  readonly name: string;
  readonly capabilities: BackendCapabilities;
  init(signal: AbortSignal | undefined): Promise<S>;
  search(state: S, request: NeighbourSearchRequest, ctx: SearchContext): Promise<NeighbourTable[]>;
  dispose?(state: S): Promise<void> | void;
}

/** TEMPORARY: see the file comment. @internal */
export function defineBackend<S>(d: BackendDefinition<S>): Backend {
  let state: Promise<S> | undefined;
  let disposed = false;
  const stopped = (signal: AbortSignal | undefined): void => {
    if (disposed) throw new BackendDisposedError(d.name);
    throwIfAborted(signal);
  };
  const init = async (signal?: AbortSignal): Promise<S> => {
    stopped(signal);
    state ??= d.init(signal).catch((e: unknown) => {
      state = undefined;
      throw e;
    });
    return state;
  };
  const dispose = async (): Promise<void> => {
    if (disposed) return;
    disposed = true;
    if (state !== undefined && d.dispose !== undefined) await d.dispose(await state);
  };
  return {
    name: d.name,
    get capabilities() {
      return d.capabilities;
    },
    init: async (signal?: AbortSignal) => {
      await init(signal);
    },
    searchNeighbours: async (request: NeighbourSearchRequest, options: SearchOptions = {}) => {
      stopped(undefined);
      validateNeighbourRequest(request, d.name, d.capabilities.maxItems);
      const { signal, onProgress } = options;
      const s = await init(signal);
      const tables = await d.search(s, request, {
        signal,
        checkpoint: (done) => {
          stopped(signal);
          onProgress?.(done, request.numItems);
        },
      });
      stopped(signal);
      return tables;
    },
    dispose,
    [Symbol.asyncDispose]: dispose,
  };
}
