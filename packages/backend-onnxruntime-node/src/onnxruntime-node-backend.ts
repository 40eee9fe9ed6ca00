import { availableParallelism } from 'node:os';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { BackendInitError, InvalidArgumentError, type Logger } from '@vi-mmrec/core';
import {
  type Backend,
  type FeatureBlock,
  type NeighbourSearchRequest,
  type NeighbourTable,
  type SearchContext,
  defineBackend,
  emptyNeighbourTable,
  outputValidity,
  positiveIntegerOption,
  writeNormalizedRows,
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
import { buildChunkModel, chunkGraphNames } from './similarity-graph.js';
import type { InferenceSession, Tensor } from 'onnxruntime-node';

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
   * Rows per block. Default: adaptive, so that one block takes about
   * {@link OnnxruntimeNodeBackendOptions.targetBlockMs} (onnxruntime blocks the event loop
   * while a block runs).
   */
  readonly blockRows?: number;
  /** Target wall time of one block in milliseconds when `blockRows` is not set (default 100). */
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
const DEFAULT_TARGET_MS = 100;
const DEFAULT_MAX_CHUNK_BYTES = 64 * 2 ** 20;
/** Throughput assumed for the first block before any measurement (flop/s). */
const ASSUMED_FLOPS = 100e9;
const MIN_BLOCK_ROWS = 32;
const MAX_BLOCK_ROWS = 4096;

interface Chunk {
  readonly start: number;
  readonly end: number;
  /** Absent when no output has a valid column in the chunk. */
  readonly session: InferenceSession | undefined;
  /** Per output: how many columns the chunk returns (0 when the output is skipped). */
  readonly topK: readonly number[];
  /** Per output: index of the output in this chunk's graph, or -1. */
  readonly slot: readonly number[];
}

/** Validated options. */
interface Config {
  readonly threads: number;
  readonly blockRows: number | undefined;
  readonly targetMs: number;
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
  const { ort } = state;
  const { numItems, outputs } = request;
  const tables = outputs.map((o) => emptyNeighbourTable(numItems, o.k));
  if (numItems === 0 || outputs.length === 0) return tables;

  // Parts used by some output, in first-use order; outputs re-expressed over them.
  const used: number[] = [];
  for (const o of outputs) for (const p of o.parts) if (!used.includes(p)) used.push(p);
  const blocks: FeatureBlock[] = used.map((p) => request.parts[p]!);
  const outParts = outputs.map((o) => [...new Set(o.parts)].map((p) => used.indexOf(p)));
  const dims = blocks.map((b) => b.dim);
  const totalDim = dims.reduce((a, b) => a + b, 0);

  const chunks: Chunk[] = [];
  try {
    const nonzero = blocks.map(() => new Uint8Array(numItems));
    const columnsPerChunk = Math.max(1, Math.floor(config.maxChunkBytes / (4 * totalDim)));
    // Scratch reused by every chunk (onnxruntime copies the model bytes while creating a
    // session), so the JavaScript side holds one chunk at a time, not garbage of each.
    const scratch = {
      rows: new Float32Array(Math.min(numItems, columnsPerChunk) * totalDim),
      bytes: new Uint8Array(0),
    };
    const session = async (bytes: Uint8Array): Promise<InferenceSession> =>
      ort.InferenceSession.create(bytes, { ...sessionOptions(config, config.spin), executionProviders: state.providers });
    for (let start = 0; start < numItems; start += columnsPerChunk) {
      ctx.throwIfStopped();
      const end = Math.min(numItems, start + columnsPerChunk);
      chunks.push(await createChunk(session, blocks, outParts, outputs, start, end, nonzero, scratch));
    }
    const valid = outParts.map((parts) => outputValidity(nonzero, parts, numItems));
    await runBlocks(config, ort, request, blocks, chunks, valid, tables, ctx);
  } finally {
    await Promise.all(chunks.map(async (c) => c.session?.release()));
  }
  return tables;
}

/** Normalises the chunk's rows of every used part and creates its session. */
async function createChunk(
  session: (bytes: Uint8Array) => Promise<InferenceSession>,
  blocks: readonly FeatureBlock[],
  outParts: readonly number[][],
  outputs: NeighbourSearchRequest['outputs'],
  start: number,
  end: number,
  nonzero: Uint8Array[],
  scratch: { rows: Float32Array; bytes: Uint8Array },
): Promise<Chunk> {
  const columns = end - start;
  let offset = 0;
  const parts = blocks.map((b, p) => {
    const rows = scratch.rows.subarray(offset, offset + columns * b.dim);
    offset += columns * b.dim;
    const nz = writeNormalizedRows({ data: b.data.subarray(start * b.dim, end * b.dim), dim: b.dim }, columns, rows);
    nonzero[p]!.set(nz, start);
    return { dim: b.dim, rows };
  });
  const chunkNonzero = parts.map((_, p) => nonzero[p]!.subarray(start, end));
  const topK: number[] = [];
  const slot: number[] = [];
  const graphOutputs: Array<{ parts: number[]; topK: number; bias?: Float32Array }> = [];
  outputs.forEach((o, oi) => {
    const colValid = outputValidity(chunkNonzero, outParts[oi]!, columns);
    let validCount = 0;
    for (let c = 0; c < columns; c++) validCount += colValid[c]!;
    if (validCount === 0) {
      topK.push(0);
      slot.push(-1);
      return;
    }
    // k + 1: the row's own item may be among the best and is dropped afterwards.
    const k = Math.min(o.k + 1, validCount);
    let bias: Float32Array | undefined;
    if (validCount < columns) {
      bias = new Float32Array(columns);
      for (let c = 0; c < columns; c++) if (colValid[c] === 0) bias[c] = -Infinity;
    }
    topK.push(k);
    slot.push(graphOutputs.length);
    graphOutputs.push({ parts: outParts[oi]!, topK: k, ...(bias === undefined ? {} : { bias }) });
  });
  if (graphOutputs.length === 0) return { start, end, session: undefined, topK, slot };
  const bytes = buildChunkModel({ columns, parts, outputs: graphOutputs }, scratch.bytes);
  if (bytes.buffer !== scratch.bytes.buffer) scratch.bytes = new Uint8Array(bytes.buffer);
  return { start, end, session: await session(bytes), topK, slot };
}

async function runBlocks(
  config: Config,
  ort: Ort,
  request: NeighbourSearchRequest,
  blocks: readonly FeatureBlock[],
  chunks: readonly Chunk[],
  valid: readonly Uint8Array[],
  tables: NeighbourTable[],
  ctx: SearchContext,
): Promise<void> {
  const { numItems, outputs } = request;
  const names = chunks.map((c) => chunkGraphNames(blocks.length, c.slot.filter((s) => s >= 0).length));
  const flopsPerRow = 2 * numItems * blocks.reduce((a, b) => a + b.dim, 0);
  const clampRows = (r: number): number => Math.max(MIN_BLOCK_ROWS, Math.min(MAX_BLOCK_ROWS, Math.round(r)));
  let rows = config.blockRows ?? clampRows((config.targetMs / 1000) * (ASSUMED_FLOPS / flopsPerRow));
  let buffers = blocks.map(() => new Float32Array(0));
  // Results of the current block, per chunk and output.
  const values: Float32Array[][] = chunks.map(() => []);
  const indices: Int32Array[][] = chunks.map(() => []);
  let r0 = 0;
  while (r0 < numItems) {
    ctx.throwIfStopped();
    const t0 = performance.now();
    const r1 = Math.min(numItems, r0 + rows);
    const n = r1 - r0;
    if (buffers[0]!.length < n * blocks[0]!.dim) buffers = blocks.map((b) => new Float32Array(n * b.dim));
    const feeds: Record<string, Tensor> = {};
    blocks.forEach((b, p) => {
      const target = buffers[p]!.subarray(0, n * b.dim);
      writeNormalizedRows({ data: b.data.subarray(r0 * b.dim, r1 * b.dim), dim: b.dim }, n, target);
      feeds[`a${p}`] = new ort.Tensor('float32', target, [n, b.dim]);
    });
    for (let g = 0; g < chunks.length; g++) {
      ctx.throwIfStopped();
      const chunk = chunks[g]!;
      if (chunk.session === undefined) continue;
      const result = await chunk.session.run(feeds);
      const nm = names[g]!;
      chunk.slot.forEach((s, o) => {
        if (s < 0) return;
        values[g]![o] = result[nm.values[s]!]!.data as Float32Array;
        indices[g]![o] = result[nm.indices[s]!]!.data as Int32Array;
      });
    }
    outputs.forEach((o, oi) => mergeBlock(o.k, r0, r1, chunks, values, indices, oi, valid[oi]!, tables[oi]!));
    ctx.checkpoint(r1);
    const elapsed = performance.now() - t0;
    if (config.blockRows === undefined && elapsed > 0) {
      rows = clampRows(Math.min(2 * n, Math.max(n / 2, (n * config.targetMs) / elapsed)));
    }
    r0 = r1;
    await yieldToEventLoop();
  }
}

/**
 * Merges the chunks' sorted candidate lists of rows `[r0, r1)` for output `oi` into the
 * table: the `k` best valid candidates other than the row itself, by score descending and
 * smaller item id first on equal scores.
 */
function mergeBlock(
  k: number,
  r0: number,
  r1: number,
  chunks: readonly Chunk[],
  values: readonly Float32Array[][],
  indices: readonly Int32Array[][],
  oi: number,
  valid: Uint8Array,
  table: NeighbourTable,
): void {
  const G = chunks.length;
  const pos = new Int32Array(G);
  for (let r = r0; r < r1; r++) {
    if (valid[r] === 0) continue;
    pos.fill(0);
    const out = r * k;
    let n = 0;
    while (n < k) {
      let best = -1;
      let bestV = -Infinity;
      let bestJ = 0;
      for (let g = 0; g < G; g++) {
        const K = chunks[g]!.topK[oi]!;
        if (K === 0) continue;
        const v = values[g]![oi]!;
        const ix = indices[g]![oi]!;
        const base = (r - r0) * K;
        const start = chunks[g]!.start;
        let p = pos[g]!;
        // Skip the row itself and invalid columns (bias -inf).
        while (p < K && (start + ix[base + p]! === r || valid[start + ix[base + p]!] === 0)) p++;
        pos[g] = p;
        if (p === K) continue;
        const val = v[base + p]!;
        const j = start + ix[base + p]!;
        if (best < 0 || val > bestV || (val === bestV && j < bestJ)) {
          best = g;
          bestV = val;
          bestJ = j;
        }
      }
      if (best < 0) break;
      table.indices[out + n] = bestJ;
      table.scores[out + n] = bestV;
      pos[best]!++;
      n++;
    }
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
  const factory = 'onnxruntimeNodeBackend';
  const targetMs = options.targetBlockMs ?? DEFAULT_TARGET_MS;
  if (!(targetMs > 0) || !Number.isFinite(targetMs)) {
    throw new InvalidArgumentError('targetBlockMs', `${factory}: targetBlockMs must be a positive number, got ${String(options.targetBlockMs)}.`);
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
    search: async (state, request, ctx) => search(config, state, request, ctx),
  });
}
