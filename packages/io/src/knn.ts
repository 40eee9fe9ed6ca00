import { basename } from 'node:path';
import { InvalidDataError, type NeighbourListModality } from '@vi-mmrec/core';
import { Column } from './columns.js';
import { readChunks } from './fs-utils.js';
import { isParquet, readParquetGroups } from './parquet.js';
import { type TsvInput, TsvScanner } from './tsv.js';

/** A parsed neighbour list plus the line of each entry (for later range errors). @internal */
export interface ParsedNeighbourList {
  readonly modality: NeighbourListModality;
  /** 1-based file line of each entry. */
  readonly lines: Uint32Array;
  /** Largest id named (item or neighbour), -1 when empty. */
  readonly maxId: number;
  /** File name used in messages. */
  readonly source: string;
}

/** Parses `<modality>_knn*.tsv` content, whole or in chunks (no duplicate check). @internal */
export async function parseNeighbourList(input: TsvInput, source: string, name: string): Promise<ParsedNeighbourList> {
  const scan = new TsvScanner(input, source);
  try {
    const col = await scan.header(['itemID', 'neighborID', 'rank', 'cosine']);
    const items = new Column((n) => new Int32Array(n));
    const neighbours = new Column((n) => new Int32Array(n));
    const cosines = new Column((n) => new Float64Array(n));
    const lines = new Column((n) => new Uint32Array(n));
    let maxId = -1;
    while (await scan.more()) {
      while (scan.next()) {
        const i = scan.id(col.itemID, 'itemID');
        const j = scan.id(col.neighborID, 'neighborID');
        scan.id(col.rank, 'rank');
        const c = scan.number(col.cosine, 'cosine');
        items.push(i);
        neighbours.push(j);
        cosines.push(c);
        lines.push(scan.line);
        if (i > maxId) maxId = i;
        if (j > maxId) maxId = j;
      }
    }
    return {
      modality: { kind: 'neighbours', name, items: items.toArray(), neighbours: neighbours.toArray(), cosines: cosines.toArray() },
      lines: lines.toArray(),
      maxId,
      source,
    };
  } finally {
    await scan.close();
  }
}

/**
 * Reads a neighbour list from a Parquet file with columns `itemID`, `neighborID`, `rank`
 * (integers) and `cosine` (numeric), one row group at a time; `lines` hold 1-based rows. @internal
 */
export async function parseNeighbourListParquet(file: string, name: string): Promise<ParsedNeighbourList> {
  const items = new Column((n) => new Int32Array(n));
  const neighbours = new Column((n) => new Int32Array(n));
  const cosines = new Column((n) => new Float64Array(n));
  const lines = new Column((n) => new Uint32Array(n));
  let maxId = -1;
  const columns = [
    ['itemID', 'id'],
    ['neighborID', 'id'],
    ['rank', 'id'],
    ['cosine', 'number'],
  ] as const;
  for await (const {
    rowStart,
    length,
    columns: [i, j, , c],
  } of readParquetGroups(file, columns)) {
    for (let r = 0; r < length; r++) {
      items.push(i![r]!);
      neighbours.push(j![r]!);
      cosines.push(c![r]!);
      lines.push(rowStart + r + 1);
      maxId = Math.max(maxId, i![r]!, j![r]!);
    }
  }
  return {
    modality: { kind: 'neighbours', name, items: items.toArray(), neighbours: neighbours.toArray(), cosines: cosines.toArray() },
    lines: lines.toArray(),
    maxId,
    source: basename(file),
  };
}

/**
 * Rejects a pair (item, neighbour) listed twice, naming both lines. Sorts entry indices, so
 * memory follows the number of entries, never the size of an id. @internal
 */
export function checkDuplicates(list: ParsedNeighbourList): void {
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
 * `file:line` on malformed rows and on a pair listed twice. The file is parsed as a stream. A
 * file whose name ends in `.parquet` is read as Parquet (same columns; `rank` integer,
 * `cosine` numeric; errors name `file:row`, 1-based), one row group at a time.
 */
export async function readNeighbourList(file: string, name: string): Promise<NeighbourListModality> {
  const list = isParquet(file)
    ? await parseNeighbourListParquet(file, name)
    : await parseNeighbourList(readChunks(file), basename(file), name);
  checkDuplicates(list);
  return list.modality;
}
