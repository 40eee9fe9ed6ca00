import { availableParallelism } from 'node:os';
import { AbortedError, BackendDisposedError, BackendInitError, InvalidArgumentError } from '@vi-mmrec/core';
import type { Logger } from '@vi-mmrec/core';
import {
  type Backend,
  type BackendCapabilities,
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
import { type FilterFn, type GemmFn, KERNEL, buildGemmModule, jsFilter, jsGemm } from './gemm-kernel.js';
import { type EngineConfig, type Kernels, type PartialTopK, createTileEngine, engineScratchBytes } from './tile-engine.js';
import { type WasmMemory, type WasmModule, wasmApi } from './wasm-api.js';
import { JobStop, WorkerPool } from './worker-pool.js';

/** Which product kernel to use. */
export type CpuKernel = 'auto' | 'wasm-simd' | 'js';

/** Options of {@link cpuBackend}. */
export interface CpuBackendOptions {
  /**
   * Worker threads for the similarity products (default: `os.availableParallelism()`). With 1,
   * or when workers cannot start, everything runs on the calling thread.
   */
  readonly threads?: number;
  /** Items per block; tiles are `blockRows × blockRows` (default 256, rounded up to a multiple of 24). */
  readonly blockRows?: number;
  /**
   * `'auto'` (default): WebAssembly SIMD when the runtime supports it, else scalar JavaScript.
   * `'wasm-simd'` requires SIMD (init rejects without it); `'js'` forces the scalar kernel.
   * Both kernels give bit-identical results.
   */
  readonly kernel?: CpuKernel;
  /** Receives diagnostics (kernel choice, fallbacks); silent by default. */
  readonly logger?: Logger;
}

const NAME = 'cpu';
/** wasm32 memories address at most 4 GiB (65,536 pages of 64 KiB). */
const MAX_WASM_PAGES = 65536;
const PAGE = 65536;
/** Bytes reserved at address 0: Int32 0 = tile counter, Int32 1 = abort flag. */
const CONTROL_BYTES = 64;

const silent: Logger = { info: () => undefined, warn: () => undefined };

function checkPositiveInteger(option: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
    throw new InvalidArgumentError(option, `cpuBackend: ${option} must be an integer ≥ 1, got ${String(value)}.`);
  }
}

/** Layout of one request in memory. */
interface Plan {
  readonly bytes: number;
  readonly blockRows: number;
  readonly partBases: number[];
  readonly scratch: number[];
}

function plan(request: NeighbourSearchRequest, blockRows: number, engines: number): Plan {
  const W = KERNEL.panelWidth;
  const B = Math.ceil(blockRows / W) * W;
  const panels = Math.ceil(request.numItems / W);
  let at = CONTROL_BYTES;
  const partBases = request.parts.map((p) => {
    const base = at;
    at += panels * W * p.dim * 4;
    return base;
  });
  const scratch: number[] = [];
  for (let e = 0; e < engines; e++) {
    scratch.push(at);
    at += engineScratchBytes(request.parts.length, request.outputs.length, request.numItems, B);
  }
  return { bytes: at, blockRows: B, partBases, scratch };
}

/** Writes the row-normalised parts into the packed panel layout; returns non-zero flags per part. */
function packParts(request: NeighbourSearchRequest, f32: Float32Array, partBases: readonly number[]): Uint8Array[] {
  const W = KERNEL.panelWidth;
  const I = request.numItems;
  return request.parts.map((part, p) => {
    const d = part.dim;
    const nonzero = new Uint8Array(I);
    const rows = new Float32Array(W * d);
    for (let i0 = 0; i0 < I; i0 += W) {
      const n = Math.min(W, I - i0);
      const flags = writeNormalizedRows({ data: part.data.subarray(i0 * d, (i0 + n) * d), dim: d }, n, rows);
      nonzero.set(flags, i0);
      const panel = (partBases[p]! >>> 2) + (i0 / W) * W * d;
      for (let r = 0; r < n; r++) {
        const src = r * d;
        for (let c = 0; c < d; c++) f32[panel + c * W + r] = rows[src + c]!;
      }
    }
    return nonzero;
  });
}

/** Tracks finished tiles and reports rows whose every tile is done. */
function progressTracker(numItems: number, B: number, onProgress: SearchOptions['onProgress']): (rb: number, cb: number) => void {
  const numBlocks = Math.ceil(numItems / B);
  const tilesLeft = new Int32Array(numBlocks).fill(numBlocks);
  let doneRows = 0;
  const finish = (b: number): void => {
    if (--tilesLeft[b]! === 0) doneRows += Math.min(numItems, (b + 1) * B) - b * B;
  };
  return (rb, cb) => {
    const before = doneRows;
    finish(rb);
    if (cb !== rb) finish(cb);
    if (doneRows !== before) onProgress?.(doneRows, numItems);
  };
}

/** Merges the engines' disjoint partial lists into exact top-k tables (core's tie rule). */
function mergeTables(numItems: number, ks: readonly number[], partials: readonly PartialTopK[][]): NeighbourTable[] {
  return ks.map((k, oi) => {
    const table = emptyNeighbourTable(numItems, k);
    const sel = new TopKSelector(k);
    for (let i = 0; i < numItems; i++) {
      for (const engine of partials) {
        const { ids, scores, sizes } = engine[oi]!;
        const n = sizes[i]!;
        for (let x = i * k; x < i * k + n; x++) sel.push(ids[x]!, scores[x]!);
      }
      sel.drainSorted(table.indices, table.scores, i * k);
    }
    return table;
  });
}

class CpuBackend implements Backend {
  readonly name = NAME;
  readonly capabilities: BackendCapabilities = { device: 'cpu', floatPrecision: 32 };
  private disposed = false;
  private readonly threads: number;
  private readonly blockRows: number;
  private readonly kernel: CpuKernel;
  private readonly logger: Logger;
  private initPromise: Promise<void> | undefined;
  private module: WasmModule | undefined;
  private pool: Promise<WorkerPool | undefined> | undefined;
  /** Serialises searches: the worker pool runs one job at a time. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly running = new Set<(error: Error) => void>();

  constructor(options: CpuBackendOptions) {
    checkPositiveInteger('threads', options.threads);
    checkPositiveInteger('blockRows', options.blockRows);
    const kernel = options.kernel ?? 'auto';
    if (kernel !== 'auto' && kernel !== 'wasm-simd' && kernel !== 'js') {
      throw new InvalidArgumentError('kernel', `cpuBackend: kernel must be 'auto', 'wasm-simd' or 'js', got '${String(kernel)}'.`);
    }
    this.threads = options.threads ?? Math.max(1, availableParallelism());
    this.blockRows = options.blockRows ?? 256;
    this.kernel = kernel;
    this.logger = options.logger ?? silent;
  }

  async init(signal?: AbortSignal): Promise<void> {
    if (this.disposed) throw new BackendDisposedError(this.name);
    throwIfAborted(signal);
    this.initPromise ??= this.load();
    return this.initPromise;
  }

  private async load(): Promise<void> {
    if (this.kernel === 'js') {
      this.logger.info("cpu backend: scalar JavaScript kernel (kernel: 'js').");
      return;
    }
    const bytes = buildGemmModule();
    const wasm = wasmApi();
    const supported = wasm !== undefined && wasm.validate(bytes);
    if (!supported) {
      if (this.kernel === 'wasm-simd') {
        throw new BackendInitError(
          this.name,
          "Backend 'cpu' failed to initialise: this runtime does not support WebAssembly SIMD. Use kernel: 'auto' or 'js', or Node ≥ 16.4.",
        );
      }
      this.logger.warn('cpu backend: WebAssembly SIMD is not available; using the scalar JavaScript kernel (much slower).');
      return;
    }
    try {
      this.module = await wasm.compile(bytes);
    } catch (error) {
      throw new BackendInitError(this.name, "Backend 'cpu' failed to compile its WebAssembly kernel.", { cause: error });
    }
    this.logger.info(`cpu backend: WebAssembly SIMD kernel, up to ${this.threads} thread(s).`);
    // Start the workers now (about 50 ms), not in the first search.
    await this.workers();
  }

  /** The worker pool, started on first use; undefined when workers cannot start. */
  private async workers(): Promise<WorkerPool | undefined> {
    const module = this.module;
    if (module === undefined || this.threads < 2) return undefined;
    this.pool ??= WorkerPool.start(this.threads, module).catch((error: unknown) => {
      this.logger.warn(`cpu backend: worker threads could not start (${String(error)}); running single-threaded.`);
      return undefined;
    });
    return this.pool;
  }

  async searchNeighbours(request: NeighbourSearchRequest, options: SearchOptions = {}): Promise<NeighbourTable[]> {
    if (this.disposed) throw new BackendDisposedError(this.name);
    validateNeighbourRequest(request, this.name);
    await this.init();
    const run = this.queue.then(async () => this.search(request, options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async search(request: NeighbourSearchRequest, options: SearchOptions): Promise<NeighbourTable[]> {
    if (this.disposed) throw new BackendDisposedError(this.name);
    const { signal, onProgress } = options;
    throwIfAborted(signal);
    const { numItems, outputs } = request;
    const ks = outputs.map((o) => o.k);
    if (numItems === 0) return ks.map((k) => emptyNeighbourTable(0, k));

    const B = Math.ceil(this.blockRows / KERNEL.panelWidth) * KERNEL.panelWidth;
    const numBlocks = Math.ceil(numItems / B);
    const pool = numBlocks > 1 ? await this.workers() : undefined;
    if (this.disposed) throw new BackendDisposedError(this.name);
    throwIfAborted(signal);
    let engines = pool?.size ?? 1;
    let layout = plan(request, B, engines);
    let useWasm = this.module !== undefined;
    if (useWasm && layout.bytes > MAX_WASM_PAGES * PAGE) {
      this.logger.warn(
        `cpu backend: the packed features need ${(layout.bytes / 2 ** 30).toFixed(2)} GiB, more than WebAssembly's 4 GiB; using the scalar JavaScript kernel (much slower).`,
      );
      useWasm = false;
    }
    if (!useWasm && engines > 1) {
      engines = 1;
      layout = plan(request, B, 1);
    }

    let memory: WasmMemory | undefined;
    let buffer: ArrayBufferLike;
    if (useWasm) {
      const pages = Math.ceil(layout.bytes / PAGE);
      const Memory = wasmApi()!.Memory;
      memory = new Memory({ initial: pages, maximum: pages, shared: true });
      buffer = memory.buffer;
    } else {
      buffer = new ArrayBuffer(layout.bytes);
    }
    const f32 = new Float32Array(buffer);
    const nonzero = packParts(request, f32, layout.partBases);
    const validity = outputs.map((o) => outputValidity(nonzero, o.parts, numItems));
    const configs: EngineConfig[] = layout.scratch.map((scratch) => ({
      numItems,
      blockRows: B,
      panelWidth: KERNEL.panelWidth,
      mr: KERNEL.mr,
      nr: KERNEL.nr,
      kc: KERNEL.kc,
      parts: request.parts.map((p, idx) => ({ base: layout.partBases[idx]!, dim: p.dim })),
      outputs: outputs.map((o) => ({ parts: [...o.parts], k: o.k })),
      validity,
      scratch,
    }));
    const onTile = progressTracker(numItems, B, onProgress);

    if (pool !== undefined && memory !== undefined && engines > 1) {
      const partials = await this.runOnWorkers(pool, memory, configs, onTile, signal, request);
      if (partials !== undefined) return mergeTables(numItems, ks, partials);
      // A worker failed: the job is redone on this thread (logged in runOnWorkers).
      return this.search(request, options);
    }
    let kernels: Kernels;
    if (memory !== undefined) {
      const { exports } = new (wasmApi()!.Instance)(this.module!, { env: { memory } });
      kernels = { gemm: exports.gemm as GemmFn, filter: exports.filter as FilterFn };
    } else {
      kernels = { gemm: jsGemm(f32), filter: jsFilter(f32) };
    }
    const engine = createTileEngine(configs[0]!, buffer, kernels);
    for (let t = 0; t < engine.numTiles; t++) {
      if (this.disposed) throw new BackendDisposedError(this.name);
      throwIfAborted(signal);
      engine.runTile(t);
      const [rb, cb] = engine.tileBlocks(t);
      onTile(rb, cb);
      // Yield to the event loop so progress and cancellation stay responsive.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return mergeTables(numItems, ks, [engine.result()]);
  }

  /** Runs a job on the pool; undefined when a worker failed (the pool is then discarded). */
  private async runOnWorkers(
    pool: WorkerPool,
    memory: WasmMemory,
    configs: readonly EngineConfig[],
    onTile: (rb: number, cb: number) => void,
    signal: AbortSignal | undefined,
    request: NeighbourSearchRequest,
  ): Promise<PartialTopK[][] | undefined> {
    const control = new Int32Array(memory.buffer);
    const abort = (): void => {
      Atomics.store(control, 1, 1);
    };
    signal?.addEventListener('abort', abort, { once: true });
    if (signal?.aborted === true) abort(); // aborted while the features were being packed
    let disposedDuringJob: Error | undefined;
    const onDispose = (error: Error): void => {
      disposedDuringJob = error;
      abort();
    };
    this.running.add(onDispose);
    const B = configs[0]!.blockRows;
    const numBlocks = Math.ceil(request.numItems / B);
    const tileBlocks = (t: number): [number, number] => {
      let rb = 0;
      let first = 0;
      while (first + (numBlocks - rb) <= t) first += numBlocks - rb++;
      return [rb, rb + (t - first)];
    };
    try {
      return await pool.run(memory, configs, 0, onTile, tileBlocks);
    } catch (error) {
      if (disposedDuringJob !== undefined) throw disposedDuringJob;
      if (error instanceof JobStop && error.reason === 'aborted') {
        throw new AbortedError(undefined, { cause: signal?.reason });
      }
      this.logger.warn(`cpu backend: a worker failed (${String(error instanceof JobStop ? error.cause : error)}); retrying on the calling thread.`);
      this.pool = Promise.resolve(undefined);
      await pool.terminate();
      return undefined;
    } finally {
      signal?.removeEventListener('abort', abort);
      this.running.delete(onDispose);
    }
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const stop of this.running) stop(new BackendDisposedError(this.name));
    const pool = await this.pool;
    await pool?.terminate();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

/**
 * Creates the CPU backend: WebAssembly SIMD similarity products on all cores (worker threads
 * sharing one wasm memory), with a scalar JavaScript fallback; no native dependencies.
 * Throws `InvalidArgumentError` on invalid options.
 */
export function cpuBackend(options: CpuBackendOptions = {}): Backend {
  return new CpuBackend(options);
}
