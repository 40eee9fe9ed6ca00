// A backend written the way docs/contributing/writing-a-backend.md tells adapter authors: the
// imports are that page's, word for word (the publish test checks it). Compiled with `strict`
// and `skipLibCheck: false`; nothing here may become `any`.
import {
  type Backend,
  type BackendDefinition,
  type SearchContext,
  type NeighbourSearchRequest,
  type NeighbourTable,
  defineBackend,
  positiveIntegerOption,
  writeNormalizedRows,
  outputValidity,
  emptyNeighbourTable,
  TopKSelector,
} from '@vi-mmrec/core/backend';
import { BackendInitError } from '@vi-mmrec/core';
import { augment, registerBackend, resolveBackend, type BackendFactory } from '@vi-mmrec/core';
import { typed } from './typed.js';

const NAME = 'brute-force';

/** Options of {@link bruteForceBackend}. */
export interface BruteForceOptions {
  /** Rows per block between progress reports and abort checks. */
  readonly blockRows?: number;
}

/** Exact brute-force search: only the compute; defineBackend owns the lifecycle. */
async function search(blockRows: number, request: NeighbourSearchRequest, ctx: SearchContext): Promise<NeighbourTable[]> {
  const { numItems, parts, outputs } = request;
  const unit = parts.map((p) => new Float32Array(numItems * p.dim));
  const nonzero = parts.map((p, i) => writeNormalizedRows(p, numItems, unit[i]!));
  const valid = outputs.map((o) => outputValidity(nonzero, o.parts, numItems));
  const tables = outputs.map((o) => emptyNeighbourTable(numItems, o.k));
  const selectors = outputs.map((o) => new TopKSelector(o.k));
  for (let start = 0; start < numItems; start += blockRows) {
    const end = Math.min(numItems, start + blockRows);
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
    ctx.checkpoint(end);
  }
  return tables;
}

/** Creates the brute-force backend (cheap: nothing is loaded before `init()`). */
export function bruteForceBackend(options: BruteForceOptions = {}): Backend {
  const blockRows = positiveIntegerOption('bruteForceBackend', 'blockRows', options.blockRows) ?? 256;
  const definition: BackendDefinition<{ ready: true }> = {
    name: NAME,
    capabilities: { device: 'cpu', floatPrecision: 32 },
    init: async (signal) => {
      if (signal?.aborted === true) throw new BackendInitError(NAME, `Backend '${NAME}' was aborted.`);
      return { ready: true };
    },
    search: async (_state, request, ctx) => search(blockRows, request, ctx),
  };
  return defineBackend(definition);
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
  {
    numUsers: 1,
    numItems: 2,
    train: { users: Int32Array.of(0), items: Int32Array.of(0) },
    modalities: [{ kind: 'dense', name: 'image', features: Float32Array.of(1, 0, 1, 0.1), dim: 2 }],
  },
  { strategy: 'overlay', k: 1, lambda: 1, backend },
);
export const virtualPairs: number = result.summary.counts.virtualOnly;

// The helpers are typed, not `any`: `typed` accepts no `any`, and each misuse below must be an
// error (an unused `@ts-expect-error` is an error itself).
typed(writeNormalizedRows);
typed(outputValidity);
typed(emptyNeighbourTable);
typed(TopKSelector);
typed(defineBackend);
typed(positiveIntegerOption);
typed(BackendInitError);
typed(registerBackend);
typed<BackendFactory>(bruteForceBackendFactory);
// @ts-expect-error defineBackend needs a search function
defineBackend({ name: NAME, capabilities: { device: 'cpu', floatPrecision: 32 }, init: async () => 1 });
// @ts-expect-error TopKSelector takes k, a number
new TopKSelector('10');
// @ts-expect-error writeNormalizedRows reads a FeatureBlock of typed arrays
writeNormalizedRows({ data: [1, 0], dim: 2 }, 1, new Float32Array(2));
// @ts-expect-error outputValidity takes the indices of the output's parts
outputValidity([new Uint8Array(1)], 'all', 1);
// @ts-expect-error emptyNeighbourTable needs k
emptyNeighbourTable(1);
// @ts-expect-error positiveIntegerOption takes the factory and option names first
positiveIntegerOption(4);
// @ts-expect-error a factory needs a priority
const noPriority: BackendFactory = { name: NAME, create: () => bruteForceBackend() };
void noPriority;
