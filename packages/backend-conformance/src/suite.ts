import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { augment, isViMmrecError, registerBackend, resolveBackend } from '@vi-mmrec/core';
import type { ViMmrecErrorCode } from '@vi-mmrec/core';
import type { Backend, BackendCapabilities, BackendFactory, NeighbourSearchRequest, NeighbourTable } from '@vi-mmrec/core/backend';
import {
  augmentCaseArb,
  compareAugmentResults,
  compareNeighbourTables,
  createRng,
  neighbourRequestArb,
  randomNeighbourRequest,
  referenceAugment,
  referenceNeighbours,
  relTolForPrecision,
  scoreTolerance,
} from '@vi-mmrec/test-utils';
import type { ReferenceNeighbourTable } from '@vi-mmrec/test-utils';
import { MIN_APPROXIMATE_RECALL, type RecallTally, compareApproximateTables, recallOf } from './approximate.js';
import { type GoldenCase, goldenReference, goldenRequest, loadGoldenFiles } from './cases.js';
import { type CaseResult, writeConformanceResults } from './results.js';

/** A case the backend is known to fail: it runs as `it.fails`, so a fix turns it red. */
export interface KnownFailure {
  /** Why it fails (shown in the test name). */
  readonly reason: string;
  /** Link to the tracking issue. */
  readonly issue?: string;
}

/** Options of {@link describeBackendConformance}. */
export interface ConformanceOptions {
  /** Label of the describe block (usually the backend name). */
  readonly name: string;
  /** Creates a new, uninitialised backend (called once per lifecycle test, plus one shared instance). */
  readonly create: () => Backend;
  /** Case id → reason; see the ids printed in the test names (e.g. `'golden/ties/duplicate-rows'`). */
  readonly knownFailures?: Readonly<Record<string, KnownFailure>>;
  /** When it resolves false, every test is skipped (or fails, see `requireAvailable`). */
  readonly isAvailable?: () => Promise<boolean>;
  /** Treat "unavailable" as a failure (default: `VI_MMREC_REQUIRE_GPU === '1'`). */
  readonly requireAvailable?: boolean;
  /** fast-check runs per differential property (default 40). */
  readonly numRuns?: number;
  /** fast-check seed (default fixed, so runs are reproducible). */
  readonly seed?: number;
  /** Per-test timeout in ms (default 60 000). */
  readonly timeout?: number;
}

const DEFAULT_SEED = 0x5eed;
/** Suffix making the registry names of the registry-abort case unique within a process. */
let registered = 0;

async function rejection(promise: unknown): Promise<unknown> {
  if (!(promise instanceof Promise)) return new Error(`expected a promise, got ${typeof promise}`);
  try {
    await promise;
    return new Error('expected a rejection, but the promise resolved');
  } catch (e) {
    return e;
  }
}

/**
 * Runs `call` (which must *start* an async operation and hand back its promise in a box, so
 * that a synchronous throw is observable), asserting it does not throw synchronously and that
 * the promise rejects with a vi-mmrec error of `code`.
 */
async function rejectsWith(call: () => { promise: unknown }, code: ViMmrecErrorCode, what: string): Promise<void> {
  let promise: unknown;
  try {
    promise = call().promise;
  } catch (e) {
    throw new Error(`${what}: threw synchronously (${String(e)}); async methods must return a rejected promise`);
  }
  const e = await rejection(promise);
  if (!isViMmrecError(e, code)) {
    throw new Error(`${what}: expected a rejection with code ${code}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
}

/** Differences between a table and a golden `'exact-ids'` expectation, or undefined. */
function compareExact(actual: NeighbourTable, c: GoldenCase, o: number, relTol: number): string | undefined {
  const exp = c.expected[o]!;
  const terms = c.input.outputs[o]!.parts.length;
  const n = c.input.numItems;
  const k = exp.k;
  if (actual.k !== k) return `output ${o}: k is ${actual.k}, expected ${k}`;
  if (actual.indices.length !== n * k || actual.scores.length !== n * k)
    return `output ${o}: expected ${n * k} entries, got ${actual.indices.length}`;
  for (let i = 0; i < n; i++) {
    const got = Array.from(actual.indices.subarray(i * k, (i + 1) * k));
    const want = exp.indices.slice(i * k, (i + 1) * k);
    if (got.some((j, t) => j !== want[t])) return `output ${o}, row ${i}: neighbours [${got.join(', ')}], expected [${want.join(', ')}]`;
    for (let t = 0; t < k; t++) {
      const e = exp.scores[i * k + t] ?? -Infinity;
      const a = actual.scores[i * k + t]!;
      const ok = e === -Infinity ? a === -Infinity : Math.abs(a - e) <= scoreTolerance(e, terms, relTol);
      if (!ok) return `output ${o}, row ${i}, slot ${t}: score ${a}, expected ${e}`;
    }
  }
  return undefined;
}

function snapshot(request: NeighbourSearchRequest): Array<Float32Array | Float64Array> {
  return request.parts.map((p) => p.data.slice());
}

/**
 * Registers the shared conformance suite of vi-mmrec backends as a vitest `describe` block:
 * golden cases (`cases/*.json`), differential property tests against the float64 reference
 * (`searchNeighbours` and a full `augment`), and the lifecycle contract. Tests are gated by
 * `capabilities`, never by backend name; `knownFailures` run as `it.fails`.
 *
 * Approximate backends (`capabilities.exact === false`) run every case too, judged by
 * recall instead of exact neighbour sets: each returned row must satisfy every other rule
 * (scores equal to the reference within float tolerance, no self, no invalid item, no
 * repeats, descending order with smaller ids first on equal scores, padding last), and the
 * tie-aware recall@k pooled over each test must reach `MIN_APPROXIMATE_RECALL`; the
 * `augment()` differentials must agree with the reference in that fraction of runs.
 *
 * @example
 * ```ts
 * import { describeBackendConformance } from '@vi-mmrec/backend-conformance';
 * import { cpuBackend } from '../src/index.js';
 * describeBackendConformance({ name: 'cpu', create: () => cpuBackend() });
 * ```
 */
export function describeBackendConformance(options: ConformanceOptions): void {
  const { name, create } = options;
  const knownFailures = options.knownFailures ?? {};
  const numRuns = options.numRuns ?? 40;
  const seed = options.seed ?? DEFAULT_SEED;
  const timeout = options.timeout ?? 60_000;
  const requireAvailable = options.requireAvailable ?? process.env.VI_MMREC_REQUIRE_GPU === '1';
  const ids = new Set<string>();
  /** Case id → title and outcome, for the results file (see CONFORMANCE_RESULTS_ENV). */
  const outcomes = new Map<string, Omit<CaseResult, 'id'>>();
  const created: Backend[] = [];
  const fresh = (): Backend => {
    const b = create();
    created.push(b);
    return b;
  };

  describe(`backend conformance: ${name}`, () => {
    // Capabilities may only be final after init() (e.g. the device a runtime picked), so they
    // are read again then, and capability gates are evaluated when each test runs.
    const shared = fresh();
    let caps: BackendCapabilities = shared.capabilities;
    let relTol = relTolForPrecision(caps.floatPrecision);
    let available = true;
    /**
     * Checks one table against the reference: exactly for exact backends; for approximate
     * ones every rule but the neighbour set, adding the row hits to `tally` (asserted by
     * `expectRecall`).
     */
    const check = (actual: NeighbourTable, ref: ReferenceNeighbourTable, label: string, tally: RecallTally): string | undefined =>
      caps.exact === false
        ? compareApproximateTables(actual, ref, { relTol, label }, tally)
        : compareNeighbourTables(actual, ref, { relTol, label });
    const newTally = (): RecallTally => ({ hits: 0, expected: 0 });
    const expectRecall = (tally: RecallTally, what: string): void => {
      if (caps.exact === false)
        expect(recallOf(tally), `${what}: recall@k (${tally.hits}/${tally.expected})`).toBeGreaterThanOrEqual(MIN_APPROXIMATE_RECALL);
    };

    beforeAll(async () => {
      available = options.isAvailable === undefined ? true : await options.isAvailable();
      if (!available && requireAvailable)
        throw new Error(`backend '${name}' is not available, and availability is required (VI_MMREC_REQUIRE_GPU=1)`);
      if (available) {
        await shared.init();
        caps = shared.capabilities;
        relTol = relTolForPrecision(caps.floatPrecision);
      }
    }, timeout);
    afterAll(async () => {
      const testFile = expect.getState().testPath;
      writeConformanceResults({
        backend: name,
        ...(testFile === undefined ? {} : { testFile }),
        available,
        capabilities: caps,
        cases: [...ids].map((id) => ({ id, ...(outcomes.get(id) ?? { title: '', outcome: 'not-run' as const }) })),
      });
      await Promise.all(created.map(async (b) => b.dispose()));
    });

    const test = (id: string, title: string, fn: () => Promise<void>, skip: () => boolean = () => false): void => {
      if (ids.has(id)) throw new Error(`duplicate conformance case id ${id}`);
      ids.add(id);
      outcomes.set(id, { title, outcome: 'not-run' });
      const kf = knownFailures[id];
      const label =
        kf === undefined
          ? `${id}: ${title}`
          : `${id}: ${title} [known failure: ${kf.reason}${kf.issue === undefined ? '' : `, ${kf.issue}`}]`;
      // Gated by capability when the test runs (ctx.skip); known failures run as it.fails (a fix turns them red).
      const runner = kf === undefined ? it : it.fails;
      runner(
        label,
        async (ctx) => {
          if (!available || skip()) {
            outcomes.set(id, { title, outcome: 'skipped', reason: available ? 'capability' : 'unavailable' });
            ctx.skip();
          }
          try {
            await fn();
          } catch (e) {
            outcomes.set(id, kf === undefined ? { title, outcome: 'failed' } : { title, outcome: 'known-failure', reason: kf.reason });
            throw e;
          }
          // A known failure that passes fails the test (it.fails): the entry must go.
          outcomes.set(
            id,
            kf === undefined ? { title, outcome: 'passed' } : { title, outcome: 'failed', reason: 'listed as a known failure but passes' },
          );
        },
        timeout,
      );
    };

    describe('capabilities', () => {
      test('capabilities/descriptor', 'name and capabilities are well-formed', async () => {
        expect(typeof shared.name).toBe('string');
        expect(shared.name.length).toBeGreaterThan(0);
        expect(['cpu', 'gpu']).toContain(caps.device);
        expect([16, 32, 64]).toContain(caps.floatPrecision);
        if (caps.maxItems !== undefined) expect(Number.isInteger(caps.maxItems) && caps.maxItems > 0).toBe(true);
        if (caps.exact !== undefined) expect(typeof caps.exact).toBe('boolean');
      });
    });

    describe('golden cases', () => {
      for (const file of loadGoldenFiles()) {
        describe(file.scenario, () => {
          for (const c of file.cases) {
            const tooLarge = (): boolean => caps.maxItems !== undefined && c.input.numItems > caps.maxItems;
            const tooCoarse = (): boolean => c.minFloatPrecision !== undefined && caps.floatPrecision < c.minFloatPrecision;
            test(
              `golden/${c.id}`,
              c.description,
              async () => {
                const request = goldenRequest(c);
                const before = snapshot(request);
                const tables = await shared.searchNeighbours(request);
                expect(tables.length, 'one table per output').toBe(c.expected.length);
                const tally = newTally();
                tables.forEach((t, o) => {
                  const msg =
                    caps.exact === false
                      ? check(
                          t,
                          c.tolerance === 'exact-ids' ? referenceNeighbours(request)[o]! : goldenReference(c, o),
                          `output ${o}`,
                          tally,
                        )
                      : c.tolerance === 'exact-ids'
                        ? compareExact(t, c, o, relTol)
                        : compareNeighbourTables(t, goldenReference(c, o), { relTol, label: `output ${o}` });
                  expect(msg, c.id).toBeUndefined();
                });
                expectRecall(tally, c.id);
                expect(snapshot(request), 'the request data must not be modified').toEqual(before);
              },
              () => tooLarge() || tooCoarse(),
            );
          }
        });
      }
    });

    describe('differential (vs float64 reference)', () => {
      const checkSearch =
        (tally: RecallTally) =>
        async (request: NeighbourSearchRequest): Promise<void> => {
          const tables = await shared.searchNeighbours(request);
          expect(tables.length).toBe(request.outputs.length);
          referenceNeighbours(request).forEach((ref, o) => {
            expect(check(tables[o]!, ref, `output ${o}`, tally)).toBeUndefined();
          });
        };
      test(
        'differential/search-neighbours',
        'small random requests: ties, zero rows, k ≥ I, 1–3 parts and outputs, float32/float64',
        async () => {
          const tally = newTally();
          await fc.assert(fc.asyncProperty(neighbourRequestArb(), checkSearch(tally)), { seed, numRuns });
          expectRecall(tally, 'all runs');
        },
      );
      test('differential/search-neighbours-wide', 'wider features (dim ≤ 64) and more items (≤ 40)', async () => {
        const tally = newTally();
        await fc.assert(fc.asyncProperty(neighbourRequestArb({ maxItems: 40, maxDim: 64, maxParts: 2 }), checkSearch(tally)), {
          seed: seed + 1,
          numRuns: Math.ceil(numRuns / 2),
        });
        expectRecall(tally, 'all runs');
      });
      test(
        'differential/search-neighbours-rows',
        'a query range `rows` (empty, partial or every item): the rows of those items, searched among all items',
        async () => {
          const tally = newTally();
          await fc.assert(fc.asyncProperty(neighbourRequestArb({ maxItems: 30, rows: true }), checkSearch(tally)), {
            seed: seed + 3,
            numRuns,
          });
          expectRecall(tally, 'all runs');
        },
      );
      for (const mix of ['dense', 'mixed'] as const) {
        test(
          `differential/augment-${mix}`,
          `augment() with this backend vs referenceAugment (${mix} modalities, overlay/synergistic × modality-mean/density)`,
          async () => {
            if (caps.exact === false) {
              // Approximate neighbour sets change the virtual interactions: count agreeing runs.
              const runs = fc.sample(augmentCaseArb({ mixes: [mix] }), { seed: seed + 2, numRuns });
              let agree = 0;
              for (const { input, options: o } of runs) {
                const result = await augment(input, { ...o, backend: shared });
                if (compareAugmentResults(result, referenceAugment(input, o), { relTol, lambda: o.lambda }).message === undefined) agree++;
              }
              expect(agree / runs.length, `runs agreeing with the reference (${agree}/${runs.length})`).toBeGreaterThanOrEqual(
                MIN_APPROXIMATE_RECALL,
              );
              return;
            }
            let strict = 0;
            await fc.assert(
              fc.asyncProperty(augmentCaseArb({ mixes: [mix] }), async ({ input, options: o }) => {
                const result = await augment(input, { ...o, backend: shared });
                const cmp = compareAugmentResults(result, referenceAugment(input, o), { relTol, lambda: o.lambda });
                expect(cmp.message).toBeUndefined();
                if (cmp.strict) strict++;
              }),
              { seed: seed + 2, numRuns },
            );
            // Most runs must be compared exactly, or the property would be vacuous.
            expect(strict).toBeGreaterThanOrEqual(Math.floor(numRuns / 2));
          },
        );
      }
    });

    describe('lifecycle contract', () => {
      const small = randomNeighbourRequest(createRng(seed), { numItems: 9, numParts: 2, numOutputs: 2 });
      const expectConforming = (tables: NeighbourTable[], request: NeighbourSearchRequest): void => {
        const tally = newTally();
        referenceNeighbours(request).forEach((ref, o) => expect(check(tables[o]!, ref, `output ${o}`, tally)).toBeUndefined());
        expectRecall(tally, 'this request');
      };
      const checkSmall = async (b: Backend): Promise<void> => expectConforming(await b.searchNeighbours(small), small);
      test('lifecycle/init-idempotent', 'init() twice resolves and the backend works', async () => {
        const b = fresh();
        await b.init();
        await b.init();
        await checkSmall(b);
        await b.dispose();
      });
      test('lifecycle/init-concurrent', 'concurrent init() calls resolve and the backend works', async () => {
        const b = fresh();
        await Promise.all([b.init(), b.init(), b.init()]);
        await checkSmall(b);
        await b.dispose();
      });
      test('lifecycle/concurrent-searches', 'overlapping searchNeighbours() calls on one backend are both correct', async () => {
        const other = randomNeighbourRequest(createRng(seed + 5), { numItems: 30, numParts: 3, numOutputs: 3 });
        const [a, b] = await Promise.all([shared.searchNeighbours(other), shared.searchNeighbours(small)]);
        expectConforming(a, other);
        expectConforming(b, small);
      });
      test('lifecycle/dispose', 'dispose() is idempotent; every later call rejects with BackendDisposedError', async () => {
        const b = fresh();
        await b.init();
        await checkSmall(b);
        await b.dispose();
        await b.dispose();
        await rejectsWith(() => ({ promise: b.searchNeighbours(small) }), 'BACKEND_DISPOSED', 'searchNeighbours after dispose');
        await rejectsWith(() => ({ promise: b.init() }), 'BACKEND_DISPOSED', 'init after dispose');
      });
      test('lifecycle/dispose-uninitialised', 'dispose() without init() resolves; later use rejects', async () => {
        const b = fresh();
        await b.dispose();
        await rejectsWith(() => ({ promise: b.searchNeighbours(small) }), 'BACKEND_DISPOSED', 'searchNeighbours after dispose');
      });
      test('lifecycle/async-dispose', '[Symbol.asyncDispose]() disposes', async () => {
        const b = fresh();
        await b.init();
        await b[Symbol.asyncDispose]();
        await rejectsWith(() => ({ promise: b.searchNeighbours(small) }), 'BACKEND_DISPOSED', 'searchNeighbours after asyncDispose');
      });
      const invalid: Array<[string, NeighbourSearchRequest]> = [
        ['k = 0', { ...small, outputs: [{ parts: [0], k: 0 }] }],
        ['k = 1.5', { ...small, outputs: [{ parts: [0], k: 1.5 }] }],
        ['part index out of range', { ...small, outputs: [{ parts: [2], k: 1 }] }],
        ['output without parts', { ...small, outputs: [{ parts: [], k: 1 }] }],
        ['data length ≠ numItems × dim', { numItems: 3, parts: [{ dim: 2, data: new Float32Array(5) }], outputs: [{ parts: [0], k: 1 }] }],
        ['dim = 0', { numItems: 3, parts: [{ dim: 0, data: new Float32Array(0) }], outputs: [{ parts: [0], k: 1 }] }],
        ['numItems = -1', { numItems: -1, parts: [{ dim: 1, data: new Float32Array(0) }], outputs: [{ parts: [0], k: 1 }] }],
      ];
      test('lifecycle/invalid-request', 'malformed requests reject with InvalidArgumentError (never a synchronous throw)', async () => {
        for (const [what, request] of invalid)
          await rejectsWith(() => ({ promise: shared.searchNeighbours(request) }), 'INVALID_ARGUMENT', what);
      });
      test('lifecycle/abort-before', 'an already aborted signal rejects with AbortedError', async () => {
        const controller = new AbortController();
        controller.abort();
        await rejectsWith(() => ({ promise: shared.searchNeighbours(small, { signal: controller.signal }) }), 'ABORTED', 'aborted signal');
      });
      const big = (): NeighbourSearchRequest =>
        randomNeighbourRequest(createRng(seed + 3), { numItems: 3000, numParts: 1, numOutputs: 1, maxDim: 8, maxK: 4 });
      test('lifecycle/abort-during', 'aborting from a progress callback rejects with AbortedError', async () => {
        const controller = new AbortController();
        let first: [number, number] | undefined;
        const promise = shared.searchNeighbours(big(), {
          signal: controller.signal,
          onProgress: (done, total) => {
            if (first === undefined) {
              first = [done, total];
              controller.abort();
            }
          },
        });
        const outcome = await promise.then(
          () => 'resolved although aborted',
          (e: unknown) => e,
        );
        expect(first, 'onProgress was never called').toBeDefined();
        expect(isViMmrecError(outcome, 'ABORTED'), String(outcome)).toBe(true);
      });
      test(
        'lifecycle/abort-single-block',
        'a search aborted during its only (or last) block rejects with AbortedError; the backend stays usable',
        async () => {
          const b = fresh();
          const controller = new AbortController();
          let calls = 0;
          const outcome = await b
            .searchNeighbours(small, {
              signal: controller.signal,
              onProgress: () => {
                calls++;
                controller.abort();
              },
            })
            .then(
              () => 'resolved although aborted',
              (e: unknown) => e,
            );
          expect(calls, 'onProgress was never called').toBeGreaterThan(0);
          expect(isViMmrecError(outcome, 'ABORTED'), String(outcome)).toBe(true);
          await checkSmall(b);
          await b.dispose();
        },
      );
      test(
        'lifecycle/init-abort',
        'init(signal) rejects with AbortedError when aborted; a later init() succeeds (an aborted init is never cached)',
        async () => {
          const b = fresh();
          await rejectsWith(() => ({ promise: b.init(AbortSignal.abort()) }), 'ABORTED', 'init with an aborted signal');
          const controller = new AbortController();
          const pending = b.init(controller.signal);
          controller.abort();
          await rejectsWith(() => ({ promise: pending }), 'ABORTED', 'init aborted while pending');
          await b.init();
          await checkSmall(b);
          await b.dispose();
        },
      );
      test('lifecycle/registry-abort', 'an aborted resolveBackend() does not poison the backend in the registry', async () => {
        const factory: BackendFactory = { name: `conformance-${name}-${registered++}`, priority: -1, create: fresh };
        registerBackend(factory);
        const controller = new AbortController();
        const aborted = resolveBackend([factory.name], { signal: controller.signal });
        controller.abort();
        // Either outcome is allowed here (init may finish first); what matters is the next call.
        await aborted.catch((e: unknown) => expect(isViMmrecError(e, 'ABORTED'), String(e)).toBe(true));
        await checkSmall(await resolveBackend([factory.name]));
      });
      test('lifecycle/progress', 'onProgress reports monotone rows out of numItems and ends at numItems', async () => {
        const request = big();
        const calls: Array<[number, number]> = [];
        await shared.searchNeighbours(request, { onProgress: (done, total) => calls.push([done, total]) });
        expect(calls.length).toBeGreaterThan(0);
        calls.forEach(([done, total], t) => {
          expect(total).toBe(request.numItems);
          expect(done).toBeGreaterThanOrEqual(t === 0 ? 0 : calls[t - 1]![0]);
          expect(done).toBeLessThanOrEqual(total);
        });
        expect(calls.at(-1)![0]).toBe(request.numItems);
      });
      test(
        'lifecycle/max-items',
        'a request above capabilities.maxItems rejects with UnsupportedOperationError',
        async () => {
          const n = caps.maxItems! + 1;
          await rejectsWith(
            () => ({
              promise: shared.searchNeighbours({
                numItems: n,
                parts: [{ dim: 1, data: new Float32Array(n).fill(1) }],
                outputs: [{ parts: [0], k: 1 }],
              }),
            }),
            'UNSUPPORTED_OPERATION',
            'numItems > maxItems',
          );
        },
        () => caps.maxItems === undefined || caps.maxItems > 1_000_000,
      );
    });

    describe('suite', () => {
      it('every knownFailures entry names an existing case', () => {
        const stale = Object.keys(knownFailures).filter((id) => !ids.has(id));
        expect(stale, `unknown case ids in knownFailures (known: ${[...ids].join(', ')})`).toEqual([]);
      });
    });
  });
}
