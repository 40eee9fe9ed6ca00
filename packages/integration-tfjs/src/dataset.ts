import { InvalidArgumentError } from '@vi-mmrec/core';
import type { AugmentResult } from '@vi-mmrec/core';
import { pairLoader, withVirtualInteractions } from '@vi-mmrec/integration-loader';
import type { NegativePolicy, PairBatch, TrainingLoader } from '@vi-mmrec/integration-loader';
import type { Tensor2D, tensor2d } from '@tensorflow/tfjs-core';
import type { Dataset, generator } from '@tensorflow/tfjs-data';

/**
 * The part of the TensorFlow.js module this package uses; pass `tf` from `@tensorflow/tfjs`
 * (or any build exposing `tensor2d` and `data.generator`).
 */
export interface TfModule {
  /** `tf.tensor2d`, used to build each element's tensors. */
  readonly tensor2d: typeof tensor2d;
  /** `tf.data`, of which only `generator` is used. */
  readonly data: {
    /** `tf.data.generator`, which wraps the batch stream. */
    readonly generator: typeof generator;
  };
}

/** The model inputs of one element, by input name. */
// A type alias (not an interface) so that it is assignable to tf.data's TensorContainer.
export type PairInputs = {
  /** User ids, int32 [b, 1]. */
  users: Tensor2D;
  /** Positive item ids (real or virtual), int32 [b, 1]. */
  positives: Tensor2D;
  /** Negative item ids, int32 [b, m]. */
  negatives: Tensor2D;
};

/** One dataset element: a batch of (user, positive, negatives) ids and per-pair weights. */
export type PairElement = {
  /** Model inputs by name. */
  xs: PairInputs;
  /**
   * Float32 [b, 1]: the pair's weight (`max(1, R̄)` with `exposeWeights`, else the loader's
   * weights or ones). It is the target `fitDataset` needs; a BPR loss may use it as a sample
   * weight or ignore it.
   */
  ys: Tensor2D;
};

/** Options of {@link pairBatchDataset}. */
export interface PairBatchDatasetOptions {
  /** Epochs per iteration of the dataset; default 1 (each new iteration is the next epoch). */
  readonly epochs?: number;
}

/** Options of {@link virtualInteractionsDataset}. */
export interface VirtualInteractionsDatasetOptions extends PairBatchDatasetOptions {
  /** Pairs per batch; default 1024. */
  readonly batchSize?: number;
  /** Seed of shuffling, virtual sampling and negatives; default 0. */
  readonly seed?: number;
  /** Negative policy; default `'non-real'` (see `@vi-mmrec/integration-loader`). */
  readonly negatives?: NegativePolicy;
  /** Negatives per pair; default 1. */
  readonly negativesPerPair?: number;
  /** Put `max(1, R̄)` into `ys` instead of ones; default false. */
  readonly exposeWeights?: boolean;
}

function checkEpochs(epochs: unknown): number {
  if (typeof epochs !== 'number' || !Number.isInteger(epochs) || epochs < 1) {
    throw new InvalidArgumentError('epochs', `epochs must be an integer ≥ 1, got ${String(epochs)}.`);
  }
  return epochs;
}

/**
 * Turns any {@link TrainingLoader} (e.g. one wrapped by `withVirtualInteractions`) into a
 * `tf.data.Dataset` of {@link PairElement}s, one element per loader batch. Every iteration
 * of the dataset (what `model.fitDataset` starts each epoch) runs `epochs` epochs of the
 * loader. Tensors are created lazily per element; their consumer disposes them
 * (`fitDataset` does).
 *
 * @param tf - The TensorFlow.js module.
 * @param loader - The loader to read.
 * @param options - Epochs per iteration.
 */
export function pairBatchDataset(tf: TfModule, loader: TrainingLoader, options: PairBatchDatasetOptions = {}): Dataset<PairElement> {
  const epochs = checkEpochs(options.epochs ?? 1);
  const toElement = (b: PairBatch): PairElement => {
    const n = b.users.length;
    const negatives = b.negatives ?? new Int32Array(0);
    const m = n === 0 ? 0 : negatives.length / n;
    const weights = b.weights ?? new Float32Array(n).fill(1);
    return {
      xs: {
        users: tf.tensor2d(b.users, [n, 1], 'int32'),
        positives: tf.tensor2d(b.positives, [n, 1], 'int32'),
        negatives: tf.tensor2d(negatives, [n, m], 'int32'),
      },
      ys: tf.tensor2d(weights, [n, 1], 'float32'),
    };
  };
  async function* stream(): AsyncGenerator<PairElement, void, undefined> {
    for (let e = 0; e < epochs; e++) {
      const it = loader[Symbol.asyncIterator]();
      for (;;) {
        const step = await it.next();
        if (step.done === true) break;
        yield toElement(step.value);
      }
    }
  }
  return tf.data.generator(stream);
}

/**
 * A `tf.data.Dataset` of training pairs straight from an `AugmentResult`: each epoch holds
 * every real pair of R̄ (shuffled) plus each virtual pair with probability `min(1, R̄_uj)`,
 * mixed in at random positions, with fresh negatives — the sampling of
 * `@vi-mmrec/integration-loader`'s `withVirtualInteractions` over a `pairLoader` of the real
 * pairs. Deterministic for a seed; successive iterations are successive epochs.
 *
 * @example
 * ```ts
 * const ds = virtualInteractionsDataset(tf, result, { batchSize: 2048, seed: 1 });
 * await model.fitDataset(ds, { epochs: 50 });
 * ```
 */
export function virtualInteractionsDataset(
  tf: TfModule,
  result: AugmentResult,
  options: VirtualInteractionsDatasetOptions = {},
): Dataset<PairElement> {
  const { matrix } = result;
  const seed = options.seed ?? 0;
  const users: number[] = [];
  const items: number[] = [];
  for (let u = 0; u < matrix.numUsers; u++) {
    for (let p = matrix.rowPtr[u]!; p < matrix.rowPtr[u + 1]!; p++) {
      if (matrix.real[p] === 1) {
        users.push(u);
        items.push(matrix.items[p]!);
      }
    }
  }
  const base = pairLoader({
    numUsers: matrix.numUsers,
    numItems: matrix.numItems,
    users,
    items,
    batchSize: options.batchSize ?? 1024,
    seed,
    negatives: options.negativesPerPair ?? 1,
  });
  const loader = withVirtualInteractions(base, result, {
    seed,
    batchSize: options.batchSize ?? 1024,
    ...(options.negatives === undefined ? {} : { negatives: options.negatives }),
    ...(options.exposeWeights === undefined ? {} : { exposeWeights: options.exposeWeights }),
  });
  return pairBatchDataset(tf, loader, options.epochs === undefined ? {} : { epochs: options.epochs });
}
