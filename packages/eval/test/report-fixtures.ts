// Synthetic `vi-mmrec eval --json` results for the report tests: several variants with long
// labels, both signs of gain, wide and narrow spreads, one or several seeds.
import type { AugmentSettings, EvalJson } from '../src/index.js';

const METRICS = ['ndcg@10', 'ndcg@20', 'recall@10', 'recall@20'] as const;

/** A deterministic pseudo-random stream in [0, 1). */
function stream(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

const label = (s: AugmentSettings): string => `${s.strategy} k=${s.k} λ=${s.lambda} ${s.negatives} ${s.inject}`;

export interface FixtureOptions {
  readonly model?: EvalJson['settings']['model'];
  readonly dataset?: string;
  readonly seeds?: number;
  readonly maxEpochs?: number;
  /** Relative gain of each variant (in the order of `variants`). */
  readonly gains?: readonly number[];
  readonly variants?: readonly AugmentSettings[];
  /** Noise of the per-seed values, relative. */
  readonly noise?: number;
  /** Runs of these variants (and 'baseline') reach their best epoch at the cap. */
  readonly unconverged?: readonly string[];
  readonly auto?: { readonly accepted: boolean };
  readonly seed?: number;
}

const setting = (strategy: 'overlay' | 'synergistic', k: number, lambda: number): AugmentSettings => ({
  strategy,
  k,
  lambda,
  oAvg: 'modality-mean',
  inject: 'pairs',
  negatives: 'non-real',
});

/** Variants over both strategies, k and λ (sensitivity curves). */
export const GRID: readonly AugmentSettings[] = [
  setting('overlay', 3, 0.1),
  setting('overlay', 5, 0.1),
  setting('overlay', 10, 0.1),
  setting('synergistic', 3, 0.1),
  setting('synergistic', 3, 0.05),
  setting('synergistic', 3, 0.5),
];

/** One synthetic result. */
export function fixtureResult(o: FixtureOptions = {}): EvalJson {
  const rnd = stream(o.seed ?? 7);
  const seeds = o.seeds ?? 3;
  const maxEpochs = o.maxEpochs ?? 200;
  const variants = o.variants ?? GRID;
  const gains = o.gains ?? variants.map((_, i) => [0.133, -0.08, 0.02, 0.6, -0.3, 0.004][i % 6]!);
  const noise = o.noise ?? 0.05;
  const base: Record<string, number> = { 'ndcg@10': 0.031, 'ndcg@20': 0.039, 'recall@10': 0.052, 'recall@20': 0.081 };
  const runs: Array<EvalJson['runs'][number]> = [];
  const addRuns = (variant: string, gain: number): void => {
    for (let seed = 1; seed <= seeds; seed++) {
      const test: Record<string, number> = {};
      for (const m of METRICS) test[m] = base[m]! * (1 + gain) * (1 + noise * (rnd() - 0.5));
      const stuck = o.unconverged?.includes(variant) === true;
      const bestEpoch = stuck ? maxEpochs : 20 + Math.floor(rnd() * 40);
      runs.push({
        variant,
        seed,
        test,
        valid: { 'recall@20': test['recall@20']! * 1.1 },
        bestEpoch,
        epochs: stuck ? maxEpochs : bestEpoch + 20,
        secondsPerEpoch: 1.5,
        pairsPerEpoch: 20000,
      });
    }
  };
  addRuns('baseline', 0);
  variants.forEach((v, i) => addRuns(label(v), gains[i]!));
  const summarise = (variant: string): Record<string, { mean: number; std: number }> => {
    const out: Record<string, { mean: number; std: number }> = {};
    for (const m of METRICS) {
      const xs = runs.filter((r) => r.variant === variant).map((r) => r.test[m]!);
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      out[m] = { mean, std: xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) };
    }
    return out;
  };
  const first = variants[0]!;
  const choice =
    o.auto === undefined
      ? undefined
      : {
          settings: o.auto.accepted ? first : null,
          reason: o.auto.accepted
            ? `${label(first)}: the BPR-MF proxy's pick confirmed by LightGCN itself, validation Recall@20 0.0800 → 0.0900.`
            : 'no augmentation: LightGCN itself did not confirm the pick.',
          candidates: [],
          proxy: { model: 'bpr' as const, epochs: 60, patience: 5, seed: 0, minGain: 0.02 },
          confirmation: {
            settings: first,
            model: o.model ?? 'lightgcn',
            seeds,
            baselineValidRecall20: 0.08,
            augmentedValidRecall20: 0.09,
            relativeGain: 0.125,
            accepted: o.auto.accepted,
          },
        };
  return {
    settings: {
      dataset: o.dataset ?? 'baby',
      model: o.model ?? 'lightgcn',
      seeds,
      maxEpochs,
      patience: 20,
      topK: [10, 20],
      mode: o.auto === undefined ? 'manual' : 'auto',
      augment: variants,
    },
    ...(choice === undefined ? {} : { choice }),
    summary: { baseline: summarise('baseline'), augmented: summarise(label(first)) },
    baseline: { secondsPerEpoch: 1.5, pairsPerEpoch: 20000 },
    variants: variants.map((v) => ({
      label: label(v),
      settings: v,
      augmentSeconds: 0.5,
      virtualPairs: 12345,
      summary: summarise(label(v)),
      secondsPerEpoch: 2,
      pairsPerEpoch: 30000,
    })),
    runs,
    activityGroups: [
      { label: '1–5', users: 4800, baseline: 0.05, augmented: 0.07 },
      { label: '6–9', users: 4800, baseline: 0.07, augmented: 0.075 },
      { label: '10–19', users: 4800, baseline: 0.09, augmented: 0.088 },
      { label: '20–402', users: 4801, baseline: 0.11, augmented: 0.112 },
    ],
    meta: {
      versions: { '@vi-mmrec/eval': '0.1.0', '@vi-mmrec/core': '0.1.0' },
      date: '2026-12-03T06:00:00.000Z',
      command: 'vi-mmrec eval data/baby --model lightgcn',
      node: 'v20.20.2',
      backend: 'cpu',
    },
  };
}
