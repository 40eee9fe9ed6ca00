import { availableParallelism } from 'node:os';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { BackendInitError, InvalidArgumentError, type Logger } from '@vi-mmrec/core';
import {
  type Backend,
  type NeighbourSearchRequest,
  type NeighbourTable,
  type SearchContext,
  defineBackend,
  queryRows,
  emptyNeighbourTable,
  positiveIntegerOption,
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

/** Validated options. */
interface Config {
  readonly threads: number;
  readonly blockRows: number | undefined;
  readonly targetMs: number | undefined;
  readonly maxChunkBytes: number;
  readonly spin: boolean;
  readonly options: OnnxruntimeNodeBackendOptions;
}

/** The loaded runtime and the providers that start. */
interface OrtState {
  readonly ort: Ort;
  readonly providers: readonly ExecutionProvider[];
  readonly device: 'cpu' | 'gpu';
}

function sessionOptions(config: Config, spin = true): OrtSessionOptions {
  return {
    intraOpNumThreads: config.threads,
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

async function load(config: Config): Promise<OrtState> {
  const { options } = config;
  let ort: Ort;
  try {
    ort = await (options.loadRuntime ?? importOnnxruntime)();
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
    const resolved = await resolveProviders(ort, options.executionProviders, sessionOptions(config), options.logger);
    options.logger?.info(
      `onnxruntime-node: using execution providers [${resolved.providers.map(providerName).join(', ')}] with ${config.threads} intra-op threads.`,
    );
    return { ort, providers: resolved.providers, device: providerDevice(resolved.used) };
  } catch (error) {
    throw new BackendInitError(
      NAME,
      `Backend '${NAME}' could not start onnxruntime (${error instanceof Error ? error.message : String(error)}). ` +
        `Check the executionProviders option, or use the 'cpu' backend from @vi-mmrec/backend-cpu instead.`,
      { cause: error },
    );
  }
}

async function search(config: Config, state: OrtState, request: NeighbourSearchRequest, ctx: SearchContext): Promise<NeighbourTable[]> {
  const { numItems, outputs } = request;
  const { start, end } = queryRows(request);
  if (numItems === 0 || outputs.length === 0 || start === end) return outputs.map((o) => emptyNeighbourTable(end - start, o.k));
  return chunkedSearch(request, ctx, {
    ort: state.ort,
    sessionOptions: { ...sessionOptions(config, config.spin), executionProviders: state.providers },
    maxChunkBytes: config.maxChunkBytes,
    blockRows: config.blockRows,
    targetMs: config.targetMs,
    yieldBetweenBlocks: async () => yieldToEventLoop(),
  });
}

/**
 * Creates the onnxruntime-node backend: cosine similarities and top-k as ONNX graphs
 * (Gemm + TopK) built in code and run by onnxruntime's CPU (MLAS) or CUDA execution
 * provider. Requires the peer dependency `onnxruntime-node`; `init()` rejects with
 * `BackendInitError` when its native binding cannot load. Throws `InvalidArgumentError` on
 * malformed options.
 */
export function onnxruntimeNodeBackend(options: OnnxruntimeNodeBackendOptions = {}): Backend {
  const factory = 'onnxruntimeNodeBackend';
  const targetMs = options.targetBlockMs;
  if (targetMs !== undefined && (!(targetMs > 0) || !Number.isFinite(targetMs))) {
    throw new InvalidArgumentError(
      'targetBlockMs',
      `${factory}: targetBlockMs must be a positive number, got ${String(options.targetBlockMs)}.`,
    );
  }
  const eps = options.executionProviders;
  if (eps !== undefined && eps.some((p) => typeof providerName(p) !== 'string' || providerName(p).length === 0)) {
    throw new InvalidArgumentError('executionProviders', `${factory}: executionProviders must be provider names or objects with a name.`);
  }
  const config: Config = {
    threads: positiveIntegerOption(factory, 'intraOpNumThreads', options.intraOpNumThreads) ?? Math.max(1, availableParallelism()),
    blockRows: positiveIntegerOption(factory, 'blockRows', options.blockRows),
    targetMs,
    maxChunkBytes: positiveIntegerOption(factory, 'maxChunkBytes', options.maxChunkBytes) ?? DEFAULT_MAX_CHUNK_BYTES,
    spin: options.allowSpinning ?? false,
    options,
  };
  let device: 'cpu' | 'gpu' = 'cpu';
  return defineBackend<OrtState>({
    name: NAME,
    /** The device of the execution provider in use, known after init. */
    get capabilities() {
      return { device, floatPrecision: 32 as const };
    },
    init: async () => {
      const state = await load(config);
      device = state.device;
      return state;
    },
    rowRanges: true,
    search: async (state, request, ctx) => search(config, state, request, ctx),
  });
}
