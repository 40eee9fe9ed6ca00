import type { TrainingLoader } from './loader.js';
import type { Evaluator, Metrics } from './metrics.js';
import type { Recommender } from './models/types.js';
import { Rng } from './rng.js';
import { tf } from './tf-backend.js';

/**
 * Early stopping on a validation score (higher is better): the best epoch is the first one
 * reaching the maximum; training stops once `patience` epochs pass without a strict
 * improvement.
 */
export class EarlyStopper {
  bestEpoch = -1;
  bestScore = -Infinity;
  private sinceBest = 0;

  constructor(readonly patience: number) {}

  /** Records the score of `epoch`; returns true when this epoch is the new best. */
  update(epoch: number, score: number): boolean {
    if (score > this.bestScore) {
      this.bestScore = score;
      this.bestEpoch = epoch;
      this.sinceBest = 0;
      return true;
    }
    this.sinceBest++;
    return false;
  }

  /** True once `patience` epochs in a row did not improve. */
  get shouldStop(): boolean {
    return this.sinceBest >= this.patience;
  }
}

/** One epoch of the training history. */
export interface EpochRecord {
  readonly epoch: number;
  readonly loss: number;
  readonly pairs: number;
  readonly trainSeconds: number;
  readonly validRecall20: number;
}

/** Options of {@link trainAndEvaluate}. */
export interface TrainOptions {
  /** Hard cap on epochs; default 1000 (MMRec). */
  readonly maxEpochs?: number;
  /** Early-stopping patience on validation Recall@20; default 20 (MMRec). */
  readonly patience?: number;
  /** Adam learning rate; default 1e-3. */
  readonly learningRate?: number;
  /** Seed of the model's per-epoch randomness (edge pruning). */
  readonly seed?: number;
  /** Called after each epoch. */
  readonly onEpoch?: (record: EpochRecord) => void;
  /** Stops training between epochs. */
  readonly signal?: AbortSignal;
}

/** What one training run produced. */
export interface RunResult {
  /** Epoch (1-based) of the best validation Recall@20. */
  readonly bestEpoch: number;
  readonly epochs: number;
  readonly valid: Metrics;
  /** Test metrics at the best validation epoch. */
  readonly test: Metrics;
  /** Per-user test Recall@20 at the best epoch (NaN for users without test items). */
  readonly perUserTestRecall: Float32Array;
  /** Mean training seconds per epoch (excluding evaluation). */
  readonly secondsPerEpoch: number;
  /** Mean training pairs per epoch. */
  readonly pairsPerEpoch: number;
  readonly history: readonly EpochRecord[];
}

/** Full-ranking scores of `users` against all items from the model's embeddings. */
function scorer(users: tf.Tensor2D, itemsT: tf.Tensor2D): (batch: Int32Array) => Float32Array {
  // A pre-transposed right operand: matMul(..., transposeB) is ~10× slower on the wasm backend.
  // Never return a typed array from tf.tidy: tidy walks it element by element.
  return (batch) => {
    const s = tf.tidy(() => tf.matMul(tf.gather(users, tf.tensor1d(batch, 'int32')), itemsT));
    const out = s.dataSync() as Float32Array;
    s.dispose();
    return out;
  };
}

/** Ranks every item for the evaluator's users with the model's current embeddings. */
function evaluateModel(model: Recommender, evaluator: Evaluator): ReturnType<Evaluator['evaluate']> {
  const emb = model.embeddings();
  const itemsT = tf.transpose(emb.items);
  try {
    return evaluator.evaluate(scorer(emb.users, itemsT));
  } finally {
    emb.users.dispose();
    emb.items.dispose();
    itemsT.dispose();
  }
}

/** What one epoch costs, measured by {@link measureEpoch}. */
export interface EpochCost {
  /** Seconds of the epoch's set-up (`beginEpoch`: e.g. FREEDOM's edge pruning). */
  readonly beginSeconds: number;
  /** Training seconds per pair (batches after a first, warm-up one). */
  readonly secondsPerPair: number;
  /** Seconds of one evaluation (full ranking of valid and test). */
  readonly evaluationSeconds: number;
}

/**
 * Measures an epoch's cost without training one: `beginEpoch`, one warm-up batch, then
 * `batches` timed batches (fewer when the loader has fewer) and one evaluation. The model's
 * weights move by those few steps: measure on a model that is then thrown away.
 */
export async function measureEpoch(
  model: Recommender,
  loader: TrainingLoader,
  evaluator: Evaluator,
  options: { batches?: number; seed?: number } = {},
): Promise<EpochCost> {
  const batches = options.batches ?? 3;
  const optimizer = tf.train.adam(1e-3);
  try {
    const t0 = performance.now();
    model.beginEpoch(loader, new Rng(options.seed ?? 0));
    const beginSeconds = (performance.now() - t0) / 1000;
    let seen = 0;
    let pairs = 0;
    let timed = 0;
    let start = performance.now();
    for await (const batch of loader) {
      const lossT = optimizer.minimize(() => model.loss(batch), true, model.variables);
      if (lossT !== null) {
        await lossT.data();
        lossT.dispose();
      }
      if (seen++ === 0) {
        // The first batch pays for kernel set-up: timed only when it is the only one.
        timed = (performance.now() - start) / 1000;
        pairs = batch.users.length;
        start = performance.now();
        continue;
      }
      if (seen === 2) pairs = 0;
      pairs += batch.users.length;
      timed = (performance.now() - start) / 1000;
      if (seen > batches) break;
    }
    const t1 = performance.now();
    evaluateModel(model, evaluator);
    const evaluationSeconds = (performance.now() - t1) / 1000;
    return { beginSeconds, secondsPerPair: pairs === 0 ? 0 : timed / pairs, evaluationSeconds };
  } finally {
    optimizer.dispose();
  }
}

/**
 * Trains `model` on `loader` with Adam (MMRec defaults: lr 1e-3), evaluates after every epoch
 * by full ranking, stops early on validation Recall@20, and reports the test metrics of the
 * best validation epoch (test is never used for selection).
 */
export async function trainAndEvaluate(
  model: Recommender,
  loader: TrainingLoader,
  evaluator: Evaluator,
  options: TrainOptions = {},
): Promise<RunResult> {
  const maxEpochs = options.maxEpochs ?? 1000;
  const stopper = new EarlyStopper(options.patience ?? 20);
  const optimizer = tf.train.adam(options.learningRate ?? 1e-3);
  const rng = new Rng((options.seed ?? 0) * 31 + 17);
  const history: EpochRecord[] = [];
  let best: { valid: Metrics; test: Metrics; per: Float32Array } | undefined;
  let trainSeconds = 0;
  let totalPairs = 0;
  try {
    for (let epoch = 1; epoch <= maxEpochs; epoch++) {
      if (options.signal?.aborted === true) break;
      const t0 = performance.now();
      model.beginEpoch(loader, rng);
      let lossSum = 0;
      let pairs = 0;
      for await (const batch of loader) {
        const lossT = optimizer.minimize(() => model.loss(batch), true, model.variables);
        if (lossT !== null) {
          lossSum += (await lossT.data())[0]! * batch.users.length;
          lossT.dispose();
        }
        pairs += batch.users.length;
      }
      const seconds = (performance.now() - t0) / 1000;
      trainSeconds += seconds;
      totalPairs += pairs;
      const result = evaluateModel(model, evaluator);
      const v20 = result.valid.metrics['recall@20']!;
      if (stopper.update(epoch, v20)) best = { valid: result.valid.metrics, test: result.test.metrics, per: result.test.perUserRecall };
      const record: EpochRecord = { epoch, loss: pairs === 0 ? 0 : lossSum / pairs, pairs, trainSeconds: seconds, validRecall20: v20 };
      history.push(record);
      options.onEpoch?.(record);
      if (stopper.shouldStop) break;
      // Let timers and I/O run between epochs.
      await new Promise<void>((r) => setImmediate(r));
    }
  } finally {
    optimizer.dispose();
  }
  const epochs = history.length;
  return {
    bestEpoch: stopper.bestEpoch,
    epochs,
    valid: best?.valid ?? {},
    test: best?.test ?? {},
    perUserTestRecall: best?.per ?? new Float32Array(0),
    secondsPerEpoch: epochs === 0 ? 0 : trainSeconds / epochs,
    pairsPerEpoch: epochs === 0 ? 0 : totalPairs / epochs,
    history,
  };
}
