import { availableParallelism } from 'node:os';
import { AbortedError, BackendDisposedError, BackendInitError, InvalidArgumentError } from '@vi-mmrec/core';
import type { Logger } from '@vi-mmrec/core';
import {
  type Backend,
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

/** Tracks finished tiles and calls `checkpoint` with the rows whose every tile is done. */
function progressTracker(numItems: number, B: number, checkpoint: (doneRows: number) => void): (rb: number, cb: number) => void {
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
    if (doneRows !== before) checkpoint(doneRows);
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

/** Validated options. */
interface Config {
  readonly threads: number;
  readonly blockRows: number;
  readonly kernel: CpuKernel;
  readonly logger: Logger;
}

/** What init loads; searches share it. */
interface CpuState {
  /** The compiled SIMD kernel; undefined runs the scalar JavaScript kernel. */
  readonly module: WasmModule | undefined;
  /** The worker pool, started on first use; resolves undefined when workers cannot start. */
  pool: Promise<WorkerPool | undefined> | undefined;
  /** Serialises searches: the worker pool runs one job at a time. */
  queue: Promise<unknown>;
  /** Stops of the running worker jobs (called by dispose). */
  readonly running: Set<(error: Error) => void>;
}

async function load(config: Config): Promise<CpuState> {
  const state = (module?: WasmModule): CpuState => ({ module, pool: undefined, queue: Promise.resolve(), running: new Set() });
  const { kernel, logger } = config;
  if (kernel === 'js') {
    logger.info("cpu backend: scalar JavaScript kernel (kernel: 'js').");
    return state();
  }
  const bytes = buildGemmModule();
  const wasm = wasmApi();
  if (wasm === undefined || !wasm.validate(bytes)) {
    if (kernel === 'wasm-simd') {
      throw new BackendInitError(
        NAME,
        "Backend 'cpu' failed to initialise: this runtime does not support WebAssembly SIMD. Use kernel: 'auto' or 'js', or Node ≥ 16.4.",
      );
    }
    logger.warn('cpu backend: WebAssembly SIMD is not available; using the scalar JavaScript kernel (much slower).');
    return state();
  }
  let module: WasmModule;
  try {
    module = await wasm.compile(bytes);
  } catch (error) {
    throw new BackendInitError(NAME, "Backend 'cpu' failed to compile its WebAssembly kernel.", { cause: error });
  }
  logger.info(`cpu backend: WebAssembly SIMD kernel, up to ${config.threads} thread(s).`);
  const loaded = state(module);
  // Start the workers now (about 50 ms), not in the first search.
  await workers(config, loaded);
  return loaded;
}

/** The worker pool, started on first use; undefined when workers cannot start. */
async function workers(config: Config, state: CpuState): Promise<WorkerPool | undefined> {
  const module = state.module;
  if (module === undefined || config.threads < 2) return undefined;
  state.pool ??= WorkerPool.start(config.threads, module).catch((error: unknown) => {
    config.logger.warn(`cpu backend: worker threads could not start (${String(error)}); running single-threaded.`);
    return undefined;
  });
  return state.pool;
}

async function search(config: Config, state: CpuState, request: NeighbourSearchRequest, ctx: SearchContext): Promise<NeighbourTable[]> {
  ctx.throwIfStopped();
  const { numItems, outputs } = request;
  const ks = outputs.map((o) => o.k);
  if (numItems === 0) return ks.map((k) => emptyNeighbourTable(0, k));

  const B = Math.ceil(config.blockRows / KERNEL.panelWidth) * KERNEL.panelWidth;
  const numBlocks = Math.ceil(numItems / B);
  const pool = numBlocks > 1 ? await workers(config, state) : undefined;
  ctx.throwIfStopped();
  let engines = pool?.size ?? 1;
  let layout = plan(request, B, engines);
  let useWasm = state.module !== undefined;
  if (useWasm && layout.bytes > MAX_WASM_PAGES * PAGE) {
    config.logger.warn(
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
  const onTile = progressTracker(numItems, B, (doneRows) => ctx.checkpoint(doneRows));

  if (pool !== undefined && memory !== undefined && engines > 1) {
    const partials = await runOnWorkers(config, state, pool, memory, configs, onTile, ctx.signal, numItems);
    if (partials !== undefined) return mergeTables(numItems, ks, partials);
    // A worker failed: the job is redone on this thread (logged in runOnWorkers).
    return search(config, state, request, ctx);
  }
  let kernels: Kernels;
  if (memory !== undefined) {
    const { exports } = new (wasmApi()!.Instance)(state.module!, { env: { memory } });
    kernels = { gemm: exports.gemm as GemmFn, filter: exports.filter as FilterFn };
  } else {
    kernels = { gemm: jsGemm(f32), filter: jsFilter(f32) };
  }
  const engine = createTileEngine(configs[0]!, buffer, kernels);
  for (let t = 0; t < engine.numTiles; t++) {
    ctx.throwIfStopped();
    engine.runTile(t);
    const [rb, cb] = engine.tileBlocks(t);
    onTile(rb, cb);
    // Yield to the event loop so progress and cancellation stay responsive.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return mergeTables(numItems, ks, [engine.result()]);
}

/** Runs a job on the pool; undefined when a worker failed (the pool is then discarded). */
async function runOnWorkers(
  config: Config,
  state: CpuState,
  pool: WorkerPool,
  memory: WasmMemory,
  configs: readonly EngineConfig[],
  onTile: (rb: number, cb: number) => void,
  signal: AbortSignal | undefined,
  numItems: number,
): Promise<PartialTopK[][] | undefined> {
  const control = new Int32Array(memory.buffer);
  const abort = (): void => {
    Atomics.store(control, 1, 1);
  };
  signal?.addEventListener('abort', abort, { once: true });
  if (signal?.aborted === true) abort(); // aborted while the features were being packed
  // Why the job was stopped from this side: dispose, or the checkpoint (abort, a throwing onProgress).
  let stopped: Error | undefined;
  const stop = (error: unknown): void => {
    stopped ??= error instanceof Error ? error : new Error(String(error));
    abort();
  };
  state.running.add(stop);
  const B = configs[0]!.blockRows;
  const numBlocks = Math.ceil(numItems / B);
  const tileBlocks = (t: number): [number, number] => {
    let rb = 0;
    let first = 0;
    while (first + (numBlocks - rb) <= t) first += numBlocks - rb++;
    return [rb, rb + (t - first)];
  };
  const onWorkerTile = (rb: number, cb: number): void => {
    try {
      onTile(rb, cb);
    } catch (error) {
      stop(error);
    }
  };
  try {
    return await pool.run(memory, configs, 0, onWorkerTile, tileBlocks);
  } catch (error) {
    if (stopped !== undefined) throw stopped;
    if (error instanceof JobStop && error.reason === 'aborted') {
      throw new AbortedError(undefined, { cause: signal?.reason });
    }
    config.logger.warn(
      `cpu backend: a worker failed (${String(error instanceof JobStop ? error.cause : error)}); retrying on the calling thread.`,
    );
    state.pool = Promise.resolve(undefined);
    await pool.terminate();
    return undefined;
  } finally {
    signal?.removeEventListener('abort', abort);
    state.running.delete(stop);
  }
}

/**
 * Creates the CPU backend: WebAssembly SIMD similarity products on all cores (worker threads
 * sharing one wasm memory), with a scalar JavaScript fallback; no native dependencies.
 * Throws `InvalidArgumentError` on invalid options.
 */
export function cpuBackend(options: CpuBackendOptions = {}): Backend {
  const kernel = options.kernel ?? 'auto';
  if (kernel !== 'auto' && kernel !== 'wasm-simd' && kernel !== 'js') {
    throw new InvalidArgumentError('kernel', `cpuBackend: kernel must be 'auto', 'wasm-simd' or 'js', got '${String(kernel)}'.`);
  }
  const config: Config = {
    threads: positiveIntegerOption('cpuBackend', 'threads', options.threads) ?? Math.max(1, availableParallelism()),
    blockRows: positiveIntegerOption('cpuBackend', 'blockRows', options.blockRows) ?? 256,
    kernel,
    logger: options.logger ?? silent,
  };
  return defineBackend<CpuState>({
    name: NAME,
    capabilities: { device: 'cpu', floatPrecision: 32 },
    init: async () => load(config),
    search: async (state, request, ctx) => {
      const run = state.queue.then(async () => search(config, state, request, ctx));
      state.queue = run.catch(() => undefined);
      return run;
    },
    dispose: async (state) => {
      for (const stop of state.running) stop(new BackendDisposedError(NAME));
      const pool = await state.pool;
      await pool?.terminate();
    },
  });
}
