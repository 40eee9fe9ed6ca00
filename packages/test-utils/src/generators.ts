/**
 * Seeded generators of small test inputs with the variety that breaks implementations:
 * exact ties (duplicated rows, small-integer features), zero rows, negative values,
 * k ≥ numItems, neighbour lists with self entries, asymmetric lists and unlisted items,
 * users without interactions and duplicated training pairs.
 */
import type { AugmentInput, Interactions, Modality, NeighbourListModality, OAvgMode, Strategy } from '@vi-mmrec/core';
import type { FeatureBlock, NeighbourOutputSpec, NeighbourSearchRequest } from '@vi-mmrec/core/backend';
import type { ReferenceAugmentOptions } from './reference.js';
import type { Rng } from './rng.js';

/** Value style of generated features or cosines. */
export type ValueStyle = 'integer' | 'continuous';

/** Options of {@link randomDenseFeatures}. */
export interface DenseFeatureOptions {
  readonly numItems: number;
  readonly dim: number;
  /** `'integer'`: small integers (exact ties); `'continuous'`: uniform floats. */
  readonly style?: ValueStyle;
  /** Allow negative values (default true). */
  readonly negative?: boolean;
  /** Probability that a row is all zeros (default 0.15). */
  readonly zeroRowRate?: number;
  /** Probability that a row copies an earlier row (default 0.2). */
  readonly duplicateRate?: number;
  /** Storage type (default `'float32'`). */
  readonly dtype?: 'float32' | 'float64';
}

/** Row-major `numItems × dim` features. */
export function randomDenseFeatures(rng: Rng, o: DenseFeatureOptions): Float32Array | Float64Array {
  const { numItems, dim } = o;
  const style = o.style ?? 'integer';
  const negative = o.negative ?? true;
  const out = o.dtype === 'float64' ? new Float64Array(numItems * dim) : new Float32Array(numItems * dim);
  for (let i = 0; i < numItems; i++) {
    if (rng.chance(o.zeroRowRate ?? 0.15)) continue;
    if (i > 0 && rng.chance(o.duplicateRate ?? 0.2)) {
      const src = rng.int(0, i - 1);
      out.copyWithin(i * dim, src * dim, (src + 1) * dim);
      continue;
    }
    for (let c = 0; c < dim; c++) {
      out[i * dim + c] = style === 'integer' ? rng.int(negative ? -2 : 0, 3) : rng.float(negative ? -1 : 0, 1);
    }
  }
  return out;
}

/** Options of {@link randomNeighbourList}. */
export interface NeighbourListOptions {
  readonly name: string;
  readonly numItems: number;
  /** Probability that an item has no list at all (default 0.2). */
  readonly emptyRate?: number;
  /** Largest list length per item (default 4). */
  readonly maxPerItem?: number;
  /** Probability of adding a self entry `(i, i)` to a list (ignored by the algorithm; default 0.2). */
  readonly selfRate?: number;
  /** `'integer'`: cosines from a few quarter values (ties); `'continuous'`: uniform in [-1, 1]. */
  readonly style?: ValueStyle;
  /** Storage type of cosines (default `'float32'`). */
  readonly dtype?: 'float32' | 'float64';
}

/** Directed neighbour lists (asymmetric, shuffled, no pair twice). */
export function randomNeighbourList(rng: Rng, o: NeighbourListOptions): NeighbourListModality {
  const { numItems } = o;
  const style = o.style ?? 'integer';
  const entries: Array<[number, number, number]> = [];
  const cos = (): number => (style === 'integer' ? rng.pick([-0.5, 0, 0.25, 0.5, 0.75, 1]) : rng.float(-1, 1));
  for (let i = 0; i < numItems; i++) {
    if (rng.chance(o.emptyRate ?? 0.2)) continue;
    const others = rng.shuffle(Array.from({ length: numItems }, (_, j) => j).filter((j) => j !== i));
    const len = rng.int(1, Math.min(o.maxPerItem ?? 4, Math.max(1, others.length)));
    for (const j of others.slice(0, len)) entries.push([i, j, cos()]);
    if (rng.chance(o.selfRate ?? 0.2)) entries.push([i, i, cos()]);
  }
  rng.shuffle(entries);
  const cosines = o.dtype === 'float64' ? new Float64Array(entries.length) : new Float32Array(entries.length);
  entries.forEach((e, p) => (cosines[p] = e[2]));
  return {
    kind: 'neighbours',
    name: o.name,
    items: Int32Array.from(entries, (e) => e[0]),
    neighbours: Int32Array.from(entries, (e) => e[1]),
    cosines,
  };
}

/** Options of {@link randomInteractions}. */
export interface InteractionOptions {
  readonly numUsers: number;
  readonly numItems: number;
  /** Largest number of items per user (default 4). */
  readonly maxPerUser?: number;
  /** Probability that a user has no interaction (default 0.15). */
  readonly emptyRate?: number;
  /** Probability that a pair is repeated (default 0.15). */
  readonly duplicateRate?: number;
}

/** Training pairs (shuffled), with empty users and duplicated pairs. */
export function randomInteractions(rng: Rng, o: InteractionOptions): Interactions {
  const pairs: Array<[number, number]> = [];
  if (o.numItems > 0) {
    for (let u = 0; u < o.numUsers; u++) {
      if (rng.chance(o.emptyRate ?? 0.15)) continue;
      const n = rng.int(1, Math.min(o.maxPerUser ?? 4, o.numItems));
      for (let t = 0; t < n; t++) {
        const i = rng.int(0, o.numItems - 1);
        pairs.push([u, i]);
        if (rng.chance(o.duplicateRate ?? 0.15)) pairs.push([u, i]);
      }
    }
  }
  rng.shuffle(pairs);
  return { users: Int32Array.from(pairs, (p) => p[0]), items: Int32Array.from(pairs, (p) => p[1]) };
}

/** Options of {@link randomNeighbourRequest}. */
export interface NeighbourRequestOptions {
  readonly numItems: number;
  readonly numParts: number;
  readonly numOutputs: number;
  readonly maxDim?: number;
  readonly style?: ValueStyle;
  readonly dtype?: 'float32' | 'float64';
  /** Largest k (default numItems + 2, so k ≥ numItems occurs). */
  readonly maxK?: number;
}

/** A backend request with random parts and outputs (each a random non-empty subset of parts). */
export function randomNeighbourRequest(rng: Rng, o: NeighbourRequestOptions): NeighbourSearchRequest {
  const parts: FeatureBlock[] = [];
  for (let p = 0; p < o.numParts; p++) {
    const dim = rng.int(1, o.maxDim ?? 5);
    parts.push({
      dim,
      data: randomDenseFeatures(rng, {
        numItems: o.numItems,
        dim,
        style: o.style ?? rng.pick<ValueStyle>(['integer', 'continuous']),
        dtype: o.dtype ?? 'float32',
      }),
    });
  }
  const outputs: NeighbourOutputSpec[] = [];
  for (let t = 0; t < o.numOutputs; t++) {
    const chosen = Array.from({ length: o.numParts }, (_, p) => p).filter(() => rng.chance(0.5));
    outputs.push({ parts: chosen.length > 0 ? chosen : [rng.int(0, o.numParts - 1)], k: rng.int(1, o.maxK ?? o.numItems + 2) });
  }
  return { numItems: o.numItems, parts, outputs };
}

/** Which kinds of modality {@link randomAugmentCase} draws. */
export type ModalityMix = 'dense' | 'list' | 'mixed';

/** Options of {@link randomAugmentCase}. */
export interface AugmentCaseOptions {
  readonly numUsers: number;
  readonly numItems: number;
  readonly numModalities: number;
  readonly mix: ModalityMix;
  readonly strategy: Strategy;
  readonly oAvg: OAvgMode;
  readonly style?: ValueStyle;
  readonly maxK?: number;
}

/** A random `augment` input with options. */
export function randomAugmentCase(rng: Rng, o: AugmentCaseOptions): { input: AugmentInput; options: ReferenceAugmentOptions } {
  const { numItems } = o;
  const modalities: Modality[] = [];
  for (let m = 0; m < o.numModalities; m++) {
    const isList = o.mix === 'list' || (o.mix === 'mixed' && (m === 1 || (m > 1 && rng.chance(0.5))));
    const name = ['image', 'text', 'audio', 'video'][m] ?? `m${m}`;
    const style = o.style ?? rng.pick<ValueStyle>(['integer', 'continuous']);
    if (isList) {
      modalities.push(randomNeighbourList(rng, { name, numItems, style, dtype: rng.pick(['float32', 'float64'] as const) }));
    } else {
      const dim = rng.int(1, 4);
      modalities.push({
        kind: 'dense',
        name,
        dim,
        features: randomDenseFeatures(rng, { numItems, dim, style, dtype: rng.pick(['float32', 'float64'] as const) }),
      });
    }
  }
  const train = randomInteractions(rng, { numUsers: o.numUsers, numItems });
  return {
    input: { numUsers: o.numUsers, numItems, train, modalities },
    options: {
      strategy: o.strategy,
      oAvg: o.oAvg,
      k: rng.int(1, o.maxK ?? numItems + 1),
      lambda: rng.pick([0, 0.1, 0.5, 1, 2.5]),
    },
  };
}
