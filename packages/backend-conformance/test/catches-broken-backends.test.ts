// The suite must fail on non-conforming backends. A mutant of the CPU backend breaks the
// tie rule (larger id first on equal scores) and throws synchronously on invalid requests;
// every case listed below must FAIL (they run as it.fails), every other case must pass. The
// lifecycle cases fail too because their small random requests contain exact ties.
import { type Backend, type NeighbourSearchRequest, type NeighbourTable, type SearchOptions, throwIfAborted } from '@vi-mmrec/core/backend';
import { cpuBackend } from '@vi-mmrec/backend-cpu';
import { describeBackendConformance } from '../src/index.js';

function mutant(): Backend {
  const inner = cpuBackend();
  const flipTies = (t: NeighbourTable): NeighbourTable => {
    const { k, indices, scores } = t;
    for (let base = 0; base < indices.length; base += k) {
      for (let a = 0; a < k;) {
        let b = a;
        while (b + 1 < k && indices[base + b + 1]! >= 0 && scores[base + b + 1] === scores[base + a]) b++;
        indices.subarray(base + a, base + b + 1).reverse();
        a = b + 1;
      }
    }
    return t;
  };
  return {
    name: 'mutant',
    capabilities: inner.capabilities,
    init: async (signal?: AbortSignal) => inner.init(signal),
    // Not async on purpose: a synchronous throw on invalid input.
    // eslint-disable-next-line @typescript-eslint/promise-function-async
    searchNeighbours(request: NeighbourSearchRequest, options?: SearchOptions): Promise<NeighbourTable[]> {
      if (request.outputs.some((o) => o.k < 1)) throw new RangeError('k < 1');
      return inner.searchNeighbours(request, options).then((tables) => tables.map(flipTies));
    },
    dispose: async () => inner.dispose(),
    [Symbol.asyncDispose]: async () => inner.dispose(),
  };
}

const reason = { reason: 'deliberately broken (tie order / synchronous throw)' };
describeBackendConformance({
  name: 'mutant (must fail the listed cases)',
  create: mutant,
  numRuns: 20,
  knownFailures: {
    'golden/ties/duplicate-rows': reason,
    'golden/ties/all-identical': reason,
    'golden/ties/duplicate-rows-fused': reason,
    'golden/zero-rows/zero-in-one-part': reason,
    'golden/blocks/300-items-seed-1': reason,
    'differential/search-neighbours': reason,
    'differential/search-neighbours-wide': reason,
    'differential/search-neighbours-rows': reason,
    // (augment only uses neighbour *sets*, so a reordering inside the top-k cannot show there)
    'lifecycle/init-idempotent': reason,
    'lifecycle/init-concurrent': reason,
    'lifecycle/concurrent-searches': reason,
    'lifecycle/dispose': reason,
    'lifecycle/invalid-request': reason,
    'lifecycle/abort-single-block': reason,
    'lifecycle/init-abort': reason,
    'lifecycle/registry-abort': reason,
  },
});

/**
 * A backend that checks its signal only before starting (the bug of issue 12): it resolves a
 * search aborted while it runs and an init aborted while pending. The abort cases must fail.
 */
function ignoresAbort(): Backend {
  const inner = cpuBackend();
  return {
    name: 'ignores-abort',
    capabilities: inner.capabilities,
    init: async (signal?: AbortSignal) => {
      throwIfAborted(signal);
      await inner.init();
    },
    searchNeighbours: async (request: NeighbourSearchRequest, options: SearchOptions = {}) => {
      await inner.init();
      throwIfAborted(options.signal);
      return inner.searchNeighbours(request, options.onProgress === undefined ? {} : { onProgress: options.onProgress });
    },
    dispose: async () => inner.dispose(),
    [Symbol.asyncDispose]: async () => inner.dispose(),
  };
}

const ignores = { reason: 'deliberately broken (ignores an abort after the start)' };
describeBackendConformance({
  name: 'ignores-abort (must fail the listed cases)',
  create: ignoresAbort,
  numRuns: 5,
  knownFailures: {
    'lifecycle/abort-during': ignores,
    'lifecycle/abort-single-block': ignores,
    'lifecycle/init-abort': ignores,
  },
});

/** A backend that ignores a request's `rows` (searches and returns every item's rows). The rows case must fail. */
function ignoresRows(): Backend {
  const inner = cpuBackend();
  return {
    name: 'ignores-rows',
    capabilities: inner.capabilities,
    init: async (signal?: AbortSignal) => inner.init(signal),
    searchNeighbours: async ({ numItems, parts, outputs }: NeighbourSearchRequest, options?: SearchOptions) =>
      inner.searchNeighbours({ numItems, parts, outputs }, options),
    dispose: async () => inner.dispose(),
    [Symbol.asyncDispose]: async () => inner.dispose(),
  };
}

describeBackendConformance({
  name: 'ignores-rows (must fail the listed cases)',
  create: ignoresRows,
  numRuns: 5,
  knownFailures: { 'differential/search-neighbours-rows': { reason: 'deliberately broken (ignores request.rows)' } },
});
