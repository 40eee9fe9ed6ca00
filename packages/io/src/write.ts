import { InvalidArgumentError, InvalidDataError, type AugmentSummary, type EnrichedBlock, type EnrichedMatrix } from '@vi-mmrec/core';
import { ChunkedWriter, atomicWrite } from './fs-utils.js';
import { isParquet, writeEnrichedBlocksParquet } from './parquet.js';
import type { OutputTransaction, WriteChunk } from './transaction.js';

/**
 * Formats a number with 9 significant digits, trailing zeros trimmed (`1`, `0.1`,
 * `0.123456789`, `1.5e-7`); integers below 10^9 print exactly.
 */
export function formatWeight(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e9) return String(x);
  const s = x.toPrecision(9);
  const e = s.indexOf('e');
  let mantissa = e < 0 ? s : s.slice(0, e);
  if (mantissa.includes('.')) {
    let end = mantissa.length;
    while (mantissa.charCodeAt(end - 1) === 48) end--;
    if (mantissa.charCodeAt(end - 1) === 46) end--;
    mantissa = mantissa.slice(0, end);
  }
  return e < 0 ? mantissa : mantissa + s.slice(e);
}

/** Rejects an entry out of item order or with a non-finite weight. */
function checkEntry(u: number, item: number, prev: number, w: number): void {
  if (item <= prev) {
    throw new InvalidDataError('enriched matrix', `row of user ${u} is not sorted by item (item ${item} after ${prev}).`);
  }
  if (!Number.isFinite(w)) throw new InvalidDataError('enriched matrix', `weight of (user ${u}, item ${item}) is ${w}.`);
}

/** Options of {@link writeEnrichedMatrix}. */
export interface WriteMatrixOptions {
  /** Called after each written chunk with the rows (entries) written so far and the total. */
  readonly onProgress?: (doneRows: number, totalRows: number) => void;
  /**
   * Stage the file in this transaction instead of replacing it at once: it is replaced when
   * the transaction commits (with the other outputs of the run), or never.
   */
  readonly transaction?: OutputTransaction;
}

/** Options of {@link writeSummary} and {@link writeTextAtomic}. */
export interface WriteTextOptions {
  /** Stage the file in this transaction instead of replacing it at once. */
  readonly transaction?: OutputTransaction;
}

/**
 * Writes the enriched matrix R̄ as a tab-separated file: header `userID itemID weight`, one row
 * per non-zero entry, sorted by user then item, weights with 9 significant digits (see
 * {@link formatWeight}). When `file` ends in `.parquet` (any case) it is written as Parquet
 * instead: columns `userID` (INT32), `itemID` (INT32), `weight` (FLOAT, i.e. float32), same
 * rows and order, snappy-compressed row groups of 2^20 entries (written with hyparquet-writer).
 * Either way the file is streamed into a temporary file in the same folder and renamed into
 * place at the end (or, with `options.transaction`, when that transaction commits): a failed
 * write leaves neither `file` nor a temporary file. Rejects with `InvalidDataError` on an
 * unsorted row or a non-finite weight, and with `AbortedError` when the transaction's signal
 * aborts.
 */
export async function writeEnrichedMatrix(file: string, matrix: EnrichedMatrix, options: WriteMatrixOptions = {}): Promise<void> {
  const { numUsers, rowPtr, items, weights, real } = matrix;
  const total = rowPtr[numUsers] ?? 0;
  const { onProgress } = options;
  await writeEnrichedBlocks(file, [{ userStart: 0, rowPtr: rowPtr.subarray(0, numUsers + 1), items, weights, real }], {
    ...(onProgress === undefined ? {} : { onProgress: (done: number) => onProgress(done, total) }),
    ...(options.transaction === undefined ? {} : { transaction: options.transaction }),
  });
}

/** Options of {@link writeEnrichedBlocks}. */
export interface WriteBlocksOptions {
  /** Called after each written chunk with the entries written so far. */
  readonly onProgress?: (doneRows: number) => void;
  /** As {@link WriteMatrixOptions.transaction}. */
  readonly transaction?: OutputTransaction;
  /**
   * TSV only: one line of text (no line break) written as `# <comment>` before the header, e.g.
   * the manifest of a shard's part file.
   */
  readonly comment?: string;
}

/**
 * Writes R̄ given as consecutive user blocks (e.g. from core's `augmentStream`), in the format
 * and with the guarantees of {@link writeEnrichedMatrix}: only the current block and one
 * output chunk are in memory. Blocks must follow each other (each starts where the previous
 * ended); a block yielded by an async iterable may be computed while the previous one is
 * written.
 */
export async function writeEnrichedBlocks(
  file: string,
  blocks: Iterable<EnrichedBlock> | AsyncIterable<EnrichedBlock>,
  options: WriteBlocksOptions = {},
): Promise<void> {
  const { comment, onProgress } = options;
  if (isParquet(file)) {
    if (comment !== undefined) throw new InvalidArgumentError('comment', `${file}: a comment line can only be written to a TSV file.`);
    return writeEnrichedBlocksParquet(file, inOrder(blocks), checkEntry, onProgress, options.transaction);
  }
  await atomicWrite(file, async (write) => streamEnrichedBlocks(write, blocks, options), options.transaction);
}

/**
 * Streams R̄, given as consecutive user blocks, as {@link writeEnrichedBlocks}' TSV (same
 * comment line, header, rows, order and weight format) through `write`, in chunks of about
 * 1 MiB, awaiting each: e.g. to standard output. Not atomic: a failure leaves what was written.
 * Rejects with `InvalidDataError` on an unsorted row or a non-finite weight, and with whatever
 * `write` rejects with.
 */
export async function streamEnrichedBlocks(
  write: WriteChunk,
  blocks: Iterable<EnrichedBlock> | AsyncIterable<EnrichedBlock>,
  options: Pick<WriteBlocksOptions, 'comment' | 'onProgress'> = {},
): Promise<void> {
  const { comment, onProgress } = options;
  if (comment !== undefined && /[\r\n]/.test(comment)) throw new InvalidArgumentError('comment', 'comment must be one line.');
  // R̄'s weights take few distinct values (1 + λ·Σ w^g over a subset of the groups): format
  // each once.
  const formatted = new Map<number, string>();
  const format = (w: number): string => {
    let text = formatted.get(w);
    if (text === undefined) {
      text = formatWeight(w);
      if (formatted.size < 4096) formatted.set(w, text);
    }
    return text;
  };
  const out = new ChunkedWriter(write);
  if (comment !== undefined) out.append(`# ${comment}\n`);
  out.append('userID\titemID\tweight\n');
  let done = 0;
  for await (const block of inOrder(blocks)) {
    const { userStart, rowPtr, items, weights } = block;
    const count = rowPtr.length - 1;
    for (let r = 0; r < count; r++) {
      const end = rowPtr[r + 1]!;
      let prev = -1;
      const u = userStart + r;
      const prefix = `${u}\t`;
      for (let p = rowPtr[r]!; p < end; p++) {
        const item = items[p]!;
        const w = weights[p]!;
        checkEntry(u, item, prev, w);
        prev = item;
        out.append(`${prefix}${item}\t${format(w)}\n`);
      }
      if (out.full) {
        await out.flush();
        onProgress?.(done + end);
      }
    }
    done += rowPtr[count]!;
  }
  await out.flush();
  onProgress?.(done);
}

/** Checks that blocks follow each other (no gap, no overlap). */
async function* inOrder(blocks: Iterable<EnrichedBlock> | AsyncIterable<EnrichedBlock>): AsyncGenerator<EnrichedBlock> {
  let next = -1;
  for await (const block of blocks) {
    if (next >= 0 && block.userStart !== next) {
      throw new InvalidArgumentError(
        'blocks',
        `a block starts at user ${block.userStart}, expected ${next} (blocks must follow each other).`,
      );
    }
    next = block.userStart + block.rowPtr.length - 1;
    yield block;
  }
}

/**
 * Writes a run's summary as pretty-printed JSON (2-space indent, trailing newline): the
 * summary's fields first (options, oAvg, modalityOverlaps, groups, counts, seconds), then the
 * fields of `extra` that the summary does not already have (e.g. dataset, tool version).
 * Written atomically like {@link writeEnrichedMatrix}.
 */
export async function writeSummary(
  file: string,
  summary: AugmentSummary,
  extra: object = {},
  options: WriteTextOptions = {},
): Promise<void> {
  const merged: Record<string, unknown> = { ...summary };
  for (const [key, value] of Object.entries(extra)) if (!Object.hasOwn(merged, key)) merged[key] = value;
  await writeTextAtomic(file, `${JSON.stringify(merged, null, 2)}\n`, options);
}

/**
 * Writes `text` (UTF-8) to `file` atomically: through a temporary file in the same folder,
 * flushed and renamed over `file`, so a failed write leaves `file` untouched and no temporary
 * file behind.
 *
 * @throws InvalidDataError naming the file when it cannot be written.
 */
export async function writeTextAtomic(file: string, text: string, options: WriteTextOptions = {}): Promise<void> {
  await atomicWrite(file, async (write) => write(text), options.transaction);
}
