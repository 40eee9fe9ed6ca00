import { basename } from 'node:path';
import { readFileChecked } from './fs-utils.js';
import { TsvScanner } from './tsv.js';

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

/** Upper bound of the number of data rows: the number of line breaks + 1. @internal */
export function countLines(buf: Uint8Array): number {
  let n = 1;
  let p = buf.indexOf(10);
  while (p >= 0) {
    n++;
    p = buf.indexOf(10, p + 1);
  }
  return n;
}

/** Parses `.inter` content; `source` names the file in messages. @internal */
export function parseInteractions(buf: Uint8Array, source: string): LabelledInteractions {
  const scan = new TsvScanner(buf, source);
  const col = scan.header(['userID', 'itemID', 'x_label']);
  const cap = countLines(buf);
  const users = new Int32Array(cap);
  const items = new Int32Array(cap);
  const labels = new Uint8Array(cap);
  let n = 0;
  let maxUser = -1;
  let maxItem = -1;
  while (scan.next()) {
    const u = scan.id(col.userID, 'userID');
    const i = scan.id(col.itemID, 'itemID');
    const l = scan.id(col.x_label, 'x_label');
    if (l > 2) throw scan.error(`x_label ${l} is not 0, 1 or 2 (0 train, 1 valid, 2 test).`);
    users[n] = u;
    items[n] = i;
    labels[n] = l;
    n++;
    if (u > maxUser) maxUser = u;
    if (i > maxItem) maxItem = i;
  }
  return {
    users: users.slice(0, n),
    items: items.slice(0, n),
    labels: labels.slice(0, n),
    numUsers: maxUser + 1,
    numItems: maxItem + 1,
  };
}

/**
 * Reads an MMRec `.inter` file: a tab-separated file whose header (line 1) names `userID`,
 * `itemID` and `x_label` in any order (other columns are ignored). Ids are 0-based
 * non-negative integers; `x_label` is 0 (train), 1 (valid) or 2 (test). Blank lines are
 * skipped. Rejects with `InvalidDataError` naming `file:line` on malformed content, or naming
 * the file when it cannot be read.
 */
export async function readInteractions(file: string): Promise<LabelledInteractions> {
  const buf = await readFileChecked(file);
  return parseInteractions(buf, basename(file));
}
