import { tf } from '../tf-backend.js';

/**
 * A sparse matrix in CSR form (float32 values), with its transpose built on demand for
 * back-propagation.
 */
export interface CsrMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly rowPtr: Int32Array;
  readonly colIdx: Int32Array;
  readonly values: Float32Array;
  /** Set when the matrix is known to be symmetric: the transpose is itself. */
  readonly symmetric?: boolean;
}

/** Builds a CSR matrix from COO triplets (duplicates summed, columns sorted per row). */
export function csrFromCoo(rows: number, cols: number, r: Int32Array, c: Int32Array, v: Float32Array, symmetric = false): CsrMatrix {
  const count = new Int32Array(rows + 1);
  for (let p = 0; p < r.length; p++) count[r[p]! + 1]!++;
  for (let i = 0; i < rows; i++) count[i + 1]! += count[i]!;
  const fill = count.slice(0, rows);
  const order = new Int32Array(r.length);
  for (let p = 0; p < r.length; p++) order[fill[r[p]!]!++] = p;
  const rowPtr = new Int32Array(rows + 1);
  const colIdx: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < rows; i++) {
    const seg = Array.from(order.subarray(count[i], count[i + 1])).sort((a, b) => c[a]! - c[b]! || a - b);
    for (const p of seg) {
      const last = colIdx.length - 1;
      if (colIdx.length > rowPtr[i]! && colIdx[last] === c[p]) values[last]! += v[p]!;
      else {
        colIdx.push(c[p]!);
        values.push(v[p]!);
      }
    }
    rowPtr[i + 1] = colIdx.length;
  }
  return { rows, cols, rowPtr, colIdx: Int32Array.from(colIdx), values: Float32Array.from(values), symmetric };
}

const transposes = new WeakMap<CsrMatrix, CsrMatrix>();

/** The transpose of `a` (cached). */
export function transpose(a: CsrMatrix): CsrMatrix {
  if (a.symmetric === true) return a;
  let t = transposes.get(a);
  if (t === undefined) {
    const r = new Int32Array(a.colIdx.length);
    for (let i = 0; i < a.rows; i++) r.fill(i, a.rowPtr[i], a.rowPtr[i + 1]);
    t = csrFromCoo(a.cols, a.rows, a.colIdx, r, a.values);
    transposes.set(a, t);
  }
  return t;
}

/**
 * Plain CSR × dense product on float32 arrays: `out = a · x`, `x` is `a.cols × d` row-major.
 * For `d` a multiple of 8 each output row is built 8 columns at a time in registers (float64
 * accumulators), about 2× faster than the straightforward loop in V8.
 */
export function spmmArrays(a: CsrMatrix, x: Float32Array, d: number): Float32Array {
  const out = new Float32Array(a.rows * d);
  const { rowPtr, colIdx, values } = a;
  if (d % 8 !== 0) {
    for (let i = 0; i < a.rows; i++) {
      const o = i * d;
      for (let p = rowPtr[i]!; p < rowPtr[i + 1]!; p++) {
        const w = values[p]!;
        const c = colIdx[p]! * d;
        for (let k = 0; k < d; k++) out[o + k]! += w * x[c + k]!;
      }
    }
    return out;
  }
  for (let i = 0; i < a.rows; i++) {
    const o = i * d;
    const start = rowPtr[i]!;
    const end = rowPtr[i + 1]!;
    for (let k = 0; k < d; k += 8) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0; // prettier-ignore
      for (let p = start; p < end; p++) {
        const w = values[p]!;
        const c = colIdx[p]! * d + k;
        s0 += w * x[c]!;
        s1 += w * x[c + 1]!;
        s2 += w * x[c + 2]!;
        s3 += w * x[c + 3]!;
        s4 += w * x[c + 4]!;
        s5 += w * x[c + 5]!;
        s6 += w * x[c + 6]!;
        s7 += w * x[c + 7]!;
      }
      out[o + k] = s0;
      out[o + k + 1] = s1;
      out[o + k + 2] = s2;
      out[o + k + 3] = s3;
      out[o + k + 4] = s4;
      out[o + k + 5] = s5;
      out[o + k + 6] = s6;
      out[o + k + 7] = s7;
    }
  }
  return out;
}

/**
 * Sparse × dense product `a · x` as a differentiable tfjs op. tfjs has no sparse kernels on the
 * wasm backend (and gather's gradient needs UnsortedSegmentSum, which wasm lacks), so the
 * product runs as a tight CSR loop on the host; the gradient is `aᵀ · dy`.
 */
export function spmm(a: CsrMatrix, x: tf.Tensor2D): tf.Tensor2D {
  const d = x.shape[1];
  const op = tf.customGrad(((xi: tf.Tensor) => {
    const value = tf.tensor2d(spmmArrays(a, xi.dataSync() as Float32Array, d), [a.rows, d]);
    return { value, gradFunc: (dy: tf.Tensor) => tf.tensor2d(spmmArrays(transpose(a), dy.dataSync() as Float32Array, d), [a.cols, d]) };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x) as tf.Tensor2D;
}

/**
 * Row lookup `table[indices]` whose gradient is a dense scatter-add (tfjs's own gather
 * gradient uses UnsortedSegmentSum, missing on the wasm backend).
 */
export function gatherRows(table: tf.Tensor2D, indices: Int32Array): tf.Tensor2D {
  const [rows, d] = table.shape;
  const op = tf.customGrad(((t: tf.Tensor) => {
    const value = tf.gather(t, tf.tensor1d(indices, 'int32'));
    const gradFunc = (dy: tf.Tensor): tf.Tensor => {
      const g = new Float32Array(rows * d);
      const dv = dy.dataSync() as Float32Array;
      for (let b = 0; b < indices.length; b++) {
        const o = indices[b]! * d;
        const s = b * d;
        for (let k = 0; k < d; k++) g[o + k]! += dv[s + k]!;
      }
      return tf.tensor2d(g, [rows, d]);
    };
    return { value, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(table) as tf.Tensor2D;
}

/**
 * Mean BPR loss `-mean(log σ(pos - neg)) = mean(softplus(neg - pos))` (tfjs's own
 * `logSigmoid` gradient reads a disposed tensor, hence softplus).
 */
export function bprLoss(pos: tf.Tensor, neg: tf.Tensor): tf.Scalar {
  return tf.mean<tf.Scalar>(tf.softplus(tf.sub(neg, pos)));
}

/** Row-wise dot products of two `n × d` tensors. */
export function rowDot(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  return tf.sum(tf.mul(a, b), 1);
}

/** Sum of squares of the given tensors divided by `n` (the batch size). */
export function l2PerBatch(n: number, ...ts: tf.Tensor[]): tf.Scalar {
  let s: tf.Scalar = tf.scalar(0);
  for (const t of ts) s = tf.add(s, tf.sum(tf.square(t)));
  return tf.div(s, n);
}

/** Xavier-normal initialised `rows × cols` variable (MMRec's initialiser for embeddings). */
export function xavierVariable(rows: number, cols: number, seed: number): tf.Variable<tf.Rank.R2> {
  const std = Math.sqrt(2 / (rows + cols));
  return tf.variable<tf.Rank.R2>(tf.randomNormal<tf.Rank.R2>([rows, cols], 0, std, 'float32', seed), true);
}
