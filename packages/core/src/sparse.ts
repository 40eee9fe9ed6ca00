import { InvalidDataError } from './errors.js';
import type { EnrichedBlock, Interactions, NeighbourListModality } from './types.js';
import { TopKSelector, emptyNeighbourTable } from './backend-utils.js';
import type { ItemRange, NeighbourTable } from './spi.js';

/** Compressed rows: the entries of row r are `cols[rowPtr[r] … rowPtr[r+1])`, sorted. @internal */
export interface Csr {
  readonly rowPtr: Int32Array;
  readonly cols: Int32Array;
}

/** Compressed rows with a value per entry. @internal */
export interface WeightedCsr extends Csr {
  readonly values: Float64Array;
}

/** An id as written in messages: strings quoted, so '1' and 1 differ. */
const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));

/** Builds the user-row CSR of R+ (sorted, duplicates merged), checking id ranges. @internal */
export function trainCsr(numUsers: number, numItems: number, train: Interactions): Csr {
  const { users, items } = train;
  if (users.length !== items.length) {
    throw new InvalidDataError('training interactions', `users has ${users.length} entries but items has ${items.length}.`);
  }
  const counts = new Int32Array(numUsers + 1);
  for (let p = 0; p < users.length; p++) {
    const u = users[p]!;
    const i = items[p]!;
    // Plain arrays (not Int32Array) can hold 0.5 or '3': reject them instead of dropping pairs.
    if (!Number.isInteger(u) || u < 0 || u >= numUsers) {
      const what = Number.isInteger(u) ? 'is outside' : 'is not an integer id in';
      throw new InvalidDataError('training interactions', `pair ${p}: user id ${show(u)} ${what} 0…${numUsers - 1}.`);
    }
    if (!Number.isInteger(i) || i < 0 || i >= numItems) {
      const what = Number.isInteger(i) ? 'is outside' : 'is not an integer id in';
      throw new InvalidDataError('training interactions', `pair ${p}: item id ${show(i)} ${what} 0…${numItems - 1}.`);
    }
    counts[u + 1]!++;
  }
  for (let u = 0; u < numUsers; u++) counts[u + 1]! += counts[u]!;
  const fill = counts.slice(0, numUsers);
  const raw = new Int32Array(users.length);
  for (let p = 0; p < users.length; p++) raw[fill[users[p]!]!++] = items[p]!;
  // Sort each row and drop duplicates in place.
  const rowPtr = new Int32Array(numUsers + 1);
  let w = 0;
  for (let u = 0; u < numUsers; u++) {
    const row = raw.subarray(counts[u], counts[u + 1]).sort();
    rowPtr[u] = w;
    for (let t = 0; t < row.length; t++) {
      if (t === 0 || row[t] !== row[t - 1]) raw[w++] = row[t]!;
    }
  }
  rowPtr[numUsers] = w;
  return { rowPtr, cols: raw.slice(0, w) };
}

/**
 * Builds the item-row CSR of a neighbour-list modality: self entries dropped, rows sorted by
 * neighbour id; a pair listed twice, an id out of range or a non-finite cosine is an error.
 * @internal
 */
export function neighbourListCsr(m: NeighbourListModality, numItems: number): WeightedCsr {
  const { items, neighbours, cosines } = m;
  const where = `modality '${m.name}'`;
  if (items.length !== neighbours.length || items.length !== cosines.length) {
    throw new InvalidDataError(where, 'items, neighbours and cosines must have the same length.');
  }
  const counts = new Int32Array(numItems + 1);
  for (let e = 0; e < items.length; e++) {
    const i = items[e]!;
    const j = neighbours[e]!;
    if (!Number.isInteger(i) || !Number.isInteger(j) || i < 0 || i >= numItems || j < 0 || j >= numItems) {
      const what = Number.isInteger(i) && Number.isInteger(j) ? 'names an item outside' : 'is not a pair of integer item ids in';
      throw new InvalidDataError(where, `entry ${e}: pair (${show(i)}, ${show(j)}) ${what} 0…${numItems - 1}.`);
    }
    if (!Number.isFinite(cosines[e]!)) {
      throw new InvalidDataError(where, `entry ${e}: cosine of (${i}, ${j}) is not a finite number.`);
    }
    if (i !== j) counts[i + 1]!++;
  }
  for (let i = 0; i < numItems; i++) counts[i + 1]! += counts[i]!;
  const fill = counts.slice(0, numItems);
  const order = new Int32Array(counts[numItems]!);
  for (let e = 0; e < items.length; e++) {
    const i = items[e]!;
    if (i !== neighbours[e]) order[fill[i]!++] = e;
  }
  const cols = new Int32Array(order.length);
  const values = new Float64Array(order.length);
  for (let i = 0; i < numItems; i++) {
    const a = counts[i]!;
    const b = counts[i + 1]!;
    const row = Array.from(order.subarray(a, b)).sort((x, y) => neighbours[x]! - neighbours[y]!);
    for (let t = 0; t < row.length; t++) {
      const e = row[t]!;
      cols[a + t] = neighbours[e]!;
      values[a + t] = cosines[e]!;
      if (t > 0 && cols[a + t] === cols[a + t - 1]) {
        throw new InvalidDataError(where, `entry ${e}: pair (${i}, ${neighbours[e]}) is listed more than once.`);
      }
    }
  }
  return { rowPtr: counts, cols, values };
}

/** Exact dense cosine of a pair, summed over dense modalities (float64). @internal */
export type DensePairScore = (i: number, j: number) => number;

/**
 * Top-k of a group whose similarity is the sum of neighbour-list cosines plus, optionally, a
 * dense part given by its top-(k + maxListed) table and an exact pair scorer. Candidates are
 * the dense candidates (valid items) and every listed pair. Rows `rows` only (the dense
 * table has those rows too). @internal
 */
export function mergeNeighbourLists(
  numItems: number,
  k: number,
  lists: readonly WeightedCsr[],
  dense: { table: NeighbourTable; score: DensePairScore; valid: Uint8Array } | undefined,
  rows: ItemRange = { start: 0, end: numItems },
): NeighbourTable {
  const out = emptyNeighbourTable(rows.end - rows.start, k);
  const acc = new Float64Array(numItems);
  const stamp = new Int32Array(numItems).fill(-1);
  const touched = new Int32Array(numItems);
  const sel = new TopKSelector(k);
  for (let i = rows.start; i < rows.end; i++) {
    const row = i - rows.start;
    let n = 0;
    const add = (j: number, s: number): void => {
      if (stamp[j] !== i) {
        stamp[j] = i;
        acc[j] = s;
        touched[n++] = j;
      } else {
        acc[j]! += s;
      }
    };
    // Listed contributions first; mark which of them the dense table has already scored.
    for (const l of lists) {
      for (let p = l.rowPtr[i]!; p < l.rowPtr[i + 1]!; p++) add(l.cols[p]!, l.values[p]!);
    }
    const listed = n;
    if (dense !== undefined) {
      const { table } = dense;
      const kd = table.k;
      const seen = new Set<number>();
      for (let t = 0; t < kd; t++) {
        const j = table.indices[row * kd + t]!;
        if (j < 0) break;
        seen.add(j);
        add(j, table.scores[row * kd + t]!);
      }
      // Listed pairs outside the dense top list still carry their exact dense score.
      if (dense.valid[i] === 1) {
        for (let t = 0; t < listed; t++) {
          const j = touched[t]!;
          if (!seen.has(j) && dense.valid[j] === 1) acc[j]! += dense.score(i, j);
        }
      }
    }
    for (let t = 0; t < n; t++) sel.push(touched[t]!, acc[touched[t]!]!);
    sel.drainSorted(out.indices, out.scores, row * k);
  }
  return out;
}

/** |R^g| and |R^g ∩ R+| of a neighbour table. @internal */
export function virtualCounts(train: Csr, table: NeighbourTable, numItems: number): { pairs: number; real: number } {
  const numUsers = train.rowPtr.length - 1;
  const stamp = new Int32Array(numItems).fill(-1);
  const realStamp = new Int32Array(numItems).fill(-1);
  const { k, indices } = table;
  let pairs = 0;
  let real = 0;
  for (let u = 0; u < numUsers; u++) {
    const a = train.rowPtr[u]!;
    const b = train.rowPtr[u + 1]!;
    for (let p = a; p < b; p++) realStamp[train.cols[p]!] = u;
    for (let p = a; p < b; p++) {
      const base = train.cols[p]! * k;
      for (let t = 0; t < k; t++) {
        const j = indices[base + t]!;
        if (j < 0) break;
        if (stamp[j] !== u) {
          stamp[j] = u;
          pairs++;
          if (realStamp[j] === u) real++;
        }
      }
    }
  }
  return { pairs, real };
}

/**
 * Computes the rows of R̄ = R+ + λ Σ_g w^g R^g for users `userStart … userEnd` (one block),
 * with their real flags. Scratch arrays of `numItems` entries are allocated once per
 * {@link EnrichedRows} and reused by every block, so memory is the tables plus one block.
 * @internal
 */
export class EnrichedRows {
  private readonly union: Int32Array;
  private readonly groupStamp: Float64Array;
  private readonly acc: Float64Array;
  private readonly isReal: Int32Array;

  constructor(
    private readonly train: Csr,
    numItems: number,
    private readonly tables: readonly NeighbourTable[],
    private readonly groupWeights: readonly number[],
    private readonly lambda: number,
  ) {
    this.union = new Int32Array(numItems).fill(-1);
    // Float64: the tag u·G + g exceeds the int32 range for large user counts.
    this.groupStamp = new Float64Array(numItems).fill(-1);
    this.acc = new Float64Array(numItems);
    this.isReal = new Int32Array(numItems).fill(-1);
  }

  /** The rows of users `userStart … userEnd - 1`; `rowPtr` is local (starts at 0). */
  block(userStart: number, userEnd: number): EnrichedBlock {
    const { train, tables, union, groupStamp, acc, isReal } = this;
    const count = userEnd - userStart;
    // Pass 1: row sizes. A user's stamp is u + 1 in pass 1 and -(u + 2) in pass 2, so the
    // two passes never see each other's marks.
    const rowPtr = new Int32Array(count + 1);
    for (let u = userStart; u < userEnd; u++) {
      const mark = u + 1;
      let n = 0;
      for (let p = train.rowPtr[u]!; p < train.rowPtr[u + 1]!; p++) {
        union[train.cols[p]!] = mark;
        n++;
      }
      for (const t of tables) {
        for (let p = train.rowPtr[u]!; p < train.rowPtr[u + 1]!; p++) {
          const base = train.cols[p]! * t.k;
          for (let q = 0; q < t.k; q++) {
            const j = t.indices[base + q]!;
            if (j < 0) break;
            if (union[j] !== mark) {
              union[j] = mark;
              n++;
            }
          }
        }
      }
      rowPtr[u - userStart + 1] = rowPtr[u - userStart]! + n;
    }
    const nnz = rowPtr[count]!;
    const items = new Int32Array(nnz);
    const weights = new Float64Array(nnz);
    const real = new Uint8Array(nnz);
    // Pass 2: values.
    for (let u = userStart; u < userEnd; u++) {
      const mark = -(u + 2);
      let n = rowPtr[u - userStart]!;
      const start = n;
      for (let p = train.rowPtr[u]!; p < train.rowPtr[u + 1]!; p++) {
        const i = train.cols[p]!;
        union[i] = mark;
        isReal[i] = mark;
        acc[i] = 1;
        items[n++] = i;
      }
      tables.forEach((t, g) => {
        const add = this.lambda * this.groupWeights[g]!;
        const tag = u * tables.length + g;
        for (let p = train.rowPtr[u]!; p < train.rowPtr[u + 1]!; p++) {
          const base = train.cols[p]! * t.k;
          for (let q = 0; q < t.k; q++) {
            const j = t.indices[base + q]!;
            if (j < 0) break;
            if (groupStamp[j] === tag) continue;
            groupStamp[j] = tag;
            if (union[j] !== mark) {
              union[j] = mark;
              acc[j] = 0;
              items[n++] = j;
            }
            acc[j]! += add;
          }
        }
      });
      const row = items.subarray(start, n).sort();
      for (let p = start; p < n; p++) {
        const j = row[p - start]!;
        weights[p] = acc[j]!;
        real[p] = isReal[j] === mark ? 1 : 0;
      }
    }
    return { userStart, rowPtr, items, weights, real };
  }
}

/** Top-k of one neighbour-list modality alone (overlay group or per-modality overlap). @internal */
export function listTopK(numItems: number, k: number, list: WeightedCsr, rows?: ItemRange): NeighbourTable {
  return mergeNeighbourLists(numItems, k, [list], undefined, rows);
}
