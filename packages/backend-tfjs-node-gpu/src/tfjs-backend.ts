import { BackendDisposedError, BackendInitError, InvalidArgumentError } from '@vi-mmrec/core';
import type { Logger } from '@vi-mmrec/core';
import {
  type Backend,
  type BackendCapabilities,
  type NeighbourOutputSpec,
  type NeighbourSearchRequest,
  type NeighbourTable,
  type SearchOptions,
  TopKSelector,
  emptyNeighbourTable,
  outputValidity,
  throwIfAborted,
  validateNeighbourRequest,
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
}

/** Live float32 values allowed on the device per block when `blockRows` is not given. */
const SCORE_BUDGET = 1 << 24;
const MAX_BLOCK_ROWS = 4096;
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

/** Downloads a numeric tensor (float32 scores or int32 indices). */
const download = async (t: TfTensor): Promise<ArrayLike<number>> => (await t.data()) as Float32Array | Int32Array;

const yieldToEventLoop = async (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

class TfjsNodeGpuBackend implements Backend {
  readonly name = 'tfjs-node-gpu';
  private caps: BackendCapabilities;
  private tf: TfApi | undefined;
  private initPromise: Promise<void> | undefined;
  private disposed = false;
  private readonly injected: boolean;
  /** tfjs backend that must be active while we compute (undefined: whatever is active). */
  private readonly requiredBackend: string | undefined;

  constructor(private readonly options: TfjsNodeGpuBackendOptions) {
    this.injected = options.tf !== undefined;
    this.requiredBackend = options.backendName ?? (this.injected ? undefined : TENSORFLOW_KERNEL_BACKEND);
    this.caps = { device: this.injected ? 'cpu' : 'gpu', floatPrecision: 32 };
  }

  /** Known exactly after `init()`; before, the expected values. */
  get capabilities(): BackendCapabilities {
    return this.caps;
  }

  async init(signal?: AbortSignal): Promise<void> {
    if (this.disposed) throw new BackendDisposedError(this.name);
    throwIfAborted(signal);
    this.initPromise ??= this.load();
    await this.initPromise;
    throwIfAborted(signal);
  }

  private async load(): Promise<void> {
    const tf = asTfApi(this.options.tf ?? (await loadTfjsNodeGpu()));
    await this.activate(tf);
    const device = deviceOf(tf);
    const tf32 = device === 'gpu' && tf.getBackend() === TENSORFLOW_KERNEL_BACKEND && tf32MayBeUsed();
    // TensorFloat-32 keeps 10 mantissa bits, as float16 does.
    const floatPrecision = tf.backend().floatPrecision() === 16 || tf32 ? 16 : 32;
    this.caps = { device, floatPrecision };
    if (tf32) {
      this.options.logger?.warn(
        `tfjs-node-gpu: ${TF32_ENV} is not '0', so Ampere-or-newer GPUs may compute products in TensorFloat-32 (about 3 significant digits); set ${TF32_ENV}=0 for float32 accuracy.`,
      );
    }
    this.tf = tf;
    this.options.logger?.info(`tfjs-node-gpu: computing with tfjs backend '${tf.getBackend()}' on ${device} (float${floatPrecision})`);
    if (!this.injected && device !== 'gpu') {
      this.options.logger?.warn(
        'tfjs-node-gpu: TensorFlow found no usable GPU and runs on the CPU; check the NVIDIA driver, CUDA 11.x and cuDNN 8 (docs/guide/troubleshooting-gpu.md) or use --backend onnxruntime-node.',
      );
    }
  }

  private async activate(tf: TfApi): Promise<void> {
    const wanted = this.requiredBackend;
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
          this.name,
          `The tfjs backend '${wanted}' failed to initialise (is it imported and, for wasm, are its .wasm files reachable via setWasmPaths?); use --backend onnxruntime-node or cpu instead.`,
          { cause },
        );
      }
    }
    await tf.ready();
  }

  async searchNeighbours(request: NeighbourSearchRequest, options: SearchOptions = {}): Promise<NeighbourTable[]> {
    if (this.disposed) throw new BackendDisposedError(this.name);
    validateNeighbourRequest(request, this.name);
    throwIfAborted(options.signal);
    await this.init();
    const tf = this.tf!;
    if (this.requiredBackend !== undefined && tf.getBackend() !== this.requiredBackend) await this.activate(tf);

    const { numItems: n, parts, outputs } = request;
    if (n === 0) return outputs.map((o) => emptyNeighbourTable(0, o.k));

    // Upload each used part once, normalised: X (n × d) to slice row blocks from, and its
    // transpose (d × n) as the right operand (a transposed-B matMul is ~10× slower on wasm).
    const used = new Set(outputs.flatMap((o) => o.parts));
    const nonzero: Uint8Array[] = parts.map(() => new Uint8Array(n));
    const rowsT: Array<TfTensor | undefined> = [];
    const colsT: Array<TfTensor | undefined> = [];
    const plans: OutputPlan[] = [];
    try {
      parts.forEach((p, idx) => {
        if (!used.has(idx)) return;
        const normalized = new Float32Array(n * p.dim);
        nonzero[idx] = writeNormalizedRows(p, n, normalized);
        const x = tf.tensor2d(normalized, [n, p.dim], 'float32');
        rowsT[idx] = x;
        colsT[idx] = tf.transpose(x);
      });
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

      const liveBlocks = used.size + 2 * outputs.length + 1;
      const B = this.options.blockRows ?? Math.max(1, Math.min(MAX_BLOCK_ROWS, Math.floor(SCORE_BUDGET / (liveBlocks * n))));
      for (let r0 = 0; r0 < n; r0 += B) {
        throwIfAborted(options.signal);
        if (this.disposed) throw new BackendDisposedError(this.name);
        const r1 = Math.min(n, r0 + B);
        const active = plans.filter((plan) => plan.valid.subarray(r0, r1).includes(1));
        if (active.length > 0) await this.searchBlock(tf, parts, rowsT, colsT, active, r0, r1);
        options.onProgress?.(r1, n);
        await yieldToEventLoop();
      }
      throwIfAborted(options.signal);
      return plans.map((p) => p.table);
    } finally {
      for (const t of [...rowsT, ...colsT, ...plans.map((p) => p.bias)]) t?.dispose();
    }
  }

  /** Scores rows [r0, r1) against every item, then top-(k+1) per output on the device. */
  private async searchBlock(
    tf: TfApi,
    parts: NeighbourSearchRequest['parts'],
    rowsT: ReadonlyArray<TfTensor | undefined>,
    colsT: ReadonlyArray<TfTensor | undefined>,
    active: readonly OutputPlan[],
    r0: number,
    r1: number,
  ): Promise<void> {
    const results = tf.tidy(() => {
      const products = new Map<number, TfTensor>();
      const product = (p: number): TfTensor => {
        let s = products.get(p);
        if (s === undefined) {
          const block = tf.slice(rowsT[p]!, [r0, 0], [r1 - r0, parts[p]!.dim]);
          s = tf.matMul(block, colsT[p]!);
          products.set(p, s);
        }
        return s;
      };
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
        const rows = this.collectRows(plan, r0, r1, values, indices);
        if (rows.length > 0) fallbacks.push({ plan, rows });
      }
    } finally {
      for (const pair of results) for (const t of pair) t.dispose();
    }
    for (const { plan, rows } of fallbacks) await this.exactRows(tf, rowsT, colsT, plan, rows);
  }

  /**
   * Turns each row's top-m candidates into its top-k (self and invalid columns dropped,
   * order score desc then id asc). A row is exact unless its k-th kept score equals the
   * smallest returned score while columns were left out: then an unreturned column may tie
   * with a smaller id (tfjs does not promise an order among equal values on every backend),
   * and the row is returned for exact recomputation.
   */
  private collectRows(
    plan: OutputPlan,
    r0: number,
    r1: number,
    values: ArrayLike<number>,
    indices: ArrayLike<number>,
  ): number[] {
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
  private async exactRows(
    tf: TfApi,
    rowsT: ReadonlyArray<TfTensor | undefined>,
    colsT: ReadonlyArray<TfTensor | undefined>,
    plan: OutputPlan,
    rows: number[],
  ): Promise<void> {
    const [[scoresT]] = tf.tidy(() => {
      const s = plan.spec.parts
        .map((p) => tf.matMul(tf.gather(rowsT[p]!, rows), colsT[p]!))
        .reduce((a, b) => tf.add(a, b));
      return [[s]];
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

  async dispose(): Promise<void> {
    this.disposed = true;
    this.tf = undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

/**
 * Creates the TensorFlow.js backend. Without `options.tf` it computes with
 * `@tensorflow/tfjs-node-gpu` (an optional peer dependency; `init()` rejects with
 * `BackendInitError` explaining how to install it when it is missing). With an injected `tf`
 * module the same code runs on that tfjs platform (wasm, cpu, tfjs-node, webgl…).
 * Throws `InvalidArgumentError` when `blockRows` is not a positive integer.
 */
export function tfjsNodeGpuBackend(options: TfjsNodeGpuBackendOptions = {}): Backend {
  const { blockRows } = options;
  if (blockRows !== undefined && (!Number.isInteger(blockRows) || blockRows < 1)) {
    throw new InvalidArgumentError('blockRows', `blockRows must be a positive integer, got ${blockRows}.`);
  }
  return new TfjsNodeGpuBackend(options);
}
