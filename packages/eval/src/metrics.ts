import type { SparseInteractions } from './loader.js';

/**
 * Indices of the `k` highest scores of `scores[offset … offset+n)`, best first; equal scores
 * put the smaller index first. Indices listed in `mask[maskLo … maskHi)` (sorted) are skipped.
 * Returns fewer than `k` when fewer candidates exist.
 */
export function topK(scores: Float32Array, offset: number, n: number, k: number, mask?: Int32Array, maskLo = 0, maskHi = 0): Int32Array {
  const idx = new Int32Array(k);
  const val = new Float64Array(k);
  let size = 0;
  let m = maskLo;
  for (let j = 0; j < n; j++) {
    if (mask !== undefined && m < maskHi && mask[m] === j) {
      m++;
      continue;
    }
    const s = scores[offset + j]!;
    if (Number.isNaN(s)) continue;
    if (size === k && !(s > val[k - 1]!)) continue;
    // insert after every entry with score >= s (earlier, smaller ids win ties)
    let pos = size === k ? k - 1 : size;
    while (pos > 0 && val[pos - 1]! < s) {
      if (pos < k) {
        val[pos] = val[pos - 1]!;
        idx[pos] = idx[pos - 1]!;
      }
      pos--;
    }
    val[pos] = s;
    idx[pos] = j;
    if (size < k) size++;
  }
  return size === k ? idx : idx.slice(0, size);
}

/** Recall@K = (relevant items among the first K ranked) / |relevant|; 0 when nothing is relevant. */
export function recallAtK(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  if (relevant.size === 0) return 0;
  let hits = 0;
  const n = Math.min(k, ranked.length);
  for (let r = 0; r < n; r++) if (relevant.has(ranked[r]!)) hits++;
  return hits / relevant.size;
}

/** NDCG@K with binary gains: DCG = Σ_{hits at rank r (0-based)} 1/log2(r+2), ideal over min(|relevant|, K) positions. */
export function ndcgAtK(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  if (relevant.size === 0) return 0;
  let dcg = 0;
  const n = Math.min(k, ranked.length);
  for (let r = 0; r < n; r++) if (relevant.has(ranked[r]!)) dcg += 1 / Math.log2(r + 2);
  let idcg = 0;
  for (let r = 0; r < Math.min(relevant.size, k); r++) idcg += 1 / Math.log2(r + 2);
  return dcg / idcg;
}

/** Metric name → value, e.g. `{ 'recall@20': 0.04, 'ndcg@20': 0.02 }`. */
export type Metrics = Record<string, number>;

/** Metrics of one split plus per-user Recall@20 (NaN for users without relevant items). */
export interface SplitResult {
  readonly metrics: Metrics;
  readonly users: number;
  readonly perUserRecall: Float32Array;
}

/**
 * Full-ranking evaluation (MMRec protocol): every item is ranked for every user, the user's
 * *real* training items (`mask`) are skipped, and Recall@K / NDCG@K are averaged over the users
 * with at least one relevant item of the split. Valid and test share one ranking (MMRec masks
 * only training items in both). K = 20 is always computed (early stopping uses it).
 */
export class Evaluator {
  readonly ks: readonly number[];
  readonly users: Int32Array;
  private readonly maxK: number;

  constructor(
    readonly mask: SparseInteractions,
    readonly valid: SparseInteractions,
    readonly test: SparseInteractions,
    ks: readonly number[] = [10, 20],
  ) {
    this.ks = [...new Set([...ks, 20])].sort((a, b) => a - b);
    this.maxK = Math.max(...this.ks);
    const list: number[] = [];
    for (let u = 0; u < mask.numUsers; u++) {
      if (valid.rowPtr[u + 1]! > valid.rowPtr[u]! || test.rowPtr[u + 1]! > test.rowPtr[u]!) list.push(u);
    }
    this.users = Int32Array.from(list);
  }

  /**
   * Scores the evaluated users in chunks with `score(users) → users.length × numItems`
   * (row-major) and returns both splits' metrics.
   */
  evaluate(score: (users: Int32Array) => Float32Array, chunk = 1024): { valid: SplitResult; test: SplitResult } {
    const I = this.mask.numItems;
    const acc = { valid: new Float64Array(this.ks.length * 2), test: new Float64Array(this.ks.length * 2) };
    const count = { valid: 0, test: 0 };
    const per = { valid: new Float32Array(this.mask.numUsers).fill(NaN), test: new Float32Array(this.mask.numUsers).fill(NaN) };
    for (let start = 0; start < this.users.length; start += chunk) {
      const batch = this.users.subarray(start, Math.min(start + chunk, this.users.length));
      const scores = score(batch);
      for (let b = 0; b < batch.length; b++) {
        const u = batch[b]!;
        const ranked = topK(scores, b * I, I, this.maxK, this.mask.items, this.mask.rowPtr[u], this.mask.rowPtr[u + 1]);
        for (const split of ['valid', 'test'] as const) {
          const m = this[split];
          const lo = m.rowPtr[u]!;
          const hi = m.rowPtr[u + 1]!;
          if (hi === lo) continue;
          const rel = new Set<number>(m.items.subarray(lo, hi));
          count[split]++;
          this.ks.forEach((k, q) => {
            const a = acc[split];
            a[2 * q] = a[2 * q]! + recallAtK(ranked, rel, k);
            a[2 * q + 1] = a[2 * q + 1]! + ndcgAtK(ranked, rel, k);
          });
          per[split][u] = recallAtK(ranked, rel, 20);
        }
      }
    }
    const out = (split: 'valid' | 'test'): SplitResult => {
      const metrics: Metrics = {};
      this.ks.forEach((k, q) => {
        metrics[`recall@${k}`] = count[split] === 0 ? 0 : acc[split][2 * q]! / count[split];
        metrics[`ndcg@${k}`] = count[split] === 0 ? 0 : acc[split][2 * q + 1]! / count[split];
      });
      return { metrics, users: count[split], perUserRecall: per[split] };
    };
    return { valid: out('valid'), test: out('test') };
  }
}
