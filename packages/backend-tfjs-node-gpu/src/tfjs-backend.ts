import { BackendInitError } from '@vi-mmrec/core';
import type { Logger } from '@vi-mmrec/core';
import {
  type Backend,
  type BackendCapabilities,
  type NeighbourOutputSpec,
  type NeighbourSearchRequest,
  type NeighbourTable,
  type SearchContext,
  TopKSelector,
  defineBackend,
  emptyNeighbourTable,
  outputValidity,
  positiveIntegerOption,
  writeNormalizedRows,
} from '@vi-mmrec/core/backend';
import {
  TENSORFLOW_KERNEL_BACKEND,
  TF32_ENV,
  type TfApi,
  type TfModule,
  type TfTensor,
  asTfApi,
  deviceOf,
  loadTfjsNodeGpu,
  tf32MayBeUsed,
} from './tf-module.js';

/** Options of {@link tfjsNodeGpuBackend}. */
export interface TfjsNodeGpuBackendOptions {
  /**
   * The TensorFlow.js module to compute with. Default: `@tensorflow/tfjs-node-gpu`, loaded
   * on `init()`. Inject any other tfjs module (e.g. `@tensorflow/tfjs` with
   * `@tensorflow/tfjs-backend-wasm`, or `@tensorflow/tfjs-node`) to run the same code on
   * another tfjs platform.
   */
  readonly tf?: TfModule;
  /**
   * tfjs kernel backend to activate on `init()` (`tf.setBackend`), e.g. `'wasm'`. Default:
   * `'tensorflow'` when tfjs-node-gpu is loaded, else the injected module's active backend.
   */
  readonly backendName?: string;
  /** Diagnostics (which tfjs backend runs, GPU missing). Silent by default. */
  readonly logger?: Logger;
  /**
   * Rows of the similarity matrix computed per step. Default: as many as fit a budget of
   * 2^24 live float32 scores (64 MB) on the device, at most 4096.
   */
  readonly blockRows?: number;
  /**
   * Bytes of normalised features per uploaded chunk of items (all used parts together;
   * default 64 MiB). The device holds every chunk, one float32 copy of the features in all;
   * the host only ever holds one chunk and one row block, so peak memory stays near one copy
   * of the features.
   */
  readonly maxChunkBytes?: number;
}

/** Live float32 values allowed on the device per block when `blockRows` is not given. */
const SCORE_BUDGET = 1 << 24;
const MAX_BLOCK_ROWS = 4096;
const DEFAULT_MAX_CHUNK_BYTES = 64 * 2 ** 20;

/** Items `[c0, c1)` of every used part, normalised (`(c1 - c0) × d`). */
interface ColumnChunk {
  readonly c0: number;
  readonly c1: number;
  /** Indexed by part; undefined for unused parts. */
  readonly parts: Array<TfTensor | undefined>;
}
/**
 * Extra candidates taken by `tf.topk` beyond k + 1 (self). A row is settled on the device
 * only when its k-th neighbour scores strictly above the last candidate returned, so without
 * a margin every row whose self is among the candidates would need recomputation.
 */
const TOPK_MARGIN = 2;

interface OutputPlan {
  readonly spec: NeighbourOutputSpec;
  readonly valid: Uint8Array;
  /** 1 × numItems row of 0 / -Infinity (invalid columns); absent when every item is valid. */
  readonly bias: TfTensor | undefined;
  /** Candidates requested from `tf.topk`: k + 1 + margin (self may be among them), ≤ numItems. */
  readonly m: number;
  readonly table: NeighbourTable;
  readonly selector: TopKSelector;
}

/** Rows `[r0, r1)` of a part, L2-normalised on the host, with their non-zero flags. */
function normalizedRows(
  part: NeighbourSearchRequest['parts'][number],
  r0: number,
  r1: number,
): { rows: Float32Array; nonzero: Uint8Array } {
  const rows = new Float32Array((r1 - r0) * part.dim);
  const nonzero = writeNormalizedRows({ data: part.data.subarray(r0 * part.dim, r1 * part.dim), dim: part.dim }, r1 - r0, rows);
  return { rows, nonzero };
}

/**
 * The products of the given rows (any item ids, normalised and uploaded here) with every
 * item, per part and memoised: `rows × numItems` score tensors. Call inside `tf.tidy`.
 *
 * Computed as `(chunk · blockᵀ)ᵀ`: tfjs-wasm (XNNPACK) packs and caches the right operand of
 * a matMul per tensor, so the small row block goes on the right and the features on the left.
 * With the features on the right the cache held a second packed copy of them (wasm heap
 * 796 MiB instead of 384 MiB for 384 MiB of features) and the products ran about half as
 * fast.
 */
function scorer(
  tf: TfApi,
  parts: NeighbourSearchRequest['parts'],
  chunks: readonly ColumnChunk[],
  rows: readonly number[],
): (p: number) => TfTensor {
  const products = new Map<number, TfTensor>();
  return (p) => {
    let s = products.get(p);
    if (s === undefined) {
      const { dim } = parts[p]!;
      const n = rows.length;
      const contiguous = n > 0 && rows[n - 1]! - rows[0]! === n - 1;
      let block: Float32Array;
      if (contiguous) block = normalizedRows(parts[p]!, rows[0]!, rows[0]! + n).rows;
      else {
        // Scattered rows (exact recomputation of a few rows): one at a time.
        block = new Float32Array(n * dim);
        rows.forEach((r, q) => block.set(normalizedRows(parts[p]!, r, r + 1).rows, q * dim));
      }
      const blockT = new Float32Array(n * dim);
      for (let q = 0; q < n; q++) for (let c = 0; c < dim; c++) blockT[c * n + q] = block[q * dim + c]!;
      const right = tf.tensor2d(blockT, [dim, n], 'float32');
      const pieces = chunks.map((c) => tf.matMul(c.parts[p]!, right));
      s = tf.transpose(pieces.length === 1 ? pieces[0]! : tf.concat(pieces, 0));
      products.set(p, s);
    }
    return s;
  };
}

/** Downloads a numeric tensor (float32 scores or int32 indices). */
const download = async (t: TfTensor): Promise<ArrayLike<number>> => (await t.data()) as Float32Array | Int32Array;

const yieldToEventLoop = async (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Everything the factory decides from its options. */
interface Config {
  readonly options: TfjsNodeGpuBackendOptions;
  readonly name: string;
  /** True when the caller injected a tfjs module. */
  readonly injected: boolean;
  /** tfjs backend that must be active while we compute (undefined: whatever is active). */
  readonly requiredBackend: string | undefined;
}

/** Loads tfjs, activates the required kernel backend and reports what it runs on. */
async function load(config: Config): Promise<{ tf: TfApi; capabilities: BackendCapabilities }> {
  const { options } = config;
  const tf = asTfApi(options.tf ?? (await loadTfjsNodeGpu()));
  await activate(config, tf);
  const device = deviceOf(tf);
  const tf32 = device === 'gpu' && tf.getBackend() === TENSORFLOW_KERNEL_BACKEND && tf32MayBeUsed();
  // TensorFloat-32 keeps 10 mantissa bits, as float16 does.
  const floatPrecision = tf.backend().floatPrecision() === 16 || tf32 ? 16 : 32;
  if (tf32) {
    options.logger?.warn(
      `tfjs-node-gpu: ${TF32_ENV} is not '0', so Ampere-or-newer GPUs may compute products in TensorFloat-32 (about 3 significant digits); set ${TF32_ENV}=0 for float32 accuracy.`,
    );
  }
  options.logger?.info(`tfjs-node-gpu: computing with tfjs backend '${tf.getBackend()}' on ${device} (float${floatPrecision})`);
  if (!config.injected && device !== 'gpu') {
    options.logger?.warn(
      'tfjs-node-gpu: TensorFlow found no usable GPU and runs on the CPU; check the NVIDIA driver, CUDA 11.x and cuDNN 8 (docs/guide/troubleshooting-gpu.md) or use --backend onnxruntime-node.',
    );
  }
  return { tf, capabilities: { device, floatPrecision } };
}

async function activate(config: Config, tf: TfApi): Promise<void> {
  const wanted = config.requiredBackend;
  if (wanted !== undefined && tf.getBackend() !== wanted) {
    let ok: boolean;
    let cause: unknown;
    try {
      ok = await tf.setBackend(wanted);
    } catch (error) {
      ok = false;
      cause = error;
    }
    if (!ok) {
      throw new BackendInitError(
        config.name,
        `The tfjs backend '${wanted}' failed to initialise (is it imported and, for wasm, are its .wasm files reachable via setWasmPaths?); use --backend onnxruntime-node or cpu instead.`,
        { cause },
      );
    }
  }
  await tf.ready();
}

async function search(config: Config, tf: TfApi, request: NeighbourSearchRequest, ctx: SearchContext): Promise<NeighbourTable[]> {
  // Another user of the same tfjs module may have switched its kernel backend.
  if (config.requiredBackend !== undefined && tf.getBackend() !== config.requiredBackend) await activate(config, tf);

  const { numItems: n, parts, outputs } = request;
  if (n === 0) return outputs.map((o) => emptyNeighbourTable(0, o.k));

  // Upload the normalised features once, in chunks of items so the host never holds more
  // than one chunk. They are the LEFT operand of every product (see scorer).
  const used = [...new Set(outputs.flatMap((o) => o.parts))];
  const nonzero: Uint8Array[] = parts.map(() => new Uint8Array(n));
  const chunks: ColumnChunk[] = [];
  const plans: OutputPlan[] = [];
  try {
    const totalDim = used.reduce((a, p) => a + parts[p]!.dim, 0);
    const width = Math.max(1, Math.floor((config.options.maxChunkBytes ?? DEFAULT_MAX_CHUNK_BYTES) / (4 * totalDim)));
    for (let c0 = 0; c0 < n; c0 += width) {
      ctx.throwIfStopped();
      const c1 = Math.min(n, c0 + width);
      const chunk: ColumnChunk = { c0, c1, parts: [] };
      chunks.push(chunk);
      for (const p of used) {
        const { rows, nonzero: nz } = normalizedRows(parts[p]!, c0, c1);
        nonzero[p]!.set(nz, c0);
        chunk.parts[p] = tf.tensor2d(rows, [c1 - c0, parts[p]!.dim], 'float32');
      }
    }
    for (const spec of outputs) {
      const valid = outputValidity(nonzero, spec.parts, n);
      let bias: TfTensor | undefined;
      if (valid.includes(0)) {
        const b = new Float32Array(n);
        for (let j = 0; j < n; j++) if (valid[j] === 0) b[j] = -Infinity;
        bias = tf.tensor2d(b, [1, n], 'float32');
      }
      plans.push({
        spec,
        valid,
        bias,
        m: Math.min(n, spec.k + 1 + TOPK_MARGIN),
        table: emptyNeighbourTable(n, spec.k),
        selector: new TopKSelector(spec.k),
      });
    }

    const liveBlocks = used.length + 2 * outputs.length + 2;
    const B = config.options.blockRows ?? Math.max(1, Math.min(MAX_BLOCK_ROWS, Math.floor(SCORE_BUDGET / (liveBlocks * n))));
    for (let r0 = 0; r0 < n; r0 += B) {
      ctx.throwIfStopped();
      const r1 = Math.min(n, r0 + B);
      const active = plans.filter((plan) => plan.valid.subarray(r0, r1).includes(1));
      if (active.length > 0) await searchBlock(tf, parts, chunks, active, r0, r1);
      ctx.checkpoint(r1);
      await yieldToEventLoop();
    }
    return plans.map((p) => p.table);
  } finally {
    for (const t of [...chunks.flatMap((c) => c.parts), ...plans.map((p) => p.bias)]) t?.dispose();
  }
}

/** Scores rows [r0, r1) against every item, then top-(k+1) per output on the device. */
async function searchBlock(
  tf: TfApi,
  parts: NeighbourSearchRequest['parts'],
  chunks: readonly ColumnChunk[],
  active: readonly OutputPlan[],
  r0: number,
  r1: number,
): Promise<void> {
  const rows = Array.from({ length: r1 - r0 }, (_, q) => r0 + q);
  const results = tf.tidy(() => {
    const product = scorer(tf, parts, chunks, rows);
    return active.map((plan) => {
      let scores = plan.spec.parts.map(product).reduce((a, b) => tf.add(a, b));
      if (plan.bias !== undefined) scores = tf.add(scores, plan.bias);
      const { values, indices } = tf.topk(scores, plan.m, true);
      return [values, indices];
    });
  });
  const fallbacks: Array<{ plan: OutputPlan; rows: number[] }> = [];
  try {
    for (const [i, plan] of active.entries()) {
      const [valuesT, indicesT] = results[i]!;
      const values = await download(valuesT!);
      const indices = await download(indicesT!);
      const rows = collectRows(plan, r0, r1, values, indices);
      if (rows.length > 0) fallbacks.push({ plan, rows });
    }
  } finally {
    for (const pair of results) for (const t of pair) t.dispose();
  }
  for (const { plan, rows } of fallbacks) await exactRows(tf, parts, chunks, plan, rows);
}

/**
 * Turns each row's top-m candidates into its top-k (self and invalid columns dropped,
 * order score desc then id asc). A row is exact unless its k-th kept score equals the
 * smallest returned score while columns were left out: then an unreturned column may tie
 * with a smaller id (tfjs does not promise an order among equal values on every backend),
 * and the row is returned for exact recomputation.
 */
function collectRows(plan: OutputPlan, r0: number, r1: number, values: ArrayLike<number>, indices: ArrayLike<number>): number[] {
  const { m, valid, selector: sel, table } = plan;
  const k = plan.spec.k;
  const n = valid.length;
  const fallback: number[] = [];
  for (let r = r0; r < r1; r++) {
    if (valid[r] === 0) continue;
    const base = (r - r0) * m;
    let smallest = Infinity;
    for (let t = 0; t < m; t++) {
      const v = values[base + t]!;
      if (v < smallest) smallest = v;
      const j = indices[base + t]!;
      if (j === r || v === -Infinity) continue;
      sel.push(j, v);
    }
    const exact = m === n || smallest === -Infinity || (sel.count === k && sel.threshold > smallest);
    if (exact) {
      sel.drainSorted(table.indices, table.scores, r * k);
    } else {
      sel.reset();
      fallback.push(r);
    }
  }
  return fallback;
}

/** Recomputes whole score rows and selects their top-k exactly, in JS. */
async function exactRows(
  tf: TfApi,
  parts: NeighbourSearchRequest['parts'],
  chunks: readonly ColumnChunk[],
  plan: OutputPlan,
  rows: number[],
): Promise<void> {
  const [[scoresT]] = tf.tidy(() => {
    const product = scorer(tf, parts, chunks, rows);
    return [[plan.spec.parts.map(product).reduce((a, b) => tf.add(a, b))]];
  });
  let scores: ArrayLike<number>;
  try {
    scores = await download(scoresT);
  } finally {
    scoresT.dispose();
  }
  const { valid, selector: sel, table } = plan;
  const k = plan.spec.k;
  const n = valid.length;
  rows.forEach((r, q) => {
    const base = q * n;
    for (let j = 0; j < n; j++) {
      if (j === r || valid[j] === 0) continue;
      const v = scores[base + j]!;
      if (sel.count < k || v >= sel.threshold) sel.push(j, v);
    }
    sel.drainSorted(table.indices, table.scores, r * k);
  });
}

/**
 * Creates the TensorFlow.js backend. Without `options.tf` it computes with
 * `@tensorflow/tfjs-node-gpu` (an optional peer dependency; `init()` rejects with
 * `BackendInitError` explaining how to install it when it is missing). With an injected `tf`
 * module the same code runs on that tfjs platform (wasm, cpu, tfjs-node, webgl…).
 * Throws `InvalidArgumentError` when `blockRows` or `maxChunkBytes` is not a positive integer.
 */
export function tfjsNodeGpuBackend(options: TfjsNodeGpuBackendOptions = {}): Backend {
  positiveIntegerOption('tfjsNodeGpuBackend', 'blockRows', options.blockRows);
  positiveIntegerOption('tfjsNodeGpuBackend', 'maxChunkBytes', options.maxChunkBytes);
  const injected = options.tf !== undefined;
  const config: Config = {
    options,
    name: 'tfjs-node-gpu',
    injected,
    requiredBackend: options.backendName ?? (injected ? undefined : TENSORFLOW_KERNEL_BACKEND),
  };
  // Known exactly after init(); before, the expected values.
  let capabilities: BackendCapabilities = { device: injected ? 'cpu' : 'gpu', floatPrecision: 32 };
  return defineBackend<TfApi>({
    name: config.name,
    get capabilities() {
      return capabilities;
    },
    init: async () => {
      const loaded = await load(config);
      capabilities = loaded.capabilities;
      return loaded.tf;
    },
    search: async (tf, request, ctx) => search(config, tf, request, ctx),
  });
}
