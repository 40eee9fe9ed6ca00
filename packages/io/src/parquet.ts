import { basename } from 'node:path';
import { InvalidDataError, type EnrichedBlock } from '@vi-mmrec/core';
import { type AsyncBuffer, parquetMetadataAsync, parquetRead, type ColumnData, type FileMetaData, type SchemaElement } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { atomicWrite, fsErrorCode, openRegular, wrapFsError, type WriteChunk } from './fs-utils.js';
import type { OutputTransaction } from './transaction.js';

// Parquet goes through hyparquet / hyparquet-writer (pure JavaScript, read by row group), with
// hyparquet-compressors for every codec (snappy, gzip, zstd, brotli, lz4). This file only maps
// our tables onto them and checks values.

/** Largest id accepted, as in the TSV reader (ids are stored in Int32Array, `id + 1` fits too). */
const MAX_ID = 2 ** 31 - 2;
/** Rows per row group written. */
const WRITE_GROUP_ROWS = 1 << 20;

/** True when `file` names a Parquet file (by its extension, case-insensitive). @internal */
export function isParquet(file: string): boolean {
  return file.toLowerCase().endsWith('.parquet');
}

/** Kind of values a column must hold. */
type ColumnKind = 'id' | 'number';

/** One row group: the required columns' values (checked), rows `rowStart…rowStart+length-1` (0-based). @internal */
export interface ParquetGroup {
  readonly rowStart: number;
  readonly length: number;
  readonly columns: readonly Float64Array[];
}

const INT_TYPES = new Set(['INT32', 'INT64']);
const NUMBER_TYPES = new Set(['INT32', 'INT64', 'FLOAT', 'DOUBLE']);

/**
 * Reads the named columns of a Parquet file one row group at a time (memory holds one row
 * group), checking that each column exists at the top level with a numeric physical type
 * (`id` columns: INT32 or INT64 holding integers in 0…2^31-2; `number` columns: any numeric
 * type, finite), without nulls. Errors name the file and the 1-based row. @internal
 */
export async function* readParquetGroups(
  file: string,
  required: ReadonlyArray<readonly [name: string, kind: ColumnKind]>,
): AsyncGenerator<ParquetGroup> {
  const source = basename(file);
  // Only regular files, opened non-blocking (see openRegular); read by slices on demand.
  const fh = await openRegular(file);
  try {
    let byteLength: number;
    try {
      byteLength = (await fh.stat()).size;
    } catch (e) {
      throw wrapFsError(e, file, 'read');
    }
    const buffer: AsyncBuffer = {
      byteLength,
      async slice(start: number, end = byteLength): Promise<ArrayBuffer> {
        const bytes = new Uint8Array(Math.max(0, end - start));
        let done = 0;
        while (done < bytes.length) {
          const { bytesRead } = await fh.read(bytes, done, bytes.length - done, start + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        return bytes.buffer;
      },
    };
    yield* readGroups(buffer, file, source, required);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

async function* readGroups(
  buffer: AsyncBuffer,
  file: string,
  source: string,
  required: ReadonlyArray<readonly [name: string, kind: ColumnKind]>,
): AsyncGenerator<ParquetGroup> {
  const fail = (where: string, message: string): InvalidDataError => new InvalidDataError(where, message);
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (e) {
    throw new InvalidDataError(
      source,
      `not a readable Parquet file (${(e as Error).message}); write it again (e.g. pandas df.to_parquet(path)).`,
      { cause: e },
    );
  }
  const top = topLevelColumns(metadata.schema);
  for (const [name, kind] of required) {
    const element = top.get(name);
    if (element === undefined) {
      throw fail(
        source,
        `the Parquet schema lacks column '${name}' (found ${[...top.keys()].map((n) => `'${n}'`).join(', ')}); it must have columns ${required.map((r) => r[0]).join(', ')} (names are case-sensitive).`,
      );
    }
    const type = element.type ?? 'group';
    if (!(kind === 'id' ? INT_TYPES : NUMBER_TYPES).has(type)) {
      const want = kind === 'id' ? 'an integer column (INT32 or INT64)' : 'a numeric column';
      throw fail(
        source,
        `column '${name}' has Parquet type ${type}; it must be ${want} (e.g. df['${name}'] = df['${name}'].astype('int64')).`,
      );
    }
  }
  const names = required.map((r) => r[0]);
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const length = Number(group.num_rows);
    const rowEnd = rowStart + length;
    const chunks = new Map<string, ColumnData[]>(names.map((n) => [n, []]));
    try {
      await parquetRead({
        file: buffer,
        metadata,
        compressors,
        columns: names,
        rowStart,
        rowEnd,
        onChunk: (c) => chunks.get(c.columnName)?.push(c),
      });
    } catch (e) {
      if (fsErrorCode(e) !== undefined) throw wrapFsError(e, file, 'read');
      throw new InvalidDataError(source, `cannot decode rows ${rowStart + 1}…${rowEnd} (${(e as Error).message}); write the file again.`, {
        cause: e,
      });
    }
    const columns = required.map(([name, kind]) => {
      const out = new Float64Array(length);
      let filled = 0;
      for (const c of chunks.get(name)!) {
        const from = Math.max(rowStart, c.rowStart);
        const to = Math.min(rowEnd, c.rowEnd);
        if (to <= from) continue;
        const data = c.columnData;
        const a = from - c.rowStart;
        if (data instanceof Int32Array || data instanceof Float32Array || data instanceof Float64Array) {
          out.set(data.subarray(a, a + to - from), from - rowStart);
        } else {
          for (let k = 0; k < to - from; k++) {
            const v: unknown = data[a + k];
            out[from - rowStart + k] = typeof v === 'number' ? v : checkedValue(v, name, kind, source, from + k + 1);
          }
        }
        checkColumn(out, from - rowStart, to - rowStart, name, kind, source, rowStart);
        filled += to - from;
      }
      if (filled !== length)
        throw fail(
          `${source}:${rowStart + 1}`,
          `column '${name}' has ${filled} values in a row group of ${length} rows; write the file again.`,
        );
      return out;
    });
    yield { rowStart, length, columns };
    rowStart = rowEnd;
  }
}

/** The schema's top-level columns by name. */
function topLevelColumns(schema: readonly SchemaElement[]): Map<string, SchemaElement> {
  const out = new Map<string, SchemaElement>();
  let p = 1;
  const skip = (q: number): number => {
    let next = q + 1;
    for (let c = 0; c < (schema[q]!.num_children ?? 0); c++) next = skip(next);
    return next;
  };
  for (let c = 0; c < (schema[0]?.num_children ?? 0) && p < schema.length; c++) {
    out.set(schema[p]!.name, schema[p]!);
    p = skip(p);
  }
  return out;
}

/** Checks numbers already in `out[from…to)` (typed columns cannot hold nulls). */
function checkColumn(out: Float64Array, from: number, to: number, name: string, kind: ColumnKind, source: string, rowStart: number): void {
  for (let r = from; r < to; r++) {
    const x = out[r]!;
    if (kind === 'id' ? x >= 0 && x <= MAX_ID : x - x === 0) continue;
    checkedValue(x, name, kind, source, rowStart + r + 1);
  }
}

function checkedValue(v: unknown, name: string, kind: ColumnKind, source: string, row: number): number {
  const where = `${source}:${row}`;
  if (v === null || v === undefined)
    throw new InvalidDataError(where, `${name} is null; every row needs a ${kind === 'id' ? `0-based integer ${name}` : 'finite number'}.`);
  const x = typeof v === 'bigint' ? Number(v) : (v as number);
  const text = typeof v === 'bigint' ? v.toString() : String(x);
  if (kind === 'number') {
    if (Number.isFinite(x)) return x;
    throw new InvalidDataError(where, `${name} is ${x}, not a finite number; fix or remove this row.`);
  }
  if (x < 0) throw new InvalidDataError(where, `${name} ${text} is negative; ids are 0-based non-negative integers.`);
  if (x > MAX_ID) throw new InvalidDataError(where, `${name} ${text} is too large; ids must be below ${MAX_ID + 1}.`);
  return x;
}

/**
 * A hyparquet-writer sink that hands each row group to an atomic-write sink when the writer
 * calls `flush`; the footer is handed over by a last explicit `flush` after `finish`.
 */
class SinkWriter extends ByteWriter {
  constructor(private readonly sink: WriteChunk) {
    super(1 << 16);
  }
  async flush(): Promise<void> {
    if (this.index === 0) return;
    const bytes = new Uint8Array(this.buffer, 0, this.index).slice();
    this.index = 0;
    await this.sink(bytes);
  }
}

const MATRIX_SCHEMA: SchemaElement[] = [
  { name: 'root', num_children: 3 },
  { name: 'userID', type: 'INT32', repetition_type: 'REQUIRED' },
  { name: 'itemID', type: 'INT32', repetition_type: 'REQUIRED' },
  { name: 'weight', type: 'FLOAT', repetition_type: 'REQUIRED' },
];

/**
 * Writes R̄, given as consecutive user blocks, as Parquet (columns userID INT32, itemID INT32,
 * weight FLOAT; snappy; row groups of 2^20 entries, sorted by user then item; no column
 * statistics), atomically like the TSV writer: staged in `transaction` when given, else
 * replaced on its own. @internal
 */
export async function writeEnrichedBlocksParquet(
  file: string,
  blocks: AsyncIterable<EnrichedBlock>,
  check: (u: number, item: number, prev: number, w: number) => void,
  onProgress?: (doneRows: number) => void,
  transaction?: OutputTransaction,
): Promise<void> {
  await atomicWrite(
    file,
    async (write) => {
      const sink = new SinkWriter(write);
      // No min/max statistics: they doubled the write time (measured) and R̄ is read whole.
      const writer = new ParquetWriter({
        writer: sink,
        schema: MATRIX_SCHEMA,
        statistics: false,
        createdBy: '@vi-mmrec/io (hyparquet-writer)',
      });
      const size = WRITE_GROUP_ROWS;
      let users = new Int32Array(0);
      let cols = new Int32Array(0);
      let ws = new Float32Array(0);
      let n = 0;
      let done = 0;
      const flush = async (): Promise<void> => {
        if (n === 0) return;
        await writer.write({
          columnData: [
            { name: 'userID', data: users.subarray(0, n) },
            { name: 'itemID', data: cols.subarray(0, n) },
            { name: 'weight', data: ws.subarray(0, n) },
          ],
          rowGroupSize: n,
        });
        done += n;
        n = 0;
        onProgress?.(done);
      };
      for await (const { userStart, rowPtr, items, weights } of blocks) {
        const count = rowPtr.length - 1;
        for (let r = 0; r < count; r++) {
          const u = userStart + r;
          let prev = -1;
          for (let p = rowPtr[r]!; p < rowPtr[r + 1]!; p++) {
            const item = items[p]!;
            const w = weights[p]!;
            check(u, item, prev, w);
            prev = item;
            if (n === users.length) {
              // Row-group buffers grow up to 2^20 entries (small outputs stay small).
              const grown = Math.min(size, Math.max(1024, users.length * 2));
              const u2 = new Int32Array(grown);
              u2.set(users);
              users = u2;
              const c2 = new Int32Array(grown);
              c2.set(cols);
              cols = c2;
              const w2 = new Float32Array(grown);
              w2.set(ws);
              ws = w2;
            }
            users[n] = u;
            cols[n] = item;
            ws[n] = w;
            if (++n === size) await flush();
          }
        }
      }
      await flush();
      await writer.finish();
      await sink.flush();
      onProgress?.(done);
    },
    transaction,
  );
}
