import { readFileSync, readdirSync } from 'node:fs';
import type { NeighbourSearchRequest, NeighbourTable } from '@vi-mmrec/core/backend';
import type { ReferenceNeighbourTable } from '@vi-mmrec/test-utils';

/**
 * How a golden case is compared: `'exact-ids'` — neighbour ids exactly as expected, scores
 * within the backend's float tolerance; `'near-tie'` — ids may differ only by swaps of
 * near-tied candidates, judged on the stored float64 candidate scores.
 */
export type ToleranceClass = 'exact-ids' | 'near-tie';

/** A dense part as stored in JSON. */
export interface GoldenPart {
  readonly dtype: 'float32' | 'float64';
  readonly dim: number;
  readonly data: readonly number[];
}

/** Expected table of one output; `null` scores are padding (`-Infinity`). */
export interface GoldenTable {
  readonly k: number;
  readonly indices: readonly number[];
  readonly scores: ReadonlyArray<number | null>;
  /** `'near-tie'` cases: the float64 score of every candidate pair (null = not a candidate). */
  readonly candidateScores?: ReadonlyArray<ReadonlyArray<number | null>>;
}

/** One golden case of `cases/*.json`. */
export interface GoldenCase {
  /** `<scenario>/<name>`, unique; used as the key of `knownFailures` (prefixed `golden/`). */
  readonly id: string;
  readonly description: string;
  readonly tolerance: ToleranceClass;
  /** Skip on backends whose `capabilities.floatPrecision` is lower. */
  readonly minFloatPrecision?: 16 | 32 | 64;
  readonly input: {
    readonly numItems: number;
    readonly parts: readonly GoldenPart[];
    readonly outputs: ReadonlyArray<{ readonly parts: readonly number[]; readonly k: number }>;
  };
  readonly expected: readonly GoldenTable[];
}

/** One `cases/<scenario>.json` file. */
export interface GoldenFile {
  readonly scenario: string;
  readonly description: string;
  readonly cases: readonly GoldenCase[];
}

const CASES_DIR = new URL('../cases/', import.meta.url);

/** Reads every golden file shipped with the package, sorted by scenario. */
export function loadGoldenFiles(): GoldenFile[] {
  return readdirSync(CASES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(new URL(f, CASES_DIR), 'utf8')) as GoldenFile);
}

/** The backend request of a golden case (typed arrays of the stored dtype). */
export function goldenRequest(c: GoldenCase): NeighbourSearchRequest {
  return {
    numItems: c.input.numItems,
    parts: c.input.parts.map((p) => ({ dim: p.dim, data: p.dtype === 'float64' ? Float64Array.from(p.data) : Float32Array.from(p.data) })),
    outputs: c.input.outputs.map((o) => ({ parts: [...o.parts], k: o.k })),
  };
}

/** The expected table as a `NeighbourTable` (float32 scores). */
export function goldenTable(t: GoldenTable): NeighbourTable {
  return { k: t.k, indices: Int32Array.from(t.indices), scores: Float32Array.from(t.scores, (s) => s ?? -Infinity) };
}

/** A reference table rebuilt from a `'near-tie'` golden's stored candidate scores. */
export function goldenReference(c: GoldenCase, output: number): ReferenceNeighbourTable {
  const t = c.expected[output]!;
  const spec = c.input.outputs[output]!;
  const matrix = t.candidateScores;
  if (matrix === undefined) throw new Error(`golden ${c.id}: output ${output} has no candidateScores`);
  const n = c.input.numItems;
  const sameRows = (a: number, b: number): boolean =>
    spec.parts.every((p) => {
      const { dim, data } = c.input.parts[p]!;
      for (let d = 0; d < dim; d++) if (data[a * dim + d] !== data[b * dim + d]) return false;
      return true;
    });
  return {
    numItems: n,
    k: t.k,
    indices: Int32Array.from(t.indices),
    scores: Float64Array.from(t.scores, (s) => s ?? -Infinity),
    terms: spec.parts.length,
    score: (i, j) => matrix[i]?.[j] ?? undefined,
    twins: (_i, a, b) => sameRows(a, b),
  };
}
