/**
 * The neighbour search of the onnxruntime-node backend: column-chunk sessions (see
 * similarity-graph.ts) run over row blocks, using the symmetry of S.
 *
 * Items are split into column chunks C_0 … C_{n-1}. Row blocks never straddle a chunk
 * boundary; a block R ⊂ C_J runs only against the chunks C_j with j ≥ J:
 * - the row outputs give the best columns of C_j for every row of R;
 * - for j > J, the column outputs give the best rows of R for every column of C_j, i.e. the
 *   candidates of those items among R (S[c, r] = S[r, c]).
 * Every ordered pair (r, c) is thus offered exactly once: as a row candidate when c's chunk
 * is at or after r's, as a column candidate otherwise. The products computed are the blocks
 * on and above the chunk diagonal, about (n + 1) / 2n of the full I × I.
 *
 * A request with `rows` (one shard's items) cannot use the symmetry: its row blocks run
 * against every chunk, with row outputs only.
 *
 * Candidates are merged into the tables as they arrive (score descending, smaller item id
 * first on equal scores; the row itself and invalid items skipped).
 */
import {
  type FeatureBlock,
  type NeighbourSearchRequest,
  type NeighbourTable,
  type SearchContext,
  emptyNeighbourTable,
  outputValidity,
  queryRows,
  writeNormalizedRows,
} from '@vi-mmrec/core/backend';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { Ort, OrtSessionOptions } from './runtime.js';
import { type ChunkGraphNames, buildChunkModel, chunkGraphNames } from './similarity-graph.js';

/** How {@link chunkedSearch} runs. @internal */
export interface ChunkedSearchSettings {
  readonly ort: Ort;
  /** Options of every chunk session, execution providers included. */
  readonly sessionOptions: OrtSessionOptions;
  /** Largest normalised feature bytes of one chunk. */
  readonly maxChunkBytes: number;
  /** Fixed rows per block (clipped at chunk boundaries). */
  readonly blockRows: number | undefined;
  /** Without `blockRows`: adapt the rows so that a block takes about this wall time; else square tiles. */
  readonly targetMs: number | undefined;
  /** Lets other work run between blocks (onnxruntime blocks the event loop during a run). */
  readonly yieldBetweenBlocks: () => Promise<void>;
}

/** Throughput assumed for the first block before any measurement (flop/s). */
const ASSUMED_FLOPS = 100e9;
const MIN_BLOCK_ROWS = 32;
const MAX_BLOCK_ROWS = 4096;
/**
 * Chunks wanted for the symmetry (more chunks: nearer half the products, more sessions):
 * 8 computes 56 % of the full products. Measured at the Clothing shape, 16 chunks took the
 * same CPU time and 58 MiB more peak memory (each session has a fixed cost).
 */
const SYMMETRY_CHUNKS = 8;
/** Fewest columns per chunk for the symmetry split (narrower products run less efficiently). */
const MIN_CHUNK_COLUMNS = 512;
/**
 * Rows of a default block (fewer at a chunk boundary). Measured at Clothing synergistic, 512
 * rows took 168 MiB more peak memory than 256 for the same CPU time (larger transient score
 * matrices).
 */
const TILE_ROWS = 256;

interface Chunk {
  readonly start: number;
  readonly end: number;
  readonly session: InferenceSession;
  readonly names: ChunkGraphNames;
  /** Per output: columns returned per row (`min(k + 1, columns)`). */
  readonly topK: readonly number[];
}

/** Columns per chunk: bounded by `maxChunkBytes`, and split for the symmetry. @internal */
export function chunkColumns(numItems: number, totalDim: number, maxChunkBytes: number): number {
  const byBytes = Math.max(1, Math.floor(maxChunkBytes / (4 * totalDim)));
  const wanted = Math.min(SYMMETRY_CHUNKS, Math.floor(numItems / MIN_CHUNK_COLUMNS));
  return wanted > 1 ? Math.min(byBytes, Math.ceil(numItems / wanted)) : byBytes;
}

/** Runs the search of `request` (validated, non-empty); returns one table per output. @internal */
export async function chunkedSearch(
  request: NeighbourSearchRequest,
  ctx: SearchContext,
  settings: ChunkedSearchSettings,
): Promise<NeighbourTable[]> {
  const { numItems, outputs } = request;
  // Parts used by some output, in first-use order; outputs re-expressed over them.
  const used: number[] = [];
  for (const o of outputs) for (const p of o.parts) if (!used.includes(p)) used.push(p);
  const blocks: FeatureBlock[] = used.map((p) => request.parts[p]!);
  const outParts = outputs.map((o) => [...new Set(o.parts)].map((p) => used.indexOf(p)));
  const totalDim = blocks.reduce((a, b) => a + b.dim, 0);
  const { start: first, end: last } = queryRows(request);
  const tables = outputs.map((o) => emptyNeighbourTable(last - first, o.k));
  const symmetric = request.rows === undefined;

  const chunks: Chunk[] = [];
  try {
    const nonzero = blocks.map(() => new Uint8Array(numItems));
    const columnsPerChunk = chunkColumns(numItems, totalDim, settings.maxChunkBytes);
    // Scratch reused by every chunk (onnxruntime copies the model bytes while creating a
    // session), so the JavaScript side holds one chunk at a time, not garbage of each.
    const scratch = { rows: new Float32Array(Math.min(numItems, columnsPerChunk) * totalDim), bytes: new Uint8Array(0) };
    for (let start = 0; start < numItems; start += columnsPerChunk) {
      ctx.throwIfStopped();
      const end = Math.min(numItems, start + columnsPerChunk);
      chunks.push(await createChunk(settings, blocks, outParts, outputs, start, end, nonzero, scratch, symmetric && chunks.length > 0));
    }
    const valid = outParts.map((parts) => outputValidity(nonzero, parts, numItems));
    await runBlocks(settings, ctx, request, blocks, chunks, valid, tables);
  } finally {
    await Promise.all(chunks.map(async (c) => c.session.release()));
  }
  return tables;
}

/** Normalises the chunk's rows of every used part (recording non-zero rows) and creates its session. */
async function createChunk(
  settings: ChunkedSearchSettings,
  blocks: readonly FeatureBlock[],
  outParts: readonly number[][],
  outputs: NeighbourSearchRequest['outputs'],
  start: number,
  end: number,
  nonzero: Uint8Array[],
  scratch: { rows: Float32Array; bytes: Uint8Array },
  columnOutputs: boolean,
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
  const graphOutputs = outputs.map((o, oi) => {
    const colValid = outputValidity(chunkNonzero, outParts[oi]!, columns);
    // k + 1: the row's own item may be among the best and is dropped afterwards.
    const topK = Math.min(o.k + 1, columns);
    if (colValid.every((v) => v === 1)) return { parts: outParts[oi]!, topK };
    const bias = new Float32Array(columns);
    for (let c = 0; c < columns; c++) if (colValid[c] === 0) bias[c] = -Infinity;
    return { parts: outParts[oi]!, topK, bias };
  });
  const bytes = buildChunkModel({ columns, parts, outputs: graphOutputs, columnOutputs }, scratch.bytes);
  if (bytes.buffer !== scratch.bytes.buffer) scratch.bytes = new Uint8Array(bytes.buffer);
  const session = await settings.ort.InferenceSession.create(bytes, settings.sessionOptions);
  return { start, end, session, names: chunkGraphNames(blocks.length, outputs.length), topK: graphOutputs.map((g) => g.topK) };
}

async function runBlocks(
  settings: ChunkedSearchSettings,
  ctx: SearchContext,
  request: NeighbourSearchRequest,
  blocks: readonly FeatureBlock[],
  chunks: readonly Chunk[],
  valid: readonly Uint8Array[],
  tables: NeighbourTable[],
): Promise<void> {
  const { ort } = settings;
  const { numItems, outputs } = request;
  const totalDim = blocks.reduce((a, b) => a + b.dim, 0);
  const { start: first, end: last } = queryRows(request);
  const symmetric = request.rows === undefined;
  /** Flops of one row of a block in chunk J (it runs against the columns from chunk J on, or all of them). */
  const flopsPerRow = (J: number): number => 2 * totalDim * (numItems - (symmetric ? chunks[J]!.start : 0));
  const clampRows = (r: number): number => Math.max(MIN_BLOCK_ROWS, Math.min(MAX_BLOCK_ROWS, Math.round(r)));
  let rate = ASSUMED_FLOPS;
  const { targetMs } = settings;
  // Default: square tiles (one product per chunk and block at full GEMM efficiency, whatever
  // the machine's load); adaptive blocks only when a block time is asked for.
  let rows =
    settings.blockRows ??
    (targetMs === undefined
      ? Math.min(TILE_ROWS, chunks[0]!.end - chunks[0]!.start)
      : clampRows((targetMs / 1000) * (rate / flopsPerRow(0))));
  let buffers = blocks.map(() => new Float32Array(0));
  const rowBias = outputs.map(() => new Float32Array(0));
  let J = 0;
  let r0 = first;
  while (r0 < last) {
    ctx.throwIfStopped();
    const t0 = performance.now();
    while (chunks[J]!.end <= r0) J++;
    const r1 = Math.min(chunks[J]!.end, r0 + rows, last);
    const n = r1 - r0;
    if (buffers[0]!.length < n * blocks[0]!.dim) buffers = blocks.map((b) => new Float32Array(n * b.dim));
    const feeds: Record<string, Tensor> = {};
    const names = chunks[J]!.names;
    blocks.forEach((b, p) => {
      const target = buffers[p]!.subarray(0, n * b.dim);
      writeNormalizedRows({ data: b.data.subarray(r0 * b.dim, r1 * b.dim), dim: b.dim }, n, target);
      feeds[names.inputs[p]!] = new ort.Tensor('float32', target, [n, b.dim]);
    });
    if (symmetric && chunks.length > 1) {
      outputs.forEach((o, oi) => {
        if (rowBias[oi]!.length < n) rowBias[oi] = new Float32Array(n);
        const bias = rowBias[oi]!.subarray(0, n);
        const v = valid[oi]!;
        for (let i = 0; i < n; i++) bias[i] = v[r0 + i] === 1 ? 0 : -Infinity;
        feeds[names.rowBias[oi]!] = new ort.Tensor('float32', bias, [n, 1]);
        feeds[names.columnK[oi]!] = new ort.Tensor('int64', BigInt64Array.of(BigInt(Math.min(o.k + 1, n))), [1]);
      });
    }
    for (let j = symmetric ? J : 0; j < chunks.length; j++) {
      ctx.throwIfStopped();
      const chunk = chunks[j]!;
      const result = await chunk.session.run(symmetric && j > 0 ? feeds : rowFeeds(feeds, names, blocks.length));
      outputs.forEach((o, oi) => {
        const table = tables[oi]!;
        const v = valid[oi]!;
        // Best columns of chunk j for each row of the block.
        const K = chunk.topK[oi]!;
        const vals = result[names.values[oi]!]!.data as Float32Array;
        const idx = result[names.indices[oi]!]!.data as Int32Array;
        for (let i = 0; i < n; i++) {
          const r = r0 + i;
          if (v[r] === 0) continue;
          for (let q = i * K; q < (i + 1) * K; q++) {
            const c = chunk.start + idx[q]!;
            if (c !== r && v[c] === 1 && !offer(table, r - first, c, vals[q]!)) break;
          }
        }
        if (!symmetric || j === J) return;
        // Best rows of the block for each column of chunk j (the other half of S).
        const cvals = result[names.columnValues[oi]!]!.data as Float32Array;
        const cidx = result[names.columnIndices[oi]!]!.data as Int32Array;
        const Kc = Math.min(o.k + 1, n);
        for (let c = chunk.start; c < chunk.end; c++) {
          if (v[c] === 0) continue;
          const base = (c - chunk.start) * Kc;
          for (let q = base; q < base + Kc; q++) {
            const r = r0 + cidx[q]!;
            if (v[r] === 1 && !offer(table, c, r, cvals[q]!)) break;
          }
        }
      });
    }
    ctx.checkpoint(r1 - first);
    const elapsed = performance.now() - t0;
    if (elapsed > 0) rate = (n * flopsPerRow(J)) / (elapsed / 1000);
    if (settings.blockRows === undefined && targetMs !== undefined && r1 < last) {
      const next = chunks[J]!.end <= r1 ? J + 1 : J;
      const wanted = ((targetMs / 1000) * rate) / flopsPerRow(next);
      rows = clampRows(Math.min(2 * n, Math.max(n / 2, wanted)));
    }
    r0 = r1;
    await settings.yieldBetweenBlocks();
  }
}

/** The feeds of a chunk without column outputs (the first chunk, or every chunk of a `rows` request). */
function rowFeeds(feeds: Record<string, Tensor>, names: ChunkGraphNames, numParts: number): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (let p = 0; p < numParts; p++) out[names.inputs[p]!] = feeds[names.inputs[p]!]!;
  return out;
}

/**
 * Offers candidate `j` with `score` to row `r` of `table` (kept sorted: score descending,
 * smaller id first on equal scores; empty slots are -1 / -Infinity). Returns false when the
 * candidate is not kept, so a caller walking a sorted list can stop.
 */
function offer(table: NeighbourTable, r: number, j: number, score: number): boolean {
  const { k, indices, scores } = table;
  const base = r * k;
  let pos = base + k - 1;
  const lastId = indices[pos]!;
  if (lastId >= 0 && (score < scores[pos]! || (score === scores[pos]! && j > lastId))) return false;
  while (pos > base && (score > scores[pos - 1]! || (score === scores[pos - 1]! && j < indices[pos - 1]!))) {
    indices[pos] = indices[pos - 1]!;
    scores[pos] = scores[pos - 1]!;
    pos--;
  }
  indices[pos] = j;
  scores[pos] = score;
  return true;
}
