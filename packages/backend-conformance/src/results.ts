import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendCapabilities } from '@vi-mmrec/core/backend';

/**
 * Environment variable naming a directory: when set, {@link describeBackendConformance} writes
 * one {@link ConformanceResults} file per backend there (`<name>.json`) after its cases ran.
 * `npm test` sets it and generates docs/backends/conformance-matrix.md from the files.
 */
export const CONFORMANCE_RESULTS_ENV = 'VI_MMREC_CONFORMANCE_RESULTS';

/**
 * Outcome of one case: `passed`; `failed`; `known-failure` (listed in `knownFailures` and
 * failing as expected); `skipped` (gated by a capability, or the backend is unavailable); or
 * `not-run` (filtered out of this run, e.g. by `vitest -t`).
 */
export type CaseOutcome = 'passed' | 'failed' | 'known-failure' | 'skipped' | 'not-run';

/** One case of one backend's run. */
export interface CaseResult {
  /** Case id, e.g. `golden/ties/duplicate-rows`. */
  readonly id: string;
  /** What the case checks (the test title after the id). */
  readonly title: string;
  /** See {@link CaseOutcome}. */
  readonly outcome: CaseOutcome;
  /** Why: the known failure's reason, or what gated a skip (`unavailable`, `capability`). */
  readonly reason?: string;
}

/** What the suite records of one backend's run (the file {@link CONFORMANCE_RESULTS_ENV} points to). */
export interface ConformanceResults {
  /** The suite's `name` option (the backend name). */
  readonly backend: string;
  /** The test file that ran the suite, when vitest reports it. */
  readonly testFile?: string;
  /** Whether `isAvailable()` resolved true (every case is skipped otherwise). */
  readonly available: boolean;
  /** Capabilities after `init()` (before it, when the backend was unavailable). */
  readonly capabilities: BackendCapabilities;
  /** Every case, in suite order. */
  readonly cases: readonly CaseResult[];
}

/** Writes `results` into the directory named by {@link CONFORMANCE_RESULTS_ENV}, if set (atomic). */
export function writeConformanceResults(results: ConformanceResults): void {
  const dir = process.env[CONFORMANCE_RESULTS_ENV];
  if (dir === undefined || dir === '') return;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${results.backend.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(results, null, 2)}\n`);
  renameSync(tmp, file);
}
