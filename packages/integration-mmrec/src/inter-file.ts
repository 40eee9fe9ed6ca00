import { readFile, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { InvalidArgumentError, InvalidDataError } from '@vi-mmrec/core';

/** A parsed `.inter` file that keeps its lines verbatim (for copies). @internal */
export interface InterFile {
  readonly file: string;
  /** Header fields. */
  readonly header: readonly string[];
  /** Column index of userID, itemID and x_label. */
  readonly columns: { readonly user: number; readonly item: number; readonly label: number };
  /** Data lines, verbatim (no line break), and their 1-based line numbers. */
  readonly lines: readonly string[];
  readonly lineNumbers: Int32Array;
  readonly users: Int32Array;
  readonly items: Int32Array;
  readonly labels: Int32Array;
  /** Largest user / item id + 1 over every row (what MMRec's RecDataset computes). */
  readonly numUsers: number;
  readonly numItems: number;
}

/** Finds the single `*.inter` file of a dataset folder. @internal */
export async function findInterFile(dir: string): Promise<string | undefined> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.inter'));
  if (names.length > 1) {
    throw new InvalidArgumentError(
      'dataset',
      `Folder ${dir} holds ${names.length} .inter files (${names.join(', ')}); pass { dir, interFile }.`,
    );
  }
  return names.length === 1 ? join(dir, names[0]!) : undefined;
}

function parseId(text: string | undefined, where: string, column: string): number {
  if (text === undefined || !/^\d+$/.test(text.trim())) {
    throw new InvalidDataError(where, `${column} '${text ?? ''}' is not a non-negative integer id.`);
  }
  const v = Number(text.trim());
  if (v > 2147483647) throw new InvalidDataError(where, `${column} ${v} is too large.`);
  return v;
}

/** Reads a tab-separated `.inter` with header naming userID, itemID and x_label. @internal */
export async function readInterFile(file: string): Promise<InterFile> {
  // A UTF-8 byte-order mark is ignored, as @vi-mmrec/io's reader does.
  const text = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  const all = text.split('\n');
  const name = basename(file);
  const header = (all[0] ?? '').replace(/\r$/, '').split('\t');
  const col = (c: string): number => {
    const k = header.indexOf(c);
    if (k < 0) throw new InvalidDataError(`${name}:1`, `the header has no '${c}' column (it has ${header.join(', ')}).`);
    return k;
  };
  const columns = { user: col('userID'), item: col('itemID'), label: col('x_label') };
  const lines: string[] = [];
  const lineNumbers: number[] = [];
  const users: number[] = [];
  const items: number[] = [];
  const labels: number[] = [];
  let numUsers = 0;
  let numItems = 0;
  for (let k = 1; k < all.length; k++) {
    const line = all[k]!.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const where = `${name}:${k + 1}`;
    const f = line.split('\t');
    const u = parseId(f[columns.user], where, 'userID');
    const i = parseId(f[columns.item], where, 'itemID');
    const l = parseId(f[columns.label], where, 'x_label');
    lines.push(line);
    lineNumbers.push(k + 1);
    users.push(u);
    items.push(i);
    labels.push(l);
    numUsers = Math.max(numUsers, u + 1);
    numItems = Math.max(numItems, i + 1);
  }
  return {
    file,
    header,
    columns,
    lines,
    lineNumbers: Int32Array.from(lineNumbers),
    users: Int32Array.from(users),
    items: Int32Array.from(items),
    labels: Int32Array.from(labels),
    numUsers,
    numItems,
  };
}
