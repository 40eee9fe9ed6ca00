// The results file the suite writes for the conformance matrix (CONFORMANCE_RESULTS_ENV): one per
// suite, every case with its outcome. Checked after the suites ran (a file-level afterAll runs
// after theirs).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import type { Backend } from '@vi-mmrec/core/backend';
import { cpuBackend } from '@vi-mmrec/backend-cpu';
import { CONFORMANCE_RESULTS_ENV, type ConformanceResults, describeBackendConformance } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'conformance-results-'));
const previous = process.env[CONFORMANCE_RESULTS_ENV];
process.env[CONFORMANCE_RESULTS_ENV] = dir;

/** Declares maxItems 100 but does not enforce it: `lifecycle/max-items` fails, 300-item goldens are gated. */
function overpromising(): Backend {
  const inner = cpuBackend({ threads: 1 });
  return {
    name: 'overpromising',
    capabilities: { ...inner.capabilities, maxItems: 100 },
    init: async (signal?: AbortSignal) => inner.init(signal),
    searchNeighbours: async (request, options) => inner.searchNeighbours(request, options),
    dispose: async () => inner.dispose(),
    [Symbol.asyncDispose]: async () => inner.dispose(),
  };
}

describeBackendConformance({
  name: 'results-overpromising',
  create: overpromising,
  numRuns: 4,
  knownFailures: { 'lifecycle/max-items': { reason: 'maxItems declared, not enforced' } },
});
describeBackendConformance({ name: 'results-unavailable', create: () => cpuBackend({ threads: 1 }), isAvailable: async () => false });

const read = (name: string): ConformanceResults => JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as ConformanceResults;

afterAll(() => {
  if (previous === undefined) delete process.env[CONFORMANCE_RESULTS_ENV];
  else process.env[CONFORMANCE_RESULTS_ENV] = previous;
  try {
    const r = read('results-overpromising');
    expect(r.available).toBe(true);
    expect(r.capabilities.maxItems).toBe(100);
    expect(r.testFile).toMatch(/results\.test\.ts$/);
    const outcome = (id: string): string | undefined => r.cases.find((c) => c.id === id)?.outcome;
    expect(outcome('lifecycle/max-items')).toBe('known-failure');
    expect(r.cases.find((c) => c.id === 'lifecycle/max-items')?.reason).toBe('maxItems declared, not enforced');
    expect(outcome('golden/blocks/300-items-seed-1')).toBe('skipped');
    expect(r.cases.find((c) => c.id === 'golden/blocks/300-items-seed-1')?.reason).toBe('capability');
    expect(outcome('golden/basic/plane-k1')).toBe('passed');
    expect(outcome('lifecycle/progress')).toBe('passed');
    expect(r.cases.filter((c) => c.outcome === 'passed').length).toBe(r.cases.length - 2);
    expect(new Set(r.cases.map((c) => c.id)).size).toBe(r.cases.length);
    expect(r.cases.every((c) => c.title.length > 0)).toBe(true);

    const u = read('results-unavailable');
    expect(u.available).toBe(false);
    expect(u.cases.map((c) => c.id)).toEqual(r.cases.map((c) => c.id));
    expect(u.cases.every((c) => c.outcome === 'skipped' && c.reason === 'unavailable')).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
