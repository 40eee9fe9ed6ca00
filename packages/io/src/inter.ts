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

/** Rows as they are parsed, with each id bound's first line; one for every input format. */
class InteractionRows {
  private readonly users = new Column((n) => new Int32Array(n));
  private readonly items = new Column((n) => new Int32Array(n));
  private readonly labels = new Column((n) => new Uint8Array(n));
  private maxUser = -1;
  private maxItem = -1;
  private maxUserLine = 0;
  private maxItemLine = 0;

  /** Appends one row read at 1-based `line`; the label is already checked. */
  push(user: number, item: number, label: number, line: number): void {
    this.users.push(user);
    this.items.push(item);
    this.labels.push(label);
    if (user > this.maxUser) {
      this.maxUser = user;
      this.maxUserLine = line;
    }
    if (item > this.maxItem) {
      this.maxItem = item;
      this.maxItemLine = line;
    }
  }

  result(): ParsedInteractions {
    return {
      users: this.users.toArray(),
      items: this.items.toArray(),
      labels: this.labels.toArray(),
      numUsers: this.maxUser + 1,
      numItems: this.maxItem + 1,
      maxUserLine: this.maxUserLine,
      maxItemLine: this.maxItemLine,
    };
  }
}

const LABEL_RULE = 'is not 0, 1 or 2 (0 train, 1 valid, 2 test).';

/** Parses `.inter` content, whole or in chunks; `source` names the file in messages. @internal */
export async function parseInteractions(input: TsvInput, source: string): Promise<ParsedInteractions> {
  const scan = new TsvScanner(input, source);
  try {
    const col = await scan.header(['userID', 'itemID', 'x_label']);
    const rows = new InteractionRows();
    while (await scan.more()) {
      while (scan.next()) {
        const u = scan.id(col.userID, 'userID');
        const i = scan.id(col.itemID, 'itemID');
        const l = scan.id(col.x_label, 'x_label');
        if (l > 2) throw scan.error(`x_label ${l} ${LABEL_RULE}`);
        rows.push(u, i, l, scan.line);
      }
    }
    return rows.result();
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
  const rows = new InteractionRows();
  const columns = [
    ['userID', 'id'],
    ['itemID', 'id'],
    ['x_label', 'id'],
  ] as const;
  for await (const {
    rowStart,
    length,
    columns: [u, i, l],
  } of readParquetGroups(file, columns)) {
    for (let r = 0; r < length; r++) {
      if (l![r]! > 2) throw new InvalidDataError(`${source}:${rowStart + r + 1}`, `x_label ${l![r]} ${LABEL_RULE}`);
      rows.push(u![r]!, i![r]!, l![r]!, rowStart + r + 1);
    }
  }
  return rows.result();
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
