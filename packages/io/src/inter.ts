import { basename } from 'node:path';
import { InvalidDataError } from '@vi-mmrec/core';
import { Column } from './columns.js';
import { readChunks } from './fs-utils.js';
import { isParquet, readParquetGroups } from './parquet.js';
import { type TsvInput, TsvScanner } from './tsv.js';

/** The interactions of a `.inter` file: every split, in file order. */
export interface LabelledInteractions {
  /** User id of each row. */
  readonly users: Int32Array;
  /** Item id of each row. */
  readonly items: Int32Array;
  /** `x_label` of each row: 0 train, 1 valid, 2 test. */
  readonly labels: Uint8Array;
  /** Largest user id + 1 (0 for an empty file). */
  readonly numUsers: number;
  /** Largest item id + 1 (0 for an empty file). */
  readonly numItems: number;
}

/** Interactions plus, for each id bound, the line naming the largest id. @internal */
export interface ParsedInteractions extends LabelledInteractions {
  /** 1-based line of the first row naming the largest userID (0 when empty). */
  readonly maxUserLine: number;
  /** 1-based line of the first row naming the largest itemID (0 when empty). */
  readonly maxItemLine: number;
}

/** Parses `.inter` content, whole or in chunks; `source` names the file in messages. @internal */
export async function parseInteractions(input: TsvInput, source: string): Promise<ParsedInteractions> {
  const scan = new TsvScanner(input, source);
  try {
    const col = await scan.header(['userID', 'itemID', 'x_label']);
    const users = new Column((n) => new Int32Array(n));
    const items = new Column((n) => new Int32Array(n));
    const labels = new Column((n) => new Uint8Array(n));
    let maxUser = -1;
    let maxItem = -1;
    let maxUserLine = 0;
    let maxItemLine = 0;
    while (await scan.more()) {
      while (scan.next()) {
        const u = scan.id(col.userID, 'userID');
        const i = scan.id(col.itemID, 'itemID');
        const l = scan.id(col.x_label, 'x_label');
        if (l > 2) throw scan.error(`x_label ${l} is not 0, 1 or 2 (0 train, 1 valid, 2 test).`);
        users.push(u);
        items.push(i);
        labels.push(l);
        if (u > maxUser) {
          maxUser = u;
          maxUserLine = scan.line;
        }
        if (i > maxItem) {
          maxItem = i;
          maxItemLine = scan.line;
        }
      }
    }
    return {
      users: users.toArray(),
      items: items.toArray(),
      labels: labels.toArray(),
      numUsers: maxUser + 1,
      numItems: maxItem + 1,
      maxUserLine,
      maxItemLine,
    };
  } finally {
    await scan.close();
  }
}

/**
 * Reads interactions from a Parquet file with integer columns `userID`, `itemID`, `x_label`
 * (other columns ignored), one row group at a time; errors name `file:row` (1-based). @internal
 */
export async function parseInteractionsParquet(file: string): Promise<ParsedInteractions> {
  const source = basename(file);
  const users = new Column((n) => new Int32Array(n));
  const items = new Column((n) => new Int32Array(n));
  const labels = new Column((n) => new Uint8Array(n));
  let maxUser = -1;
  let maxItem = -1;
  let maxUserLine = 0;
  let maxItemLine = 0;
  const columns = [['userID', 'id'], ['itemID', 'id'], ['x_label', 'id']] as const;
  for await (const { rowStart, length, columns: [u, i, l] } of readParquetGroups(file, columns)) {
    for (let r = 0; r < length; r++) {
      if (l![r]! > 2) throw new InvalidDataError(`${source}:${rowStart + r + 1}`, `x_label ${l![r]} is not 0, 1 or 2 (0 train, 1 valid, 2 test).`);
      users.push(u![r]!);
      items.push(i![r]!);
      labels.push(l![r]!);
      if (u![r]! > maxUser) {
        maxUser = u![r]!;
        maxUserLine = rowStart + r + 1;
      }
      if (i![r]! > maxItem) {
        maxItem = i![r]!;
        maxItemLine = rowStart + r + 1;
      }
    }
  }
  return {
    users: users.toArray(),
    items: items.toArray(),
    labels: labels.toArray(),
    numUsers: maxUser + 1,
    numItems: maxItem + 1,
    maxUserLine,
    maxItemLine,
  };
}

/**
 * Reads an MMRec `.inter` file: a tab-separated file whose header (line 1) names `userID`,
 * `itemID` and `x_label` in any order (other columns are ignored). Ids are 0-based
 * non-negative integers; `x_label` is 0 (train), 1 (valid) or 2 (test). Blank lines are
 * skipped. The file is parsed as a stream (any size; memory holds the parsed columns).
 * A file whose name ends in `.parquet` is read as Parquet instead: integer (INT32/INT64)
 * columns `userID`, `itemID`, `x_label`, read one row group at a time. Rejects with
 * `InvalidDataError` naming `file:line` (Parquet: `file:row`, 1-based) on malformed content,
 * or naming the file when it cannot be read.
 */
export async function readInteractions(file: string): Promise<LabelledInteractions> {
  const parsed = isParquet(file) ? parseInteractionsParquet(file) : parseInteractions(readChunks(file), basename(file));
  const { users, items, labels, numUsers, numItems } = await parsed;
  return { users, items, labels, numUsers, numItems };
}
