// A backend written the way docs/contributing/writing-a-backend.md tells adapter authors: the
// imports are that page's, word for word (the publish test checks it). Compiled with `strict`
// and `skipLibCheck: false`; nothing here may become `any`.
import {
  type Backend, type BackendCapabilities, type BackendFactory,
  type NeighbourSearchRequest, type NeighbourTable, type SearchOptions,
  writeNormalizedRows, outputValidity, emptyNeighbourTable, TopKSelector,
  validateNeighbourRequest, throwIfAborted,
} from '@vi-mmrec/core/backend';
import { BackendDisposedError, BackendInitError, AbortedError } from '@vi-mmrec/core';
import { augment, isViMmrecError, registerBackend, resolveBackend } from '@vi-mmrec/core';

const NAME = 'brute-force';

/** Options of {@link bruteForceBackend}. */
export interface BruteForceOptions {
  /** Rows per block between progress reports and abort checks. */
  readonly blockRows?: number;
}

class BruteForceBackend implements Backend {
  readonly name = NAME;
  readonly capabilities: BackendCapabilities = { device: 'cpu', floatPrecision: 32 };
  readonly #blockRows: number;
  #init: Promise<void> | undefined;
  #disposed = false;

  constructor(options: BruteForceOptions) {
    this.#blockRows = options.blockRows ?? 256;
  }

  async init(signal?: AbortSignal): Promise<void> {
    if (this.#disposed) throw new BackendDisposedError(NAME);
    this.#init ??= (async () => {
      try {
        throwIfAborted(signal);
      } catch (error) {
        if (isViMmrecError(error, 'ABORTED')) throw error;
        throw new BackendInitError(NAME, `Backend '${NAME}' could not start.`, { cause: error });
      }
    })();
    return this.#init;
  }

  async searchNeighbours(request: NeighbourSearchRequest, options: SearchOptions = {}): Promise<NeighbourTable[]> {
    if (this.#disposed) throw new BackendDisposedError(NAME);
    validateNeighbourRequest(request, NAME, this.capabilities.maxItems);
    throwIfAborted(options.signal);
    const { numItems, parts, outputs } = request;
    const unit = parts.map((p) => new Float32Array(numItems * p.dim));
    const nonzero = parts.map((p, i) => writeNormalizedRows(p, numItems, unit[i]!));
    const valid = outputs.map((o) => outputValidity(nonzero, o.parts, numItems));
    const tables = outputs.map((o) => emptyNeighbourTable(numItems, o.k));
    const selectors = outputs.map((o) => new TopKSelector(o.k));
    for (let start = 0; start < numItems; start += this.#blockRows) {
      if (options.signal?.aborted === true) throw new AbortedError(undefined, { cause: options.signal.reason });
      const end = Math.min(numItems, start + this.#blockRows);
      for (let i = start; i < end; i++) {
        outputs.forEach((output, q) => {
          const top = selectors[q]!;
          top.reset();
          if (valid[q]![i] === 1) {
            for (let j = 0; j < numItems; j++) {
              if (j === i || valid[q]![j] !== 1) continue;
              let score = 0;
              for (const p of output.parts) {
                const dim = parts[p]!.dim;
                const x = unit[p]!;
                for (let d = 0; d < dim; d++) score += x[i * dim + d]! * x[j * dim + d]!;
              }
              top.push(j, score);
            }
          }
          top.drainSorted(tables[q]!.indices, tables[q]!.scores, i * output.k);
        });
      }
      options.onProgress?.(end, numItems);
    }
    throwIfAborted(options.signal);
    return tables;
  }

  async dispose(): Promise<void> {
    this.#disposed = true;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

/** Creates the brute-force backend (cheap: nothing is loaded before `init()`). */
export function bruteForceBackend(options: BruteForceOptions = {}): Backend {
  return new BruteForceBackend(options);
}

/** The registry entry: opt-in only (negative priority). */
export const bruteForceBackendFactory: BackendFactory = {
  name: NAME,
  priority: -1,
  description: 'exact, single-threaded JavaScript (an example)',
  isAvailable: async () => true,
  create: () => bruteForceBackend(),
};

registerBackend(bruteForceBackendFactory);
const backend: Backend = await resolveBackend([NAME]);
const result = await augment(
  { numUsers: 1, numItems: 2, train: { users: Int32Array.of(0), items: Int32Array.of(0) }, modalities: [{ kind: 'dense', name: 'image', features: Float32Array.of(1, 0, 1, 0.1), dim: 2 }] },
  { strategy: 'overlay', k: 1, lambda: 1, backend },
);
export const virtualPairs: number = result.summary.counts.virtualOnly;

// ---- defineBackend -----------------------------------------------------------------------------
// PLACEHOLDER for the lead: once `@vi-mmrec/core/backend` exports `defineBackend`, write the same
// backend with it here (as docs/contributing/writing-a-backend.md will show), add `defineBackend`
// to the `typed(…)` list below and one `// @ts-expect-error` misuse of it.
// ------------------------------------------------------------------------------------------------

// The helpers are typed, not `any`: `typed` accepts no `any`, and each misuse below must be an
// error (an unused `@ts-expect-error` is an error itself).
type IsAny<T> = 0 extends 1 & T ? true : false;
function typed<T>(value: T & (IsAny<T> extends true ? never : unknown)): T {
  return value;
}
typed(writeNormalizedRows);
typed(outputValidity);
typed(emptyNeighbourTable);
typed(TopKSelector);
typed(validateNeighbourRequest);
typed(throwIfAborted);
typed(BackendDisposedError);
typed(BackendInitError);
typed(AbortedError);
typed(registerBackend);
typed<BackendFactory>(bruteForceBackendFactory);
// @ts-expect-error throwIfAborted takes an AbortSignal
throwIfAborted('aborted');
// @ts-expect-error TopKSelector takes k, a number
new TopKSelector('10');
// @ts-expect-error writeNormalizedRows reads a FeatureBlock of typed arrays
writeNormalizedRows({ data: [1, 0], dim: 2 }, 1, new Float32Array(2));
// @ts-expect-error outputValidity takes the indices of the output's parts
outputValidity([new Uint8Array(1)], 'all', 1);
// @ts-expect-error emptyNeighbourTable needs k
emptyNeighbourTable(1);
// @ts-expect-error validateNeighbourRequest takes a whole request
validateNeighbourRequest({ numItems: 1 }, NAME);
// @ts-expect-error a factory needs a priority
const noPriority: BackendFactory = { name: NAME, create: () => bruteForceBackend() };
void noPriority;
