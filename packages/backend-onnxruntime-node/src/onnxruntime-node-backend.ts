import { availableParallelism } from 'node:os';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { AbortedError, BackendDisposedError, BackendInitError, InvalidArgumentError, type Logger } from '@vi-mmrec/core';
import {
  type Backend,
  type BackendCapabilities,
  type NeighbourSearchRequest,
  type NeighbourTable,
  type SearchOptions,
  emptyNeighbourTable,
  throwIfAborted,
  validateNeighbourRequest,
} from '@vi-mmrec/core/backend';
import {
  type ExecutionProvider,
  type Ort,
  type OrtSessionOptions,
  importOnnxruntime,
  providerDevice,
  providerName,
  resolveProviders,
} from './runtime.js';
import { chunkedSearch } from './chunked-search.js';

/** Options of {@link onnxruntimeNodeBackend}. */
export interface OnnxruntimeNodeBackendOptions {
  /**
   * Execution providers in order of preference, e.g. `['cuda', 'cpu']` or
   * `[{ name: 'cuda', deviceId: 1 }, 'cpu']`. When one fails to start, the next is tried and
   * the reason is logged. Default: `['cuda', 'cpu']` when onnxruntime-node's CUDA provider
   * library is installed, else `['cpu']`.
   */
  readonly executionProviders?: readonly ExecutionProvider[];
  /** Threads of onnxruntime's intra-op pool (default: the number of CPU cores). */
  readonly intraOpNumThreads?: number;
  /**
   * Rows per block. Default: up to 256 rows, never straddling a column chunk, or
   * adaptive with {@link OnnxruntimeNodeBackendOptions.targetBlockMs}. onnxruntime blocks the
   * event loop while a product runs.
   */
  readonly blockRows?: number;
  /**
   * When set (and `blockRows` is not), the rows per block adapt so that one block takes about
   * this many milliseconds of wall time. Unset by default: on a loaded machine wall-time
   * blocks shrink to sizes where the products run inefficiently.
   */
  readonly targetBlockMs?: number;
  /**
   * Largest size in bytes of the normalised features baked into one onnxruntime session
   * (default 64 MiB). Larger inputs are split into column chunks, one session each, which
   * bounds the transient memory of session creation.
   */
  readonly maxChunkBytes?: number;
  /** Receives the provider choice and fallbacks; silent by default. */
  readonly logger?: Logger;
  /**
   * Whether idle intra-op threads spin-wait between runs (onnxruntime's default). Off by
   * default: measured here, spinning pools of several sessions compete for the cores
   * (3× the CPU time with 4 sessions) and it gains nothing with one. @internal
   */
  readonly allowSpinning?: boolean;
  /** Loads onnxruntime-node (tests inject failures here). @internal */
  readonly loadRuntime?: () => Promise<Ort>;
}

const NAME = 'onnxruntime-node';
const DEFAULT_MAX_CHUNK_BYTES = 64 * 2 ** 20;

/** A positive integer option, or undefined. */
function positiveInteger(option: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(option, `${option} must be a positive integer, got ${String(value)}.`);
  }
  return value;
}

class OnnxruntimeNodeBackend implements Backend {
  readonly name = NAME;
  private device: 'cpu' | 'gpu' = 'cpu';
  private ort: Ort | undefined;
  private providers: readonly ExecutionProvider[] = ['cpu'];
  private initPromise: Promise<void> | undefined;
  private disposed = false;
  private readonly threads: number;
  private readonly blockRows: number | undefined;
  private readonly targetMs: number | undefined;
  private readonly maxChunkBytes: number;

  constructor(private readonly options: OnnxruntimeNodeBackendOptions) {
    this.threads = positiveInteger('intraOpNumThreads', options.intraOpNumThreads) ?? Math.max(1, availableParallelism());
    this.blockRows = positiveInteger('blockRows', options.blockRows);
    this.targetMs = options.targetBlockMs;
    if (this.targetMs !== undefined && (!(this.targetMs > 0) || !Number.isFinite(this.targetMs))) {
      throw new InvalidArgumentError('targetBlockMs', `targetBlockMs must be a positive number, got ${String(options.targetBlockMs)}.`);
    }
    this.maxChunkBytes = positiveInteger('maxChunkBytes', options.maxChunkBytes) ?? DEFAULT_MAX_CHUNK_BYTES;
    const eps = options.executionProviders;
    if (eps !== undefined && eps.some((p) => typeof providerName(p) !== 'string' || providerName(p).length === 0)) {
      throw new InvalidArgumentError('executionProviders', 'executionProviders must be provider names or objects with a name.');
    }
  }

  get capabilities(): BackendCapabilities {
    return { device: this.device, floatPrecision: 32 };
  }

  /** The providers in use after init (first = the one running the products). */
  get executionProviders(): readonly string[] {
    return this.providers.map(providerName);
  }

  private sessionOptions(spin = true): OrtSessionOptions {
    return {
      intraOpNumThreads: this.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      // One arena per session would keep each session's largest intermediates (a few MB per
      // product) for the whole search: with 16 column chunks that is over 1 GB at Clothing.
      enableCpuMemArena: false,
      logSeverityLevel: 3,
      ...(spin ? {} : { extra: { session: { intra_op: { allow_spinning: '0' } } } }),
    };
  }

  async init(signal?: AbortSignal): Promise<void> {
    if (this.disposed) throw new BackendDisposedError(NAME);
    throwIfAborted(signal);
    this.initPromise ??= this.doInit().catch((error: unknown) => {
      this.initPromise = undefined;
      throw error;
    });
    if (signal === undefined) return this.initPromise;
    // Abort stops waiting; the shared initialisation itself continues for other callers.
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(new AbortedError(undefined, { cause: signal.reason }));
      signal.addEventListener('abort', onAbort, { once: true });
      this.initPromise!.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  private async doInit(): Promise<void> {
    let ort: Ort;
    try {
      ort = await (this.options.loadRuntime ?? importOnnxruntime)();
    } catch (error) {
      throw new BackendInitError(
        NAME,
        `Backend '${NAME}' could not load onnxruntime-node (${error instanceof Error ? error.message.split('\n')[0]! : String(error)}). ` +
          `Install it with \`npm i onnxruntime-node\` (its native binding must match this platform: ${process.platform}/${process.arch}), ` +
          `or use the 'cpu' backend from @vi-mmrec/backend-cpu instead.`,
        { cause: error },
      );
    }
    try {
      const resolved = await resolveProviders(ort, this.options.executionProviders, this.sessionOptions(), this.options.logger);
      this.providers = resolved.providers;
      this.device = providerDevice(resolved.used);
      this.options.logger?.info(
        `onnxruntime-node: using execution providers [${resolved.providers.map(providerName).join(', ')}] with ${this.threads} intra-op threads.`,
      );
    } catch (error) {
      throw new BackendInitError(
        NAME,
        `Backend '${NAME}' could not start onnxruntime (${error instanceof Error ? error.message : String(error)}). ` +
          `Check the executionProviders option, or use the 'cpu' backend from @vi-mmrec/backend-cpu instead.`,
        { cause: error },
      );
    }
    if (this.disposed) throw new BackendDisposedError(NAME);
    this.ort = ort;
  }

  async searchNeighbours(request: NeighbourSearchRequest, options: SearchOptions = {}): Promise<NeighbourTable[]> {
    if (this.disposed) throw new BackendDisposedError(NAME);
    validateNeighbourRequest(request, NAME);
    const { signal, onProgress } = options;
    throwIfAborted(signal);
    await this.init(signal);
    const ort = this.ort!;
    const { numItems, outputs } = request;
    if (numItems === 0 || outputs.length === 0) return outputs.map((o) => emptyNeighbourTable(numItems, o.k));
    return chunkedSearch(request, {
      ort,
      sessionOptions: { ...this.sessionOptions(this.options.allowSpinning ?? false), executionProviders: this.providers },
      maxChunkBytes: this.maxChunkBytes,
      blockRows: this.blockRows,
      targetMs: this.targetMs,
      checkLive: () => this.checkLive(signal),
      yieldBetweenBlocks: async () => yieldToEventLoop(),
      onProgress,
    });
  }

  private checkLive(signal: AbortSignal | undefined): void {
    if (this.disposed) throw new BackendDisposedError(NAME);
    throwIfAborted(signal);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.ort = undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

/**
 * Creates the onnxruntime-node backend: cosine similarities and top-k as ONNX graphs
 * (Gemm + TopK) built in code and run by onnxruntime's CPU (MLAS) or CUDA execution
 * provider. Requires the peer dependency `onnxruntime-node`; `init()` rejects with
 * `BackendInitError` when its native binding cannot load. Throws `InvalidArgumentError` on
 * malformed options.
 */
export function onnxruntimeNodeBackend(options: OnnxruntimeNodeBackendOptions = {}): Backend {
  return new OnnxruntimeNodeBackend(options);
}
