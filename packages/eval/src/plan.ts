// `vi-mmrec eval`'s plan: the runs it will train, a short measurement of each model's epoch,
// the estimated time, and the ETA while running.
import { type PreparedData, loaderFor } from './experiment.js';
import { createModel } from './models/models.js';
import type { ModelName } from './models/types.js';
import { initTf } from './tf-backend.js';
import { type EpochCost, measureEpoch } from './train.js';

/** One training run of the plan. */
export interface PlannedRun {
  /** A proxy run of auto mode's choice, or a run of the evaluated model. */
  readonly kind: 'proxy' | 'run';
  readonly model: ModelName;
  /** The variant's label (`baseline`, or the augmentation settings). */
  readonly variant: string;
  readonly seed: number;
  readonly maxEpochs: number;
}

/** A model's measured cost per epoch on the dataset, with the baseline's pairs. */
export interface ModelCost extends EpochCost {
  readonly model: ModelName;
  /** Training pairs of a baseline epoch (the real training interactions). */
  readonly pairsPerEpoch: number;
  /** `beginSeconds + pairsPerEpoch × secondsPerPair + evaluationSeconds`. */
  readonly secondsPerEpoch: number;
}

/** Measures one epoch of `model` on the baseline loader (a few batches and one evaluation; the model is thrown away). */
export async function measureModel(data: PreparedData, model: ModelName): Promise<ModelCost> {
  await initTf();
  const m = createModel(model, data.dataset.numUsers, data.dataset.numItems, { seed: 1, modalities: data.dataset.modalities });
  try {
    const cost = await measureEpoch(m, loaderFor(data, 1), data.evaluator);
    const pairsPerEpoch = data.splits.train.items.length;
    return {
      ...cost,
      model,
      pairsPerEpoch,
      secondsPerEpoch: cost.beginSeconds + pairsPerEpoch * cost.secondsPerPair + cost.evaluationSeconds,
    };
  } finally {
    m.dispose();
  }
}

/** A duration a person reads: `4.2 s`, `37 s`, `12 min`, `3 h 5 min`, `2 d 4 h`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, seconds);
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.round((s % 86400) / 3600)} h`;
}

/**
 * Time left of a plan, re-estimated as it runs. The bound takes every remaining epoch up to
 * its run's cap at the latest measured seconds per epoch of that kind of run (the initial
 * measurement until one is measured); the likely value replaces the caps of runs not yet
 * started by the mean epochs of finished runs of the same kind, once there are some.
 */
export class Eta {
  private readonly perEpoch = new Map<string, number>();
  private readonly finished = new Map<PlannedRun['kind'], number[]>();

  constructor(
    private runs: readonly PlannedRun[],
    private readonly costs: ReadonlyMap<ModelName, number>,
  ) {}

  /** Replaces the runs not started yet (e.g. once auto mode has chosen). */
  replace(runs: readonly PlannedRun[]): void {
    this.runs = runs;
  }

  private key(r: PlannedRun): string {
    return `${r.kind}/${r.model}/${r.variant === 'baseline' || r.variant === 'no augmentation' ? 'base' : 'aug'}`;
  }

  private seconds(r: PlannedRun): number {
    return this.perEpoch.get(this.key(r)) ?? this.perEpoch.get(`${r.kind}/${r.model}/base`) ?? this.costs.get(r.model) ?? 0;
  }

  /** Records the mean wall seconds per epoch measured so far in run `index`. */
  epoch(index: number, secondsPerEpoch: number): void {
    const r = this.runs[index];
    if (r !== undefined) this.perEpoch.set(this.key(r), secondsPerEpoch);
  }

  /** Records that run `index` ended after `epochs` epochs. */
  done(index: number, epochs: number): void {
    const r = this.runs[index];
    if (r === undefined) return;
    const list = this.finished.get(r.kind) ?? [];
    list.push(epochs);
    this.finished.set(r.kind, list);
  }

  /** Seconds left from epoch `epoch` (done) of run `index` (runs before it are done). */
  remaining(index: number, epoch: number): { bound: number; likely?: number } {
    let bound = 0;
    let likely = 0;
    let guessed = false;
    for (let i = index; i < this.runs.length; i++) {
      const r = this.runs[i]!;
      const s = this.seconds(r);
      const done = i === index ? epoch : 0;
      const left = r.maxEpochs - done;
      bound += left * s;
      const seen = this.finished.get(r.kind);
      if (seen !== undefined && seen.length > 0) {
        guessed = true;
        const typical = Math.min(r.maxEpochs, seen.reduce((a, b) => a + b, 0) / seen.length);
        likely += (done >= typical ? Math.min(1, left) : typical - done) * s;
      } else likely += left * s;
    }
    return guessed ? { bound, likely: Math.min(likely, bound) } : { bound };
  }

  /** `ETA ≤ 12 min` (caps only), `ETA ~4 min (≤ 12 min)`, or `ETA ~12 min` when both agree. */
  text(index: number, epoch: number): string {
    const { bound, likely } = this.remaining(index, epoch);
    if (likely === undefined) return `ETA ≤ ${formatDuration(bound)}`;
    return formatDuration(likely) === formatDuration(bound)
      ? `ETA ~${formatDuration(bound)}`
      : `ETA ~${formatDuration(likely)} (≤ ${formatDuration(bound)})`;
  }
}

/** Total seconds of `runs`, each to its epoch cap at its model's measured cost. */
export function boundSeconds(runs: readonly PlannedRun[], costs: ReadonlyMap<ModelName, number>): number {
  return runs.reduce((t, r) => t + r.maxEpochs * (costs.get(r.model) ?? 0), 0);
}
