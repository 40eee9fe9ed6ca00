import type { tf } from '../tf-backend.js';
import type { PairBatch, TrainingLoader } from '../loader.js';
import type { Rng } from '../rng.js';

/** Names of the reference models. */
export type ModelName = 'bpr' | 'lightgcn' | 'vbpr' | 'freedom';

/** Dense item features of one modality (`numItems × dim`, row i = item i). */
export interface DenseItemFeatures {
  readonly kind: 'dense';
  readonly name: string;
  readonly features: Float32Array | Float64Array;
  readonly dim: number;
}

/** Precomputed item neighbour lists of one modality (item → neighbour, cosine). */
export interface NeighbourItemFeatures {
  readonly kind: 'neighbours';
  readonly name: string;
  readonly items: Int32Array;
  readonly neighbours: Int32Array;
  readonly cosines: Float32Array | Float64Array;
}

/** Item side information a multimodal model may use. */
export type ItemFeatures = DenseItemFeatures | NeighbourItemFeatures;

/** Hyper-parameters shared by the models (MMRec defaults unless stated). */
export interface ModelOptions {
  /** Embedding size; default 64. */
  readonly embeddingSize?: number;
  /** L2 weight on the batch's embeddings (per model default, see each model). */
  readonly regWeight?: number;
  /** Propagation layers of graph models (LightGCN default 2; FREEDOM's user–item graph 2). */
  readonly layers?: number;
  /** Seed of the initialisation. */
  readonly seed?: number;
  /** Item modalities (VBPR and FREEDOM). */
  readonly modalities?: readonly ItemFeatures[];
}

/**
 * A trainable recommender. The training loop calls `beginEpoch` once per epoch (graph models
 * read `loader.interactionMatrix()` there), `loss` per batch inside the optimiser, and
 * `embeddings` to rank: the score of (u, i) is the dot product of the two rows.
 */
export interface Recommender {
  readonly name: ModelName;
  readonly variables: tf.Variable[];
  beginEpoch(loader: TrainingLoader, rng: Rng): void;
  loss(batch: PairBatch): tf.Scalar;
  embeddings(): { users: tf.Tensor2D; items: tf.Tensor2D };
  dispose(): void;
}
