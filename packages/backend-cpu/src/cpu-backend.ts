import { BackendDisposedError } from '@vi-mmrec/core';
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

/** Options of {@link cpuBackend}. */
export interface CpuBackendOptions {
  /** Rows per block (default 256). */
  readonly blockRows?: number;
}

class CpuBackend implements Backend {
  readonly name = 'cpu';
  readonly capabilities: BackendCapabilities = { device: 'cpu', floatPrecision: 32 };
  private disposed = false;
  private readonly blockRows: number;

  constructor(options: CpuBackendOptions) {
    this.blockRows = options.blockRows ?? 256;
  }

  async init(): Promise<void> {
    if (this.disposed) throw new BackendDisposedError(this.name);
  }

  async searchNeighbours(request: NeighbourSearchRequest, options: SearchOptions = {}): Promise<NeighbourTable[]> {
    if (this.disposed) throw new BackendDisposedError(this.name);
    validateNeighbourRequest(request, this.name);
    const { numItems, parts, outputs } = request;
    const normalized = parts.map((p) => new Float32Array(numItems * p.dim));
    const nonzero = parts.map((p, idx) => writeNormalizedRows(p, numItems, normalized[idx]!));
    const valid = outputs.map((o) => outputValidity(nonzero, o.parts, numItems));
    const tables = outputs.map((o) => emptyNeighbourTable(numItems, o.k));
    const selectors = outputs.map((o) => new TopKSelector(o.k));
    const B = this.blockRows;
    const partScores = parts.map(() => new Float32Array(B * numItems));
    const sum = new Float32Array(numItems);
    for (let r0 = 0; r0 < numItems; r0 += B) {
      throwIfAborted(options.signal);
      const r1 = Math.min(numItems, r0 + B);
      parts.forEach((p, idx) => blockProduct(normalized[idx]!, p.dim, numItems, r0, r1, partScores[idx]!));
      for (let r = r0; r < r1; r++) {
        outputs.forEach((o, oi) => {
          const v = valid[oi]!;
          if (v[r] === 0) return;
          let scores: Float32Array;
          if (o.parts.length === 1) {
            scores = partScores[o.parts[0]!]!.subarray((r - r0) * numItems, (r - r0 + 1) * numItems);
          } else {
            sum.fill(0);
            for (const p of o.parts) {
              const s = partScores[p]!;
              const base = (r - r0) * numItems;
              for (let j = 0; j < numItems; j++) sum[j] = sum[j]! + s[base + j]!;
            }
            scores = sum;
          }
          const sel = selectors[oi]!;
          for (let j = 0; j < numItems; j++) {
            if (j === r || v[j] === 0) continue;
            const s = scores[j]!;
            if (sel.count < sel.k || s > sel.threshold) sel.push(j, s);
          }
          sel.drainSorted(tables[oi]!.indices, tables[oi]!.scores, r * o.k);
        });
      }
      options.onProgress?.(r1, numItems);
      // Yield to the event loop so progress and cancellation stay responsive.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return tables;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

/** scores[(r - r0) * n + j] = <x_r, x_j> for r in [r0, r1), all j (float32 accumulation). */
function blockProduct(x: Float32Array, dim: number, n: number, r0: number, r1: number, out: Float32Array): void {
  for (let r = r0; r < r1; r++) {
    const a = r * dim;
    const o = (r - r0) * n;
    for (let j = 0; j < n; j++) {
      const b = j * dim;
      let s = 0;
      for (let c = 0; c < dim; c++) s += x[a + c]! * x[b + c]!;
      out[o + j] = s;
    }
  }
}

/** Creates the pure-JavaScript CPU backend (always available). */
export function cpuBackend(options: CpuBackendOptions = {}): Backend {
  return new CpuBackend(options);
}
