import type { PairBatch, SparseInteractions, TrainingLoader } from '../loader.js';
import type { Rng } from '../rng.js';
import { tf } from '../tf-backend.js';
import { bipartiteAdjacency, degreeSensitivePrune, itemItemGraph, itemKnn } from './graph.js';
import { type CsrMatrix, bprLoss, csrFromCoo, gatherRows, l2PerBatch, rowDot, spmm, xavierVariable } from './ops.js';
import type { ModelName, ModelOptions, Recommender } from './types.js';

/** Default L2 weights (MMRec tunes them on a grid; these are our fixed picks from it). */
export const DEFAULT_REG: Readonly<Record<ModelName, number>> = { bpr: 1e-5, lightgcn: 1e-4, vbpr: 1e-5, freedom: 0 };

function negatives(batch: PairBatch): Int32Array {
  if (batch.negatives === undefined) throw new Error('This model needs one sampled negative per positive (PairBatch.negatives).');
  return batch.negatives;
}

function matrixOf(loader: TrainingLoader): SparseInteractions {
  const m = loader.interactionMatrix?.();
  if (m === undefined) throw new Error('Graph models need loader.interactionMatrix().');
  return m;
}

/** BPR-MF: user and item embeddings, score = dot product, BPR loss + L2 on the batch. */
export class BprMf implements Recommender {
  readonly name: ModelName = 'bpr';
  readonly variables: tf.Variable[];
  private readonly user: tf.Variable<tf.Rank.R2>;
  private readonly item: tf.Variable<tf.Rank.R2>;
  private readonly reg: number;

  constructor(numUsers: number, numItems: number, options: ModelOptions = {}) {
    const d = options.embeddingSize ?? 64;
    const seed = options.seed ?? 0;
    this.user = xavierVariable(numUsers, d, seed * 7 + 1);
    this.item = xavierVariable(numItems, d, seed * 7 + 2);
    this.reg = options.regWeight ?? DEFAULT_REG.bpr;
    this.variables = [this.user, this.item];
  }

  beginEpoch(): void {}

  loss(batch: PairBatch): tf.Scalar {
    const u = gatherRows(this.user, batch.users);
    const p = gatherRows(this.item, batch.positives);
    const n = gatherRows(this.item, negatives(batch));
    const l = bprLoss(rowDot(u, p), rowDot(u, n));
    return this.reg === 0 ? l : tf.add(l, tf.mul(this.reg, l2PerBatch(batch.users.length, u, p, n)));
  }

  embeddings(): { users: tf.Tensor2D; items: tf.Tensor2D } {
    return { users: this.user.clone(), items: this.item.clone() };
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}

/**
 * LightGCN: embeddings propagated over the normalised user–item graph built from
 * `loader.interactionMatrix()` (weighted when it is R̄), final embedding = mean of the layers;
 * BPR loss + L2 on the batch's layer-0 embeddings. Propagation is recomputed per batch, as in
 * MMRec.
 */
export class LightGcn implements Recommender {
  readonly name: ModelName = 'lightgcn';
  readonly variables: tf.Variable[];
  protected readonly user: tf.Variable<tf.Rank.R2>;
  protected readonly item: tf.Variable<tf.Rank.R2>;
  protected readonly reg: number;
  protected readonly layers: number;
  protected adjacency: CsrMatrix | undefined;
  protected readonly numUsers: number;
  protected readonly numItems: number;

  constructor(numUsers: number, numItems: number, options: ModelOptions = {}) {
    const d = options.embeddingSize ?? 64;
    const seed = options.seed ?? 0;
    this.numUsers = numUsers;
    this.numItems = numItems;
    this.user = xavierVariable(numUsers, d, seed * 7 + 1);
    this.item = xavierVariable(numItems, d, seed * 7 + 2);
    this.reg = options.regWeight ?? DEFAULT_REG.lightgcn;
    this.layers = options.layers ?? 2;
    this.variables = [this.user, this.item];
  }

  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- same signature as Freedom's override
  beginEpoch(loader: TrainingLoader, _rng?: Rng): void {
    this.adjacency ??= bipartiteAdjacency(matrixOf(loader));
  }

  protected propagate(adj: CsrMatrix): { users: tf.Tensor2D; items: tf.Tensor2D } {
    const ego = tf.concat([this.user, this.item], 0);
    let h: tf.Tensor2D = ego;
    let acc: tf.Tensor2D = ego;
    for (let l = 0; l < this.layers; l++) {
      h = spmm(adj, h);
      acc = tf.add(acc, h);
    }
    const mean = tf.div<tf.Tensor2D>(acc, this.layers + 1);
    const [users, items] = tf.split(mean, [this.numUsers, this.numItems], 0) as [tf.Tensor2D, tf.Tensor2D];
    return { users, items };
  }

  loss(batch: PairBatch): tf.Scalar {
    if (this.adjacency === undefined) throw new Error('LightGCN: beginEpoch was not called.');
    const all = this.propagate(this.adjacency);
    const neg = negatives(batch);
    const u = gatherRows(all.users, batch.users);
    const p = gatherRows(all.items, batch.positives);
    const n = gatherRows(all.items, neg);
    const l = bprLoss(rowDot(u, p), rowDot(u, n));
    if (this.reg === 0) return l;
    const e = l2PerBatch(
      batch.users.length,
      gatherRows(this.user, batch.users),
      gatherRows(this.item, batch.positives),
      gatherRows(this.item, neg),
    );
    return tf.add(l, tf.mul(this.reg, e));
  }

  embeddings(): { users: tf.Tensor2D; items: tf.Tensor2D } {
    if (this.adjacency === undefined) throw new Error('LightGCN: beginEpoch was not called.');
    return tf.tidy(() => this.propagate(this.adjacency!));
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}

/**
 * VBPR: score = `[θ_u; γ_u] · [γ_i; E f_i]` with a learned linear map `E` of the item's
 * content features `f_i` (the concatenated dense modalities, as MMRec does). A
 * neighbour-list modality has no dense features: its content vector is the item's sparse
 * kNN similarity row (`f_i = S_i·`, an I-dimensional feature), mapped by a learned `I × d`
 * matrix: so VBPR still runs, on the similarity graph instead of raw features
 * **[our choice; documented in docs/evaluation.md]**.
 */
export class Vbpr implements Recommender {
  readonly name: ModelName = 'vbpr';
  readonly variables: tf.Variable[];
  private readonly user: tf.Variable<tf.Rank.R2>;
  private readonly item: tf.Variable<tf.Rank.R2>;
  private readonly reg: number;
  private readonly dense: Array<{ x: tf.Tensor2D; w: tf.Variable<tf.Rank.R2> }> = [];
  private readonly lists: Array<{ s: CsrMatrix; w: tf.Variable<tf.Rank.R2> }> = [];
  private readonly bias: tf.Variable;

  constructor(numUsers: number, numItems: number, options: ModelOptions = {}) {
    const d = options.embeddingSize ?? 64;
    const seed = options.seed ?? 0;
    this.user = xavierVariable(numUsers, 2 * d, seed * 7 + 1);
    this.item = xavierVariable(numItems, d, seed * 7 + 2);
    this.reg = options.regWeight ?? DEFAULT_REG.vbpr;
    const mods = options.modalities ?? [];
    let s = 3;
    for (const m of mods) {
      if (m.kind === 'dense') {
        const x = tf.tensor2d(Float32Array.from(m.features), [numItems, m.dim]);
        this.dense.push({ x, w: xavierVariable(m.dim, d, seed * 7 + s++) });
      } else {
        const knn = itemKnn(m, numItems, Number.MAX_SAFE_INTEGER);
        const rows = new Int32Array(knn.cols.length);
        for (let i = 0; i < numItems; i++) rows.fill(i, knn.rowPtr[i], knn.rowPtr[i + 1]);
        this.lists.push({ s: csrFromCoo(numItems, numItems, rows, knn.cols, knn.sims), w: xavierVariable(numItems, d, seed * 7 + s++) });
      }
    }
    this.bias = tf.variable(tf.zeros([1, d]), true);
    this.variables = [this.user, this.item, this.bias, ...this.dense.map((e) => e.w), ...this.lists.map((e) => e.w)];
    if (mods.length === 0) throw new Error('VBPR needs at least one item modality (dense features or neighbour lists).');
  }

  beginEpoch(): void {}

  private itemVectors(): tf.Tensor2D {
    let content: tf.Tensor2D = this.bias as tf.Tensor2D;
    for (const { x, w } of this.dense) content = tf.add(content, tf.matMul(x, w));
    for (const { s, w } of this.lists) content = tf.add(content, spmm(s, w));
    return tf.concat([this.item, content], 1);
  }

  loss(batch: PairBatch): tf.Scalar {
    const items = this.itemVectors();
    const u = gatherRows(this.user, batch.users);
    const p = gatherRows(items, batch.positives);
    const n = gatherRows(items, negatives(batch));
    const l = bprLoss(rowDot(u, p), rowDot(u, n));
    return this.reg === 0 ? l : tf.add(l, tf.mul(this.reg, l2PerBatch(batch.users.length, u, p, n)));
  }

  embeddings(): { users: tf.Tensor2D; items: tf.Tensor2D } {
    return tf.tidy(() => ({ users: this.user.clone(), items: this.itemVectors() }));
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
    for (const { x } of this.dense) x.dispose();
  }
}

/** FREEDOM-specific options. */
export interface FreedomOptions extends ModelOptions {
  /** kNN size of the frozen item–item graph; default 10. */
  readonly knnK?: number;
  /** Share of edges pruned each epoch (degree-sensitive); default 0.8. */
  readonly dropout?: number;
  /** Weight of a modality named `image` in the item–item graph; default 0.1. */
  readonly imageWeight?: number;
  /** Propagation layers over the item–item graph; default 1. */
  readonly mmLayers?: number;
}

/**
 * FREEDOM (Zhou & Shen, 2023), simplified: a frozen item–item kNN graph from the modalities
 * (binary top-10, `D^-1/2 A D^-1/2`, image weight 0.1), degree-sensitive pruning of the
 * user–item graph each epoch (80 % of edges dropped), LightGCN (2 layers) on the pruned
 * graph, item representation = LightGCN item embedding + item–item-propagated ID embedding.
 * Differences from MMRec's FREEDOM: the modality BPR terms are off (`reg_weight = 0`, one of
 * MMRec's grid values), so the projection heads are omitted; edge weights of R̄ enter the
 * sampling probability and the adjacency.
 */
export class Freedom extends LightGcn {
  override readonly name: ModelName = 'freedom';
  private readonly itemGraph: CsrMatrix;
  private readonly dropout: number;
  private readonly mmLayers: number;
  private pruned: CsrMatrix | undefined;

  constructor(numUsers: number, numItems: number, options: FreedomOptions = {}) {
    super(numUsers, numItems, { ...options, regWeight: options.regWeight ?? DEFAULT_REG.freedom, layers: options.layers ?? 2 });
    const mods = options.modalities ?? [];
    if (mods.length === 0) throw new Error('FREEDOM needs at least one item modality (dense features or neighbour lists).');
    this.itemGraph = itemItemGraph(mods, numItems, options.knnK ?? 10, options.imageWeight ?? 0.1);
    this.dropout = options.dropout ?? 0.8;
    this.mmLayers = options.mmLayers ?? 1;
  }

  override beginEpoch(loader: TrainingLoader, rng: Rng): void {
    const m = matrixOf(loader);
    this.adjacency ??= bipartiteAdjacency(m);
    this.pruned = this.dropout > 0 ? bipartiteAdjacency(m, degreeSensitivePrune(m, this.dropout, rng)) : this.adjacency;
  }

  private forward(adj: CsrMatrix): { users: tf.Tensor2D; items: tf.Tensor2D } {
    let h: tf.Tensor2D = this.item;
    for (let l = 0; l < this.mmLayers; l++) h = spmm(this.itemGraph, h);
    const g = this.propagate(adj);
    return { users: g.users, items: tf.add(g.items, h) };
  }

  override loss(batch: PairBatch): tf.Scalar {
    if (this.pruned === undefined) throw new Error('FREEDOM: beginEpoch was not called.');
    const all = this.forward(this.pruned);
    const neg = negatives(batch);
    const u = gatherRows(all.users, batch.users);
    const p = gatherRows(all.items, batch.positives);
    const n = gatherRows(all.items, neg);
    const l = bprLoss(rowDot(u, p), rowDot(u, n));
    return this.reg === 0 ? l : tf.add(l, tf.mul(this.reg, l2PerBatch(batch.users.length, u, p, n)));
  }

  override embeddings(): { users: tf.Tensor2D; items: tf.Tensor2D } {
    if (this.adjacency === undefined) throw new Error('FREEDOM: beginEpoch was not called.');
    return tf.tidy(() => this.forward(this.adjacency!));
  }
}

/** Creates a model by name. */
export function createModel(name: ModelName, numUsers: number, numItems: number, options: FreedomOptions = {}): Recommender {
  switch (name) {
    case 'bpr':
      return new BprMf(numUsers, numItems, options);
    case 'lightgcn':
      return new LightGcn(numUsers, numItems, options);
    case 'vbpr':
      return new Vbpr(numUsers, numItems, options);
    case 'freedom':
      return new Freedom(numUsers, numItems, options);
  }
}
