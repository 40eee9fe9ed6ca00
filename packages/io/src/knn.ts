import { basename } from 'node:path';
import { InvalidDataError, type NeighbourListModality } from '@vi-mmrec/core';
import { readFileChecked } from './fs-utils.js';
import { countLines } from './inter.js';
import { TsvScanner } from './tsv.js';

/** A parsed neighbour list plus the line of each entry (for later range errors). @internal */
export interface ParsedNeighbourList {
  readonly modality: NeighbourListModality;
  /** 1-based file line of each entry. */
  readonly lines: Int32Array;
  /** Largest id named (item or neighbour), -1 when empty. */
  readonly maxId: number;
  /** File name used in messages. */
  readonly source: string;
}

/** Parses `<modality>_knn*.tsv` content. @internal */
export function parseNeighbourList(buf: Uint8Array, source: string, name: string): ParsedNeighbourList {
  const scan = new TsvScanner(buf, source);
  const col = scan.header(['itemID', 'neighborID', 'rank', 'cosine']);
  const cap = countLines(buf);
  const items = new Int32Array(cap);
  const neighbours = new Int32Array(cap);
  const cosines = new Float64Array(cap);
  const lines = new Int32Array(cap);
  let n = 0;
  let maxId = -1;
  while (scan.next()) {
    const i = scan.id(col.itemID, 'itemID');
    const j = scan.id(col.neighborID, 'neighborID');
    scan.id(col.rank, 'rank');
    const c = scan.number(col.cosine, 'cosine');
    items[n] = i;
    neighbours[n] = j;
    cosines[n] = c;
    lines[n] = scan.line;
    n++;
    if (i > maxId) maxId = i;
    if (j > maxId) maxId = j;
  }
  const parsed: ParsedNeighbourList = {
    modality: {
      kind: 'neighbours',
      name,
      items: items.slice(0, n),
      neighbours: neighbours.slice(0, n),
      cosines: cosines.slice(0, n),
    },
    lines: lines.slice(0, n),
    maxId,
    source,
  };
  checkDuplicates(parsed);
  return parsed;
}

/**
 * Rejects a pair (item, neighbour) listed twice, naming both lines. Sorts entry indices, so
 * memory follows the number of entries, never the size of an id.
 */
function checkDuplicates(list: ParsedNeighbourList): void {
  const { items, neighbours } = list.modality;
  const order = new Int32Array(items.length);
  for (let e = 0; e < order.length; e++) order[e] = e;
  order.sort((x, y) => items[x]! - items[y]! || neighbours[x]! - neighbours[y]! || x - y);
  for (let p = 1; p < order.length; p++) {
    const e = order[p]!;
    const f = order[p - 1]!;
    if (items[e] !== items[f] || neighbours[e] !== neighbours[f]) continue;
    const a = Math.min(list.lines[f]!, list.lines[e]!);
    const b = Math.max(list.lines[f]!, list.lines[e]!);
    throw new InvalidDataError(
      `${list.source}:${b}`,
      `the pair itemID ${items[e]}, neighborID ${neighbours[e]} is listed twice (also on line ${a}); keep one row per pair.`,
    );
  }
}

/** Rejects entries naming an item ≥ `numItems`, with the offending line. @internal */
export function checkNeighbourRange(list: ParsedNeighbourList, numItems: number, itemsFrom: string): void {
  const { items, neighbours } = list.modality;
  if (list.maxId < numItems) return;
  for (let e = 0; e < items.length; e++) {
    const bad = items[e]! >= numItems ? ['itemID', items[e]!] : neighbours[e]! >= numItems ? ['neighborID', neighbours[e]!] : undefined;
    if (bad !== undefined) {
      throw new InvalidDataError(
        `${list.source}:${list.lines[e]}`,
        `${bad[0]} ${bad[1]} is not an item of the dataset, which has ${numItems} items (ids 0…${numItems - 1}, ${itemsFrom}); neighbour lists may only name existing items.`,
      );
    }
  }
}

/**
 * Reads a neighbour-list modality from a tab-separated file whose header names `itemID`,
 * `neighborID`, `rank` and `cosine` (any order; other columns ignored). Each row is a
 * directed entry `item → neighbour` with its cosine; `rank` must be a non-negative integer
 * but is otherwise unused (core orders by cosine). Rows where the neighbour is the item
 * itself are kept here and ignored by `augment`. Rejects with `InvalidDataError` naming
 * `file:line` on malformed rows and on a pair listed twice.
 */
export async function readNeighbourList(file: string, name: string): Promise<NeighbourListModality> {
  const buf = await readFileChecked(file);
  return parseNeighbourList(buf, basename(file), name).modality;
}
