import { AbortedError, InvalidArgumentError, isViMmrecError } from '@vi-mmrec/core';
import type { AugmentResult, Backend, Logger, OAvgMode, Strategy } from '@vi-mmrec/core';
import type { InjectMode, NegativePolicy } from '@vi-mmrec/integration-loader';
import type { EvalDataset } from './dataset.js';
import type { Metrics } from './metrics.js';
import type { ModelName } from './models/types.js';
import type { EpochRecord } from './train.js';
import { type AugmentSettings, type PreparedData, augmentFor, loaderFor, prepareData, runOnce } from './experiment.js';

/** One candidate of {@link chooseSettings}: augmentation settings, or `null` for none. */
export interface Candidate {
  readonly settings: AugmentSettings | null;
  /** Validation Recall@20 of the proxy run. */
  readonly validRecall20: number;
  /** Relative change over the no-augmentation proxy. */
  readonly relativeGain: number;
  /**
   * Set when the candidate could not run on this dataset (e.g. some user has every item real
   * or virtual, so `'non-interacted'` has no negative to draw): why. Its score is `NaN` and it
   * is never chosen.
   */
  readonly skipped?: string;
}

/** What {@link chooseSettings} decided, and why. */
export interface Choice {
  /** The chosen settings, or `null`: do not augment. */
  readonly settings: AugmentSettings | null;
  /** One sentence a person can read. */
  readonly reason: string;
  /** Every candidate tried, best first. */
  readonly candidates: readonly Candidate[];
  /** How the choice was made. */
  readonly proxy: {
    readonly model: ModelName;
    readonly epochs: number;
    readonly patience: number;
    readonly seed: number;
    readonly minGain: number;
  };
  /**
   * Set by {@link confirmChoice}: the proxy's pick checked against no augmentation with the
   * model that is actually trained. When it was not `accepted`, `settings` is `null`.
   */
  readonly confirmation?: Confirmation;
}

/** The evaluated model's own validation verdict on a proxy's pick (see {@link confirmChoice}). */
export interface Confirmation {
  /** The settings the proxy chose. */
  readonly settings: AugmentSettings;
  /** The model trained with and without them. */
  readonly model: ModelName;
  /** Seeds (runs per variant) the means are over. */
  readonly seeds: number;
  /** Mean validation Recall@20 at the best epoch, without augmentation. */
  readonly baselineValidRecall20: number;
  /** Mean validation Recall@20 at the best epoch, with the proxy's settings. */
  readonly augmentedValidRecall20: number;
  /** `augmentedValidRecall20 / baselineValidRecall20 - 1`. */
  readonly relativeGain: number;
  /** Whether `relativeGain` reached the choice's `minGain`. */
  readonly accepted: boolean;
}

/** Options of {@link chooseSettings}. */
export interface ChooseOptions {
  /** Strategies to try; default both. */
  readonly strategies?: readonly Strategy[];
  /** k values to try; default [3, 10]. */
  readonly ks?: readonly number[];
  /** λ values to try; default [0.1]. */
  readonly lambdas?: readonly number[];
  /** Negative policies to try; default both. */
  readonly negatives?: readonly NegativePolicy[];
  /** Injection point; default {@link RECOMMENDED_SETTINGS}' `'pairs'`. */
  readonly inject?: InjectMode;
  /** O_avg mode; default 'modality-mean'. */
  readonly oAvg?: OAvgMode;
  /**
   * The proxy model; default `'bpr'` (BPR-MF, the fastest). Choosing with the model you will
   * train is slower but sees what BPR-MF cannot: on Baby, BPR-MF's choice hurt VBPR.
   */
  readonly model?: ModelName;
  /** Most epochs of each proxy run; default {@link DEFAULT_CHOOSE}`.epochs`. */
  readonly epochs?: number;
  /**
   * A proxy run stops after this many epochs without a better validation Recall@20 and is
   * scored at its best epoch; default {@link DEFAULT_CHOOSE}`.patience`.
   */
  readonly patience?: number;
  /** Seed of the proxy runs; default 0. */
  readonly seed?: number;
  /**
   * Smallest relative validation gain over no augmentation for a candidate to be chosen;
   * default 0.02 (2 %). Below it, "no augmentation" is chosen: the default does no harm.
   */
  readonly minGain?: number;
  /** Diagnostics. */
  readonly logger?: Logger;
  /**
   * Backend of the candidates' `augment` runs: an instance, a registered name, or `'auto'`
   * (default).
   */
  readonly backend?: Backend | string;
  /** Progress: called before each proxy run. */
  readonly onCandidate?: (index: number, total: number, settings: AugmentSettings | null) => void;
  /** Progress: called after each epoch of a proxy run. */
  readonly onEpoch?: (record: EpochRecord) => void;
  /** Splits and evaluator already prepared for the dataset. */
  readonly prepared?: PreparedData;
  /** Stops the proxy runs after the current epoch; the promise rejects with `AbortedError`. */
  readonly signal?: AbortSignal;
}

/** Defaults the library ships (chosen on validation data; see docs/results.md). */
export const DEFAULT_CHOOSE = {
  strategies: ['synergistic', 'overlay'] as readonly Strategy[],
  ks: [3, 10] as readonly number[],
  lambdas: [0.1] as readonly number[],
  negatives: ['non-real', 'non-interacted'] as readonly NegativePolicy[],
  epochs: 60,
  patience: 5,
  minGain: 0.02,
};

/**
 * The fixed settings the library recommends when no validation-based choice is made (e.g.
 * `vi-mmrec eval --strategy overlay` without `--k`/`--lambda`/`--negatives`): what
 * {@link chooseSettings} picked on Amazon Baby's validation split (docs/results.md).
 * On other data prefer {@link chooseSettings}: on TikTok it picked synergistic with
 * `negatives: 'non-interacted'`, which beat this setting on test for all four models. `inject: 'pairs'` (virtual pairs in the training stream, the
 * graph a graph model propagates over stays the real one) won a validation pilot of LightGCN
 * on Baby against `'both'`, and is the only mode whose epoch cost grows with the pairs alone:
 * R̄'s graph has about 6× the edges of the real one (docs/results.md).
 */
export const RECOMMENDED_SETTINGS: AugmentSettings = {
  strategy: 'overlay',
  k: 3,
  lambda: 0.1,
  oAvg: 'modality-mean',
  inject: 'pairs',
  negatives: 'non-real',
};

const MODEL_NAMES: Record<ModelName, string> = { bpr: 'BPR-MF', lightgcn: 'LightGCN', vbpr: 'VBPR', freedom: 'FREEDOM' };

function describe(s: AugmentSettings | null): string {
  return s === null ? 'no augmentation' : `${s.strategy} k=${s.k} λ=${s.lambda} negatives=${s.negatives}`;
}

/**
 * The augmented candidates {@link chooseSettings} tries, in its order (every combination of
 * strategies, k, λ and negatives policies); it also tries no augmentation first.
 */
export function candidateGrid(
  options: Pick<ChooseOptions, 'strategies' | 'ks' | 'lambdas' | 'negatives' | 'inject' | 'oAvg'> = {},
): AugmentSettings[] {
  const inject = options.inject ?? RECOMMENDED_SETTINGS.inject;
  const oAvg = options.oAvg ?? 'modality-mean';
  const grid: AugmentSettings[] = [];
  for (const strategy of options.strategies ?? DEFAULT_CHOOSE.strategies) {
    for (const k of options.ks ?? DEFAULT_CHOOSE.ks) {
      for (const lambda of options.lambdas ?? DEFAULT_CHOOSE.lambdas) {
        for (const negatives of options.negatives ?? DEFAULT_CHOOSE.negatives) grid.push({ strategy, k, lambda, oAvg, inject, negatives });
      }
    }
  }
  return grid;
}

/**
 * The "default that does no harm": chooses strategy, k, λ and the negatives policy — or no
 * augmentation — on the **validation** split (never test), with a proxy: BPR-MF trained per
 * candidate until its validation Recall@20 stops improving (`patience` epochs, at most
 * `epochs`), scored at its best epoch, same seed for all. Every combination of strategies,
 * k, λ and negatives policies is a candidate (a policy the data cannot support is skipped).
 * A candidate is chosen only when its validation Recall@20 beats no augmentation by at least
 * `minGain` (relative). A fixed short proxy measures early training and chose wrongly on
 * TikTok (docs/results.md), hence training to the validation plateau.
 */
export async function chooseSettings(dataset: EvalDataset, options: ChooseOptions = {}): Promise<Choice> {
  const epochs = options.epochs ?? DEFAULT_CHOOSE.epochs;
  const patience = options.patience ?? DEFAULT_CHOOSE.patience;
  const seed = options.seed ?? 0;
  const minGain = options.minGain ?? DEFAULT_CHOOSE.minGain;
  const data = options.prepared ?? prepareData(dataset);
  const model = options.model ?? 'bpr';
  const train = { model, maxEpochs: epochs, patience, learningRate: 1e-3, ks: [20] };
  const grid = candidateGrid(options);
  const total = 1 + grid.length;
  let index = 0;
  type Tried = { settings: AugmentSettings | null; v: number; skipped?: string };
  // R̄ depends on (strategy, k, λ) only, not on the negatives policy: augment once per point.
  let last: { key: string; result: AugmentResult } | undefined;
  const augmented = async (s: AugmentSettings): Promise<AugmentResult> => {
    const key = `${s.strategy}/${s.k}/${s.lambda}`;
    if (last?.key !== key) last = { key, result: await augmentFor(data, s, options.logger, options.backend) };
    return last.result;
  };
  const proxy = async (s: AugmentSettings | null): Promise<Tried> => {
    options.onCandidate?.(index++, total, s);
    const aug = s === null ? undefined : { result: await augmented(s), settings: s };
    let loader;
    try {
      loader = loaderFor(data, seed, aug);
    } catch (e) {
      // A negatives policy this dataset cannot support is a candidate to skip, not a failure.
      if (!(isViMmrecError(e, 'INVALID_ARGUMENT') && (e as InvalidArgumentError).option === 'negatives')) throw e;
      options.logger?.warn(`proxy ${describe(s)} skipped: ${e.message}`);
      return { settings: s, v: NaN, skipped: e.message };
    }
    const r = await runOnce(data, train, seed, loader, options.onEpoch, options.signal);
    if (options.signal?.aborted === true) throw new AbortedError();
    options.logger?.info(
      `proxy ${describe(s)}: valid recall@20 ${r.valid['recall@20']?.toFixed(5)} (best epoch ${r.bestEpoch} of ${r.epochs})`,
    );
    return { settings: s, v: r.valid['recall@20'] ?? 0 };
  };
  const byScore = (a: Candidate, b: Candidate): number => {
    const va = a.validRecall20;
    const vb = b.validRecall20;
    return Number.isNaN(va) ? 1 : Number.isNaN(vb) ? -1 : vb - va;
  };
  const none = (await proxy(null)).v;
  const tried: Tried[] = [{ settings: null, v: none }];
  for (const s of grid) tried.push(await proxy(s));
  const candidates: Candidate[] = tried
    .map((t) => ({
      settings: t.settings,
      validRecall20: t.v,
      relativeGain: none > 0 ? t.v / none - 1 : 0,
      ...(t.skipped === undefined ? {} : { skipped: t.skipped }),
    }))
    .sort(byScore);
  const best = candidates.find((c) => c.settings !== null && c.skipped === undefined);
  const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
  let settings: AugmentSettings | null = null;
  let reason: string;
  if (best !== undefined && best.relativeGain >= minGain) {
    settings = best.settings;
    reason = `${describe(settings)} raised validation Recall@20 of a ${MODEL_NAMES[model]} proxy (best epoch, ≤ ${epochs}) from ${none.toFixed(4)} to ${best.validRecall20.toFixed(4)} (${pct(best.relativeGain)}), the best of ${candidates.length} candidates.`;
  } else {
    reason =
      best === undefined
        ? 'no candidate settings to try.'
        : `no augmentation: the best candidate (${describe(best.settings)}) changed validation Recall@20 of a ${MODEL_NAMES[model]} proxy (best epoch, ≤ ${epochs}) by ${pct(best.relativeGain)}, below the ${pct(minGain)} needed.`;
  }
  return { settings, reason, candidates, proxy: { model, epochs, patience, seed, minGain } };
}

/**
 * Second stage of the default: checks a proxy's pick with the model that is actually trained,
 * on **validation** data only. `baseline` and `augmented` are that model's runs (one per seed)
 * without and with `choice.settings`; the pick stands when their mean validation Recall@20
 * gains at least `choice.proxy.minGain`, otherwise the returned choice is "no augmentation".
 * A proxy cannot see every model's inductive bias: on Baby, BPR-MF's pick raised BPR-MF and
 * LightGCN by 13–14 % but lowered VBPR by 16 % (docs/results.md). `vi-mmrec eval` already
 * trains both variants, so the check costs nothing there. A choice without settings is
 * returned unchanged.
 */
export function confirmChoice(
  choice: Choice,
  model: ModelName,
  baseline: readonly { readonly valid: Metrics }[],
  augmented: readonly { readonly valid: Metrics }[],
): Choice {
  const settings = choice.settings;
  if (settings === null) return choice;
  if (baseline.length === 0 || baseline.length !== augmented.length) {
    throw new InvalidArgumentError(
      'runs',
      `confirmChoice needs one baseline and one augmented run per seed, got ${baseline.length} and ${augmented.length}.`,
    );
  }
  const mean = (rs: readonly { readonly valid: Metrics }[]): number => {
    let sum = 0;
    for (const r of rs) {
      const v = r.valid['recall@20'];
      if (v === undefined)
        throw new InvalidArgumentError('runs', 'confirmChoice needs validation recall@20 in every run (evaluate with k = 20).');
      sum += v;
    }
    return sum / rs.length;
  };
  const b = mean(baseline);
  const a = mean(augmented);
  const relativeGain = b > 0 ? a / b - 1 : a > 0 ? Infinity : 0;
  const accepted = relativeGain >= choice.proxy.minGain;
  const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)} %`;
  const numbers = `validation Recall@20 ${b.toFixed(4)} → ${a.toFixed(4)} (${pct(relativeGain)}, mean of ${baseline.length} seed(s))`;
  const proxyGain = choice.candidates.find((c) => c.settings === settings)?.relativeGain;
  const pick = `the ${MODEL_NAMES[choice.proxy.model]} proxy's pick (${describe(settings)}${proxyGain === undefined ? '' : `, proxy validation ${pct(proxyGain)}`})`;
  return {
    ...choice,
    settings: accepted ? settings : null,
    reason: accepted
      ? `${describe(settings)}: ${pick} confirmed by ${MODEL_NAMES[model]} itself, ${numbers}.`
      : `no augmentation: ${MODEL_NAMES[model]} itself did not confirm ${pick}: ${numbers}, below the ${pct(choice.proxy.minGain)} needed.`,
    confirmation: { settings, model, seeds: baseline.length, baselineValidRecall20: b, augmentedValidRecall20: a, relativeGain, accepted },
  };
}
