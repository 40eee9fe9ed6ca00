/**
 * The ONNX graph of one column chunk of a neighbour search.
 *
 * The items are split into column chunks `[c0, c1)`; each chunk is one model whose
 * initializers are the chunk's L2-normalised rows of every used part, `X_p[c0:c1]`. A run
 * feeds one row block `A_p` (B × d_p, normalised) per part and returns, per output o, the
 * `min(k_o + 1, c1 - c0)` best columns of every row of the block, and (with
 * `columnOutputs`) the `kc_o` best rows of the block for every column of the chunk:
 *
 * ```
 * S_p = Gemm(A_p, X_p, transB = 1)                  B × (c1 - c0), one per used part
 * T_o = Σ_{p ∈ o} S_p (+ bias_o)                    bias: 0 for valid columns, -inf otherwise
 * V_o, I_o = TopK(T_o, K_o, largest, sorted)        best columns per row
 * U_o = Transpose(T_o (+ rowbias_o))                rowbias (B × 1, fed): -inf for invalid rows
 * CV_o, CI_o = TopK(U_o, kc_o, largest, sorted)     best rows per column (kc_o fed)
 * ```
 *
 * Indices are cast to int32, local to the chunk (rows: local to the block). Since S is
 * symmetric, a search runs each row block only against the chunks at and after its own and
 * takes the other half of S from the column outputs (see chunked-search.ts).
 *
 * Keeping `X_p` as an initializer lets onnxruntime's CPU provider pre-pack it once for its
 * GEMM kernel (about 1.7× faster than feeding it every run) and keeps it on the device for
 * GPU providers; per-part products are shared by every output that sums them.
 */
import { OnnxDataType, type OnnxInitializer, type OnnxNode, type OnnxValueInfo, encodeOnnxModel } from './onnx-model.js';

/** What one chunk model computes. @internal */
export interface ChunkGraphSpec {
  /** Columns in this chunk (`c1 - c0`, ≥ 1). */
  readonly columns: number;
  /** Used parts: their dimension and normalised chunk rows (`columns × dim`). */
  readonly parts: ReadonlyArray<{ readonly dim: number; readonly rows: Float32Array }>;
  /** Outputs: indices into `parts`, the number of columns to return, and an optional column bias. */
  readonly outputs: ReadonlyArray<{
    readonly parts: readonly number[];
    readonly topK: number;
    /** `columns` values: 0 for valid columns, -Infinity for invalid ones; omitted when all are valid. */
    readonly bias?: Float32Array;
  }>;
  /** Also return the best rows of the block per column (inputs `kc{o}`, `rowbias{o}`). */
  readonly columnOutputs?: boolean;
}

/** Names of a chunk model's inputs (one per used part) and outputs (values/indices per output). @internal */
export interface ChunkGraphNames {
  readonly inputs: readonly string[];
  readonly values: readonly string[];
  readonly indices: readonly string[];
  /** Fed K of the column outputs (int64, shape [1]). */
  readonly columnK: readonly string[];
  /** Fed row bias of the column outputs (float, rows × 1). */
  readonly rowBias: readonly string[];
  readonly columnValues: readonly string[];
  readonly columnIndices: readonly string[];
}

const OPSET = 17;
const IR_VERSION = 8;

/** Names used by {@link buildChunkModel}. @internal */
export function chunkGraphNames(numParts: number, numOutputs: number): ChunkGraphNames {
  return {
    inputs: Array.from({ length: numParts }, (_, p) => `a${p}`),
    values: Array.from({ length: numOutputs }, (_, o) => `values${o}`),
    indices: Array.from({ length: numOutputs }, (_, o) => `indices${o}`),
    columnK: Array.from({ length: numOutputs }, (_, o) => `kc${o}`),
    rowBias: Array.from({ length: numOutputs }, (_, o) => `rowbias${o}`),
    columnValues: Array.from({ length: numOutputs }, (_, o) => `cvalues${o}`),
    columnIndices: Array.from({ length: numOutputs }, (_, o) => `cindices${o}`),
  };
}

/** Appends `TopK(scores, k)` (largest, sorted, last axis) with its indices cast to int32. */
function topKNodes(nodes: OnnxNode[], name: string, scores: string, k: string, values: string, indices: string): void {
  nodes.push({
    opType: 'TopK',
    name,
    inputs: [scores, k],
    outputs: [values, `${name}_idx64`],
    attributes: { axis: { kind: 'int', value: -1 }, largest: { kind: 'int', value: 1 }, sorted: { kind: 'int', value: 1 } },
  });
  nodes.push({
    opType: 'Cast',
    inputs: [`${name}_idx64`],
    outputs: [indices],
    attributes: { to: { kind: 'int', value: OnnxDataType.INT32 } },
  });
}

/** Encodes the chunk model described by `spec` as ONNX bytes (into `into` when it fits). @internal */
export function buildChunkModel(spec: ChunkGraphSpec, into?: Uint8Array): Uint8Array {
  const { columns } = spec;
  const names = chunkGraphNames(spec.parts.length, spec.outputs.length);
  const nodes: OnnxNode[] = [];
  const initializers: OnnxInitializer[] = [];
  const inputs: OnnxValueInfo[] = [];
  const outputs: OnnxValueInfo[] = [];

  spec.parts.forEach((part, p) => {
    inputs.push({ name: names.inputs[p]!, elemType: OnnxDataType.FLOAT, dims: ['rows', part.dim] });
    initializers.push({ name: `x${p}`, dataType: OnnxDataType.FLOAT, dims: [columns, part.dim], data: part.rows });
    nodes.push({
      opType: 'Gemm',
      name: `product${p}`,
      inputs: [names.inputs[p]!, `x${p}`],
      outputs: [`s${p}`],
      attributes: { transB: { kind: 'int', value: 1 } },
    });
  });

  spec.outputs.forEach((out, o) => {
    if (out.parts.length === 0) throw new RangeError(`graph: output ${o} has no parts.`);
    let scores = `s${out.parts[0]!}`;
    out.parts.slice(1).forEach((p, n) => {
      const sum = `sum${o}_${n}`;
      nodes.push({ opType: 'Add', inputs: [scores, `s${p}`], outputs: [sum] });
      scores = sum;
    });
    if (out.bias !== undefined) {
      initializers.push({ name: `bias${o}`, dataType: OnnxDataType.FLOAT, dims: [columns], data: out.bias });
      nodes.push({ opType: 'Add', inputs: [scores, `bias${o}`], outputs: [`biased${o}`] });
      scores = `biased${o}`;
    }
    const topK = Math.min(out.topK, columns);
    initializers.push({ name: `k${o}`, dataType: OnnxDataType.INT64, dims: [1], data: BigInt64Array.of(BigInt(topK)) });
    topKNodes(nodes, `topk${o}`, scores, `k${o}`, names.values[o]!, names.indices[o]!);
    outputs.push({ name: names.values[o]!, elemType: OnnxDataType.FLOAT, dims: ['rows', topK] });
    outputs.push({ name: names.indices[o]!, elemType: OnnxDataType.INT32, dims: ['rows', topK] });
    if (spec.columnOutputs !== true) return;
    inputs.push({ name: names.rowBias[o]!, elemType: OnnxDataType.FLOAT, dims: ['rows', 1] });
    nodes.push({ opType: 'Add', inputs: [scores, names.rowBias[o]!], outputs: [`rowbiased${o}`] });
    nodes.push({
      opType: 'Transpose',
      inputs: [`rowbiased${o}`],
      outputs: [`transposed${o}`],
      attributes: { perm: { kind: 'ints', value: [1, 0] } },
    });
    inputs.push({ name: names.columnK[o]!, elemType: OnnxDataType.INT64, dims: [1] });
    topKNodes(nodes, `ctopk${o}`, `transposed${o}`, names.columnK[o]!, names.columnValues[o]!, names.columnIndices[o]!);
    outputs.push({ name: names.columnValues[o]!, elemType: OnnxDataType.FLOAT, dims: [columns, `kc${o}`] });
    outputs.push({ name: names.columnIndices[o]!, elemType: OnnxDataType.INT32, dims: [columns, `kc${o}`] });
  });

  return encodeOnnxModel(
    {
      irVersion: IR_VERSION,
      opsetVersion: OPSET,
      producerName: '@vi-mmrec/backend-onnxruntime-node',
      graphName: 'similarity_topk',
      nodes,
      inputs,
      outputs,
      initializers,
    },
    into,
  );
}
