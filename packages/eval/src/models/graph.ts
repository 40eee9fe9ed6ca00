import type { SparseInteractions } from '../loader.js';
import type { Rng } from '../rng.js';
import { tf } from '../tf-backend.js';
import { type CsrMatrix, csrFromCoo } from './ops.js';
import type { ItemFeatures } from './types.js';

/**
 * LightGCN's normalised bipartite adjacency `D^-1/2 A D^-1/2` of the user–item graph
 * (`N = U + I` nodes, users first), with `A`'s user–item block the (weighted) interaction
 * matrix and degrees the weighted row sums. `keep`, when given, selects the edges (entries of
 * `m`) that are kept. Symmetric.
 */
export function bipartiteAdjacency(m: SparseInteractions, keep?: Uint8Array): CsrMatrix {
  const U = m.numUsers;
  const I = m.numItems;
  const N = U + I;
  const deg = new Float64Array(N);
  const itemCount = new Int32Array(I + 1);
  for (let u = 0; u < U; u++) {
    for (let p = m.rowPtr[u]!; p < m.rowPtr[u + 1]!; p++) {
      if (keep !== undefined && keep[p] === 0) continue;
      const w = m.values[p]!;
      deg[u]! += w;
      deg[U + m.items[p]!]! += w;
      itemCount[m.items[p]! + 1]!++;
    }
  }
  const inv = new Float64Array(N);
  for (let n = 0; n < N; n++) inv[n] = deg[n]! > 0 ? 1 / Math.sqrt(deg[n]!) : 0;
  for (let i = 0; i < I; i++) itemCount[i + 1]! += itemCount[i]!;
  const nnzHalf = itemCount[I]!;
  const rowPtr = new Int32Array(N + 1);
  const colIdx = new Int32Array(2 * nnzHalf);
  const values = new Float32Array(2 * nnzHalf);
  let q = 0;
  for (let u = 0; u < U; u++) {
    for (let p = m.rowPtr[u]!; p < m.rowPtr[u + 1]!; p++) {
      if (keep !== undefined && keep[p] === 0) continue;
      const i = m.items[p]!;
      colIdx[q] = U + i;
      values[q] = m.values[p]! * inv[u]! * inv[U + i]!;
      q++;
    }
    rowPtr[u + 1] = q;
  }
  // Item rows: users in increasing order (we scan users in order).
  const fill = new Int32Array(I);
  for (let i = 0; i < I; i++) fill[i] = nnzHalf + itemCount[i]!;
  for (let u = 0; u < U; u++) {
    for (let p = m.rowPtr[u]!; p < m.rowPtr[u + 1]!; p++) {
      if (keep !== undefined && keep[p] === 0) continue;
      const i = m.items[p]!;
      const slot = fill[i]!++;
      colIdx[slot] = u;
      values[slot] = m.values[p]! * inv[u]! * inv[U + i]!;
    }
  }
  for (let i = 0; i < I; i++) rowPtr[U + i + 1] = nnzHalf + itemCount[i + 1]!;
  return { rows: N, cols: N, rowPtr, colIdx, values, symmetric: true };
}

/**
 * FREEDOM's degree-sensitive edge pruning: keeps `round((1 - dropout) · E)` edges sampled
 * without replacement with probability ∝ `w_e / sqrt(d_u d_i)` (weighted degrees;
 * `1 / sqrt(d_u d_i)` when all weights are 1, as in FREEDOM). Returns a keep-mask over the
 * entries of `m`.
 */
export function degreeSensitivePrune(m: SparseInteractions, dropout: number, rng: Rng): Uint8Array {
  const E = m.items.length;
  const keepCount = Math.round((1 - dropout) * E);
  const du = new Float64Array(m.numUsers);
  const di = new Float64Array(m.numItems);
  for (let u = 0; u < m.numUsers; u++) {
    for (let p = m.rowPtr[u]!; p < m.rowPtr[u + 1]!; p++) {
      du[u]! += m.values[p]!;
      di[m.items[p]!]! += m.values[p]!;
    }
  }
  // Efraimidis–Spirakis: key = log(r) / w, keep the largest keys.
  const keys = new Float64Array(E);
  for (let u = 0; u < m.numUsers; u++) {
    for (let p = m.rowPtr[u]!; p < m.rowPtr[u + 1]!; p++) {
      const w = m.values[p]! / Math.sqrt(du[u]! * di[m.items[p]!]!);
      keys[p] = Math.log(Math.max(rng.next(), 1e-300)) / w;
    }
  }
  const keep = new Uint8Array(E);
  if (keepCount >= E) return keep.fill(1);
  if (keepCount <= 0) return keep;
  const sorted = Float64Array.from(keys).sort();
  const threshold = sorted[E - keepCount]!;
  let taken = 0;
  for (let p = 0; p < E && taken < keepCount; p++) {
    if (keys[p]! > threshold) {
      keep[p] = 1;
      taken++;
    }
  }
  for (let p = 0; p < E && taken < keepCount; p++) {
    if (keep[p] === 0 && keys[p] === threshold) {
      keep[p] = 1;
      taken++;
    }
  }
  return keep;
}

/**
 * Top-k neighbour lists (excluding the item itself, ties to the smaller id) of each item for
 * one modality: cosine on dense features (computed in row blocks with tfjs), or the listed
 * neighbours of a neighbour-list modality.
 */
export function itemKnn(mod: ItemFeatures, numItems: number, k: number): { rowPtr: Int32Array; cols: Int32Array; sims: Float32Array } {
  const rowPtr = new Int32Array(numItems + 1);
  const cols: number[] = [];
  const sims: number[] = [];
  const pushTop = (i: number, cand: Array<[number, number]>): void => {
    cand.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    for (const [j, s] of cand.slice(0, k)) {
      cols.push(j);
      sims.push(s);
    }
    rowPtr[i + 1] = cols.length;
  };
  if (mod.kind === 'neighbours') {
    const lists: Array<Array<[number, number]>> = Array.from({ length: numItems }, () => []);
    for (let p = 0; p < mod.items.length; p++) {
      const i = mod.items[p]!;
      const j = mod.neighbours[p]!;
      if (i !== j && i >= 0 && i < numItems && j >= 0 && j < numItems) lists[i]!.push([j, mod.cosines[p]!]);
    }
    for (let i = 0; i < numItems; i++) pushTop(i, lists[i]!);
    return { rowPtr, cols: Int32Array.from(cols), sims: Float32Array.from(sims) };
  }
  const { dim } = mod;
  const x = new Float32Array(numItems * dim);
  const valid = new Uint8Array(numItems);
  for (let i = 0; i < numItems; i++) {
    let ss = 0;
    for (let c = 0; c < dim; c++) ss += mod.features[i * dim + c]! ** 2;
    if (ss > 0) {
      valid[i] = 1;
      const inv = 1 / Math.sqrt(ss);
      for (let c = 0; c < dim; c++) x[i * dim + c] = mod.features[i * dim + c]! * inv;
    }
  }
  const all = tf.tensor2d(x, [numItems, dim]);
  const allT = tf.transpose(all);
  const block = 512;
  for (let start = 0; start < numItems; start += block) {
    const n = Math.min(block, numItems - start);
    const st = tf.tidy(() => tf.matMul(all.slice([start, 0], [n, dim]), allT));
    const s = st.dataSync() as Float32Array;
    st.dispose();
    for (let r = 0; r < n; r++) {
      const i = start + r;
      const cand: Array<[number, number]> = [];
      if (valid[i] === 1) {
        // Keep a bounded candidate list: the k best seen so far.
        let minBest = -Infinity;
        for (let j = 0; j < numItems; j++) {
          if (j === i || valid[j] === 0) continue;
          const v = s[r * numItems + j]!;
          if (cand.length < k || v > minBest) {
            cand.push([j, v]);
            if (cand.length > 4 * k) {
              cand.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
              cand.length = k;
              minBest = cand[k - 1]![1];
            }
          }
        }
      }
      pushTop(i, cand);
    }
  }
  all.dispose();
  allT.dispose();
  return { rowPtr, cols: Int32Array.from(cols), sims: Float32Array.from(sims) };
}

/**
 * FREEDOM's frozen item–item graph: per modality the binary top-k kNN graph normalised as
 * `D^-1/2 A D^-1/2` (row degrees), combined with weight `imageWeight` for a modality named
 * `image` and the rest shared equally by the others (one modality: weight 1).
 */
export function itemItemGraph(mods: readonly ItemFeatures[], numItems: number, k: number, imageWeight: number): CsrMatrix {
  const r: number[] = [];
  const c: number[] = [];
  const v: number[] = [];
  const hasImage = mods.some((m) => m.name === 'image') && mods.length > 1;
  const others = hasImage ? mods.length - 1 : mods.length;
  for (const mod of mods) {
    const weight = hasImage ? (mod.name === 'image' ? imageWeight : (1 - imageWeight) / others) : 1 / others;
    const knn = itemKnn(mod, numItems, k);
    const inv = new Float64Array(numItems);
    for (let i = 0; i < numItems; i++) {
      const d = knn.rowPtr[i + 1]! - knn.rowPtr[i]!;
      inv[i] = d > 0 ? 1 / Math.sqrt(d) : 0;
    }
    for (let i = 0; i < numItems; i++) {
      for (let p = knn.rowPtr[i]!; p < knn.rowPtr[i + 1]!; p++) {
        const j = knn.cols[p]!;
        r.push(i);
        c.push(j);
        v.push(weight * inv[i]! * inv[j]!);
      }
    }
  }
  return csrFromCoo(numItems, numItems, Int32Array.from(r), Int32Array.from(c), Float32Array.from(v));
}
