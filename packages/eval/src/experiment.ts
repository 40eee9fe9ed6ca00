import { augment } from '@vi-mmrec/core';
import type { AugmentResult, Backend, Logger, OAvgMode, Strategy } from '@vi-mmrec/core';
import { withVirtualInteractions } from '@vi-mmrec/integration-loader';
import type { InjectMode, NegativePolicy } from '@vi-mmrec/integration-loader';
import { type EvalDataset, type Splits, splitDataset } from './dataset.js';
import { type TrainingLoader, baselineLoader } from './loader.js';
import { Evaluator, type Metrics } from './metrics.js';
import { createModel } from './models/models.js';
import type { ModelName } from './models/types.js';
import { initTf } from './tf-backend.js';
import { type EpochRecord, type RunResult, trainAndEvaluate } from './train.js';

/** The augmentation settings of one augmented variant. */
export interface AugmentSettings {
  readonly strategy: Strategy;
  readonly k: number;
  readonly lambda: number;
  readonly oAvg: OAvgMode;
  readonly inject: InjectMode;
  readonly negatives: NegativePolicy;
}

/** Training settings shared by every run of an experiment. */
export interface TrainSettings {
  readonly model: ModelName;
  readonly maxEpochs: number;
  readonly patience: number;
  readonly learningRate: number;
  readonly ks: readonly number[];
}

/** A prepared dataset: splits and the evaluator (real training items masked). */
export interface PreparedData {
  readonly dataset: EvalDataset;
  readonly splits: Splits;
  readonly evaluator: Evaluator;
}

/** Splits the dataset and builds its evaluator. */
export function prepareData(dataset: EvalDataset, ks: readonly number[] = [10, 20]): PreparedData {
  const splits = splitDataset(dataset);
  return { dataset, splits, evaluator: new Evaluator(splits.train, splits.valid, splits.test, ks) };
}

/**
 * Runs `augment` once for the settings on `backend`: an instance, a registered name, or
 * `'auto'` (default: the registered backend of highest priority that initialises).
 */
export async function augmentFor(
  data: PreparedData,
  s: Pick<AugmentSettings, 'strategy' | 'k' | 'lambda' | 'oAvg'>,
  logger?: Logger,
  backend: Backend | string = 'auto',
): Promise<AugmentResult> {
  const { dataset } = data;
  return augment(
    { numUsers: dataset.numUsers, numItems: dataset.numItems, train: dataset.train, modalities: dataset.modalities },
    { strategy: s.strategy, k: s.k, lambda: s.lambda, oAvg: s.oAvg, backend, ...(logger === undefined ? {} : { logger }) },
  );
}

/** The training loader of one variant: the baseline loader, wrapped when augmented. */
export function loaderFor(data: PreparedData, seed: number, aug?: { result: AugmentResult; settings: AugmentSettings }): TrainingLoader {
  const base = baselineLoader(data.splits.train, { seed, batchSize: 2048 });
  if (aug === undefined) return base;
  return withVirtualInteractions(base, aug.result, {
    seed,
    negatives: aug.settings.negatives,
    inject: aug.settings.inject,
    batchSize: 2048,
  });
}

/** Trains one model on one loader with one seed, evaluated by the MMRec protocol. */
export async function runOnce(
  data: PreparedData,
  train: TrainSettings,
  seed: number,
  loader: TrainingLoader,
  onEpoch?: (r: EpochRecord) => void,
  signal?: AbortSignal,
): Promise<RunResult> {
  await initTf();
  const model = createModel(train.model, data.dataset.numUsers, data.dataset.numItems, { seed, modalities: data.dataset.modalities });
  try {
    return await trainAndEvaluate(model, loader, data.evaluator, {
      maxEpochs: train.maxEpochs,
      patience: train.patience,
      learningRate: train.learningRate,
      seed,
      ...(onEpoch === undefined ? {} : { onEpoch }),
      ...(signal === undefined ? {} : { signal }),
    });
  } finally {
    model.dispose();
  }
}

/** Mean and sample standard deviation (0 for one value). */
export function meanStd(xs: readonly number[]): { mean: number; std: number } {
  if (xs.length === 0) return { mean: NaN, std: NaN };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length === 1) return { mean, std: 0 };
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return { mean, std: Math.sqrt(v) };
}

/** Mean ± std of every metric over runs. */
export function summarise(runs: readonly { test: Metrics }[]): Record<string, { mean: number; std: number }> {
  const names = new Set<string>();
  for (const r of runs) for (const n of Object.keys(r.test)) names.add(n);
  const out: Record<string, { mean: number; std: number }> = {};
  for (const n of [...names].sort()) out[n] = meanStd(runs.map((r) => r.test[n]!).filter((x) => x !== undefined));
  return out;
}

/** Quantile groups of users by number of training interactions (the paper's sparsity analysis). */
export function activityGroups(train: Splits['train'], users: Int32Array, groups = 4): { label: string; users: Int32Array }[] {
  const deg = Array.from(users, (u) => train.rowPtr[u + 1]! - train.rowPtr[u]!);
  const order = Array.from(users.keys()).sort((a, b) => deg[a]! - deg[b]! || users[a]! - users[b]!);
  const out: { label: string; users: Int32Array }[] = [];
  for (let g = 0; g < groups; g++) {
    const lo = Math.floor((g * order.length) / groups);
    const hi = Math.floor(((g + 1) * order.length) / groups);
    if (hi <= lo) continue;
    const sel = order.slice(lo, hi);
    out.push({ label: `${deg[sel[0]!]}–${deg[sel[sel.length - 1]!]}`, users: Int32Array.from(sel, (i) => users[i]!) });
  }
  return out;
}

/** Re-export for callers that split once. */
export { splitDataset };
