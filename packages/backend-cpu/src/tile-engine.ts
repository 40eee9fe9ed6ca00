/**
 * The tile engine: similarity tiles + running top-k, run on the main thread or in workers.
 *
 * The item×item similarity S of a part is symmetric, so only tiles `(rb, cb)` with `rb ≤ cb`
 * of the block grid are computed: tile `(rb, cb)` feeds the running top-k of its rows (items
 * of block `rb`, candidates from `cb`) *and* of its columns (items of `cb`, candidates from
 * `rb`). Each engine keeps the running top-k of every item over the tiles it processed; since
 * every pair (i, j) is scored in exactly one tile, the engines' partial lists are disjoint and
 * the caller merges them with the exact tie rule.
 *
 * IMPORTANT: {@link createTileEngine} and {@link workerMain} are serialised with
 * `Function.prototype.toString` into the worker source, so they must not reference anything
 * outside their own bodies (no imports, no module-level constants; type annotations are fine).
 *
 * @internal
 */
import type { FilterFn, GemmFn } from './gemm-kernel.js';
import type { WasmApi, WasmMemory, WasmModule } from './wasm-api.js';

/** Everything an engine needs; plain data, so it can be posted to a worker. */
export interface EngineConfig {
  readonly numItems: number;
  /** Items per block, a multiple of `panelWidth`. */
  readonly blockRows: number;
  readonly panelWidth: number;
  readonly mr: number;
  readonly nr: number;
  readonly kc: number;
  /** Packed parts: byte address of panel 0 and dimension. */
  readonly parts: ReadonlyArray<{ readonly base: number; readonly dim: number }>;
  readonly outputs: ReadonlyArray<{ readonly parts: readonly number[]; readonly k: number }>;
  /** Per output, 1 for valid items (non-zero in some part of the output). */
  readonly validity: readonly Uint8Array[];
  /** Byte address of this engine's scratch ({@link engineScratchBytes} bytes). */
  readonly scratch: number;
}

/** Partial top-k lists of one engine: per output, per item, `size[i]` entries at `i * k`. */
export interface PartialTopK {
  readonly ids: Int32Array;
  readonly scores: Float32Array;
  readonly sizes: Int32Array;
}

/** An engine bound to a memory and a GEMM kernel. */
export interface TileEngine {
  /** Number of tiles `(rb ≤ cb)` of the grid. */
  readonly numTiles: number;
  /** Row blocks `[rb, cb]` of tile `t` (row-major over the upper triangle). */
  tileBlocks(t: number): [number, number];
  /** Computes tile `t` and offers its scores to the running top-k lists. */
  runTile(t: number): void;
  /** The partial top-k lists, one per output. */
  result(): PartialTopK[];
}

/** The two wasm kernels (or their JavaScript twins). */
export interface Kernels {
  readonly gemm: GemmFn;
  readonly filter: FilterFn;
}

/**
 * Bytes of scratch one engine needs: a score tile per part and one for sums, per output the
 * row thresholds (padded to whole blocks), a block of +Infinity, and the filter's hit list.
 */
export function engineScratchBytes(numParts: number, numOutputs: number, numItems: number, blockRows: number): number {
  const paddedItems = Math.ceil(numItems / blockRows) * blockRows;
  return ((numParts + 1) * blockRows * blockRows + numOutputs * paddedItems + blockRows + (blockRows * blockRows) / 4) * 4;
}

/**
 * Creates an engine over `buffer` (the memory holding the packed parts and the scratch).
 * Self-contained: see the module comment.
 */
export function createTileEngine(cfg: EngineConfig, buffer: ArrayBufferLike, kernels: Kernels): TileEngine {
  const { gemm, filter } = kernels;
  const { numItems: I, blockRows: B, panelWidth: W, mr: MR, nr: NR, kc: KC, parts, outputs, validity, scratch } = cfg;
  const f32 = new Float32Array(buffer);
  const i32 = new Int32Array(buffer);
  const numBlocks = Math.ceil(I / B);
  const numTiles = (numBlocks * (numBlocks + 1)) / 2;
  const tileStart = new Int32Array(numBlocks + 1); // first tile index of block row rb
  for (let rb = 0; rb < numBlocks; rb++) tileStart[rb + 1] = tileStart[rb]! + (numBlocks - rb);
  const tileFloats = B * B;
  const partTile = parts.map((_, p) => (scratch >>> 2) + p * tileFloats);
  const sumTile = (scratch >>> 2) + parts.length * tileFloats;
  // Scratch layout after the tiles (float indices): thresholds per output, +Inf block, hits.
  const paddedItems = numBlocks * B;
  const thrAt = outputs.map((_, oi) => sumTile + tileFloats + oi * paddedItems);
  const infAt = sumTile + tileFloats + outputs.length * paddedItems;
  const hitsAt = infAt + B;
  f32.fill(Infinity, infAt, infAt + B);
  const usedParts = parts.map((_, p) => outputs.some((o) => o.parts.includes(p)));

  // Running top-k per output: a min-heap per item on "quality" (lower score, then larger id,
  // is worse), plus the score a candidate must reach: -Infinity until the heap is full, and
  // +Infinity for invalid items so that nothing is ever offered to them.
  // The thresholds live in the shared memory, where the filter kernel reads them; padding
  // items beyond I are +Infinity.
  const heaps = outputs.map((o, oi) => {
    const thr = f32.subarray(thrAt[oi], thrAt[oi]! + paddedItems);
    thr.fill(Infinity);
    thr.fill(-Infinity, 0, I);
    const v = validity[oi]!;
    for (let i = 0; i < I; i++) if (v[i] === 0) thr[i] = Infinity;
    return { k: o.k, ids: new Int32Array(I * o.k), scores: new Float32Array(I * o.k), sizes: new Int32Array(I), thr };
  });

  function push(h: (typeof heaps)[number], row: number, id: number, score: number): void {
    const { k, ids, scores, sizes } = h;
    const base = row * k;
    let n = sizes[row]!;
    if (n < k) {
      // Sift up.
      let pos = n;
      while (pos > 0) {
        const parent = (pos - 1) >> 1;
        const ps = scores[base + parent]!;
        if (!(score < ps || (score === ps && id > ids[base + parent]!))) break;
        ids[base + pos] = ids[base + parent]!;
        scores[base + pos] = ps;
        pos = parent;
      }
      ids[base + pos] = id;
      scores[base + pos] = score;
      sizes[row] = ++n;
      if (n === k) h.thr[row] = scores[base]!;
      return;
    }
    const rs = scores[base]!;
    if (score < rs || (score === rs && id > ids[base]!)) return;
    // Replace the root (worst) and sift down.
    let pos = 0;
    for (;;) {
      const l = 2 * pos + 1;
      if (l >= k) break;
      let ch = l;
      const r = l + 1;
      if (r < k) {
        const sr = scores[base + r]!;
        const sl = scores[base + l]!;
        if (sr < sl || (sr === sl && ids[base + r]! > ids[base + l]!)) ch = r;
      }
      const sc = scores[base + ch]!;
      if (!(sc < score || (sc === score && ids[base + ch]! > id))) break;
      ids[base + pos] = ids[base + ch]!;
      scores[base + pos] = sc;
      pos = ch;
    }
    ids[base + pos] = id;
    scores[base + pos] = score;
    h.thr[row] = scores[base]!;
  }

  function tileBlocks(t: number): [number, number] {
    let rb = 0;
    while (tileStart[rb + 1]! <= t) rb++;
    return [rb, rb + (t - tileStart[rb]!)];
  }

  function runTile(t: number): void {
    const [rb, cb] = tileBlocks(t);
    const r0 = rb * B;
    const r1 = Math.min(I, r0 + B);
    const c0 = cb * B;
    const c1 = Math.min(I, c0 + B);
    const mPad = Math.ceil((r1 - r0) / W) * W;
    const nPad = Math.ceil((c1 - c0) / W) * W;
    const ld = nPad;
    // Products of every used part: C_p = A_rows · A_cols^T, in kc-column chunks.
    parts.forEach((part, p) => {
      if (!usedParts[p]) return;
      const ps = part.dim * W * 4;
      const aBase = part.base + (r0 / W) * ps;
      const bBase = part.base + (c0 / W) * ps;
      for (let k0 = 0; k0 < part.dim; k0 += KC) {
        gemm(
          aBase + k0 * W * 4,
          bBase + k0 * W * 4,
          partTile[p]! * 4,
          Math.min(KC, part.dim - k0),
          mPad / MR,
          nPad / NR,
          ld * 4,
          ps,
          k0 === 0 ? 1 : 0,
        );
      }
    });
    const diagonal = rb === cb;
    outputs.forEach((o, oi) => {
      // Score tile: the part's products, or their float32 sum in the output's part order.
      let s0: number;
      if (o.parts.length === 1) {
        s0 = partTile[o.parts[0]!]!;
      } else {
        s0 = sumTile;
        const len = mPad * ld;
        f32.set(f32.subarray(partTile[o.parts[0]!], partTile[o.parts[0]!]! + len), sumTile);
        for (let q = 1; q < o.parts.length; q++) {
          const src = partTile[o.parts[q]!]!;
          for (let x = 0; x < len; x++) f32[sumTile + x] = f32[sumTile + x]! + f32[src + x]!;
        }
      }
      const h = heaps[oi]!;
      const thr = h.thr;
      const valid = validity[oi]!;
      // Pre-check in wasm against the thresholds as they stand; pushes only raise them, so
      // the chunks found are a superset of those with an admissible candidate.
      const count = filter(s0 * 4, ld * 4, r1 - r0, nPad, (thrAt[oi]! + r0) * 4, diagonal ? infAt * 4 : (thrAt[oi]! + c0) * 4, hitsAt * 4);
      for (let x = 0; x < count; x++) {
        const i = r0 + i32[hitsAt + 2 * x]!;
        const j0 = c0 + i32[hitsAt + 2 * x + 1]!;
        const j1 = Math.min(c1, j0 + 8);
        const rowBase = s0 + (i - r0) * ld - c0;
        let ti = thr[i]!;
        const validI = valid[i] === 1;
        for (let j = j0; j < j1; j++) {
          const v = f32[rowBase + j]!;
          // Row i gets candidate j.
          if (v >= ti && valid[j] === 1 && j !== i) {
            push(h, i, j, v);
            ti = thr[i]!;
          }
          // Column j gets candidate i (off-diagonal tiles only: the diagonal tile is complete).
          if (!diagonal && v >= thr[j]! && validI) push(h, j, i, v);
        }
      }
    });
  }

  return {
    numTiles,
    tileBlocks,
    runTile,
    result: () => heaps.map((h) => ({ ids: h.ids, scores: h.scores, sizes: h.sizes })),
  };
}

/** Messages a worker understands. */
export type ToWorker =
  | { readonly type: 'init'; readonly module: WasmModule }
  | {
      readonly type: 'job';
      readonly memory: WasmMemory;
      readonly config: EngineConfig;
      /** Int32 index, in the memory, of the shared tile counter; the abort flag follows it. */
      readonly control: number;
    };

/** Messages a worker sends. */
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'tile'; readonly tile: number }
  | { readonly type: 'done'; readonly result: PartialTopK[] }
  | { readonly type: 'aborted' }
  | { readonly type: 'error'; readonly message: string; readonly stack?: string };

/** Minimal view of `worker_threads.parentPort`. */
interface Port {
  on(event: 'message', fn: (msg: ToWorker) => void): void;
  postMessage(msg: FromWorker, transfer?: ArrayBuffer[]): void;
}

/**
 * Body of a worker: compiles nothing, receives the compiled kernel, then runs jobs by pulling
 * tile indices from a shared atomic counter until none is left or the abort flag is set.
 * Self-contained: see the module comment.
 */
export function workerMain(port: Port, engineFactory: typeof createTileEngine): void {
  let module: WasmModule | undefined;
  port.on('message', (msg) => {
    try {
      if (msg.type === 'init') {
        module = msg.module;
        port.postMessage({ type: 'ready' });
        return;
      }
      const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
      const instance = new wasm.Instance(module!, { env: { memory: msg.memory } });
      const kernels = { gemm: instance.exports.gemm as GemmFn, filter: instance.exports.filter as FilterFn };
      const engine = engineFactory(msg.config, msg.memory.buffer, kernels);
      const control = new Int32Array(msg.memory.buffer);
      for (;;) {
        if (Atomics.load(control, msg.control + 1) !== 0) {
          port.postMessage({ type: 'aborted' });
          return;
        }
        const t = Atomics.add(control, msg.control, 1);
        if (t >= engine.numTiles) break;
        engine.runTile(t);
        port.postMessage({ type: 'tile', tile: t });
      }
      const result = engine.result();
      port.postMessage({ type: 'done', result }, result.flatMap((r) => [r.ids.buffer, r.scores.buffer, r.sizes.buffer]) as ArrayBuffer[]);
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      port.postMessage({ type: 'error', message: err.message, ...(err.stack === undefined ? {} : { stack: err.stack }) });
    }
  });
}

/** Source of the worker script (run with `new Worker(source, { eval: true })`). */
export function workerSource(): string {
  return `'use strict';\n(${workerMain.toString()})(require('node:worker_threads').parentPort, ${createTileEngine.toString()});\n`;
}
