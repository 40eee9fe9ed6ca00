import { basename } from 'node:path';
import { InvalidDataError } from '@vi-mmrec/core';
import { withFile, type FileHandle } from './fs-utils.js';

/** A 2-D float array read from a `.npy` file. */
export interface NpyArray {
  /** Row-major values as float32 (float16 and float64 files are converted). */
  readonly data: Float32Array;
  /** `[rows, columns]`. */
  readonly shape: number[];
  /** The file's element type: `'float16'`, `'float32'` or `'float64'`. */
  readonly dtype: 'float16' | 'float32' | 'float64';
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const DTYPES = { f2: 'float16', f4: 'float32', f8: 'float64' } as const;
const SAVE_HINT = "save it with numpy: np.save(path, np.ascontiguousarray(x, dtype='<f4'))";

let halfTable: Float32Array | undefined;
/** float16 bit pattern → float32 value, for all 65,536 patterns. */
function halfToFloatTable(): Float32Array {
  if (halfTable !== undefined) return halfTable;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) t[h] = sign * frac * 2 ** -24;
    else if (exp === 31) t[h] = frac === 0 ? sign * Infinity : Number.NaN;
    else t[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  halfTable = t;
  return t;
}

/** What the header of a `.npy` file says, checked against the file size. @internal */
export interface NpyHeader {
  readonly dtype: NpyArray['dtype'];
  /** Bytes per element: 2, 4 or 8. */
  readonly size: 2 | 4 | 8;
  /** `[rows, columns]`. */
  readonly shape: [number, number];
  /** Byte offset of the first element. */
  readonly dataStart: number;
}

/**
 * Bytes to read from the start of a `.npy` file before {@link parseNpyHeader} can decide:
 * the whole header, or the whole file when shorter. `prefix` holds at least the first 12
 * bytes (or the whole file).
 */
function npyHeaderBytes(prefix: Uint8Array, fileSize: number): number {
  if (prefix.length < 10) return Math.min(fileSize, 12);
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  const major = prefix[6];
  let dataStart = 12;
  if (major === 1) dataStart = 10 + view.getUint16(8, true);
  else if ((major === 2 || major === 3) && prefix.length >= 12) dataStart = 12 + view.getUint32(8, true);
  return Math.min(fileSize, dataStart);
}

/**
 * Parses and checks the header of a `.npy` file of `fileSize` bytes whose first bytes are
 * `head` (at least {@link npyHeaderBytes} of them): magic, version, dtype, byte and memory
 * order, rank, and that the data size matches the shape exactly. Nothing is allocated by
 * the shape. @internal
 */
export function parseNpyHeader(head: Uint8Array, fileSize: number, source: string): NpyHeader {
  const fail = (message: string): InvalidDataError => new InvalidDataError(source, message);
  if (fileSize < 10 || head.length < 10 || MAGIC.some((b, p) => head[p] !== b)) {
    throw fail(`not a NumPy .npy file (bad magic bytes); ${SAVE_HINT}.`);
  }
  const major = head[6]!;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (fileSize < 12 || head.length < 12) throw fail('truncated: the file ends inside its header.');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw fail(`unsupported .npy format version ${major}.${head[7]}; versions 1.0, 2.0 and 3.0 are read.`);
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > fileSize || dataStart > head.length) {
    throw fail(`truncated: the header says ${headerLen} bytes but the file ends first.`);
  }
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(head.subarray(headerStart, dataStart));
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(header)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw fail(`unsupported .npy header ${JSON.stringify(header.trim())} (structured or object arrays are not read); ${SAVE_HINT}.`);
  }
  const m = /^([<>|=])([a-zA-Z])(\d+)$/.exec(descr);
  const kind = m === null ? undefined : `${m[2]}${m[3]}`;
  if (m === null || !(kind! in DTYPES)) {
    throw fail(`dtype '${descr}' is not supported; features must be float16, float32 or float64 (convert with x.astype('<f4')).`);
  }
  const order = m[1]!;
  if (order === '>' || (order === '=' && !isLittleEndianHost())) {
    throw fail(`dtype '${descr}' is big-endian; save little-endian data (x.astype('<${kind}')).`);
  }
  if (order === '|') throw fail(`dtype '${descr}' has no byte order; features must be '<f2', '<f4' or '<f8'.`);
  if (fortran === 'True') throw fail(`the array is in Fortran (column-major) order; save C order: np.save(path, np.ascontiguousarray(x)).`);
  const dims = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const shape = dims.map((s) => (/^\d+$/.test(s) ? Number(s) : Number.NaN));
  if (shape.some((d) => !Number.isSafeInteger(d))) throw fail(`shape (${shapeText}) is not a tuple of integers.`);
  if (shape.length !== 2) {
    throw fail(`shape (${shapeText.trim()}) is ${shape.length}-D; features must be 2-D (items × features), row i = item i.`);
  }
  const dtype = DTYPES[kind as keyof typeof DTYPES];
  const size = Number(m[3]) as 2 | 4 | 8;
  const need = shape[0]! * shape[1]! * size;
  const have = fileSize - dataStart;
  if (have < need) {
    throw fail(
      `truncated: shape (${shape.join(', ')}) of ${dtype} needs ${need} data bytes but the file has ${have}; the file is incomplete, copy or save it again.`,
    );
  }
  if (have > need) {
    throw fail(
      `the file has ${have - need} bytes more than shape (${shape.join(', ')}) of ${dtype} needs; the file is corrupt, save it again.`,
    );
  }
  return { dtype, size, shape: [shape[0]!, shape[1]!], dataStart };
}

/** Allocates the float32 output of `header`, or says how much memory it needs. */
function allocate(header: NpyHeader, source: string): Float32Array {
  const [rows, cols] = header.shape;
  try {
    return new Float32Array(rows * cols);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    const gib = ((rows * cols * 4) / 2 ** 30).toFixed(1);
    throw new InvalidDataError(
      source,
      `shape (${rows}, ${cols}) needs ${gib} GiB of memory as float32, which could not be allocated; use a machine with more memory or fewer feature columns (e.g. PCA).`,
      { cause: e },
    );
  }
}

/**
 * Decodes whole elements of `bytes` (little-endian, `size` bytes each) into `out` from
 * element `at`, converting float16 and float64 to float32.
 */
function decodeInto(out: Float32Array, at: number, bytes: Uint8Array, size: 2 | 4 | 8): void {
  const count = bytes.length / size;
  const aligned = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
  if (size === 4) out.set(new Float32Array(aligned.buffer, aligned.byteOffset, count), at);
  else if (size === 8) out.set(new Float64Array(aligned.buffer, aligned.byteOffset, count), at);
  else {
    const table = halfToFloatTable();
    const bits = new Uint16Array(aligned.buffer, aligned.byteOffset, count);
    for (let p = 0; p < count; p++) out[at + p] = table[bits[p]!]!;
  }
}

function isLittleEndianHost(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

/** Bytes read per block when streaming a `.npy` file (whole rows, at least one row). */
const BLOCK_BYTES = 1 << 24;

/**
 * Reads a 2-D NumPy `.npy` file (format 1.0, 2.0 or 3.0; little-endian float16, float32 or
 * float64; C order) into one `Float32Array` of rows × columns, the type `augment` computes
 * in: float16 and float64 are converted to float32 (float64 values are rounded to nearest).
 * The header is read and checked against the file size before anything is allocated, then
 * the data are read in blocks of whole rows, so files larger than 2 GiB are read with memory
 * for the float32 array (float32 data are read straight into it; float16 and float64 data
 * through one 16 MiB block). Rejects with `InvalidDataError` naming the file
 * and what to do for a bad magic, an unsupported dtype, byte order, memory order or rank, a
 * truncated file, and an array too large to allocate.
 */
export async function readNpy(file: string): Promise<NpyArray> {
  return readNpyInBlocks(file, BLOCK_BYTES);
}

/** {@link readNpy} with blocks of about `blockBytes` bytes (whole rows, at least one). @internal */
export async function readNpyInBlocks(file: string, blockBytes: number): Promise<NpyArray> {
  const source = basename(file);
  return withFile(file, async (fh) => {
    const fileSize = (await fh.stat()).size;
    let head = await readAt(fh, 0, Math.min(fileSize, 12), source);
    const headLen = npyHeaderBytes(head, fileSize);
    if (headLen > head.length) head = await readAt(fh, 0, headLen, source);
    const header = parseNpyHeader(head, fileSize, source);
    const data = allocate(header, source);
    const [rows, cols] = header.shape;
    const rowBytes = cols * header.size;
    const blockRows = rowBytes === 0 ? rows : Math.max(1, Math.floor(blockBytes / rowBytes));
    // float32 is read straight into the array (no copy, no block buffer); other types go
    // through one block buffer and are converted.
    const block = header.size === 4 ? undefined : new Uint8Array(Math.min(rows, blockRows) * rowBytes);
    for (let r = 0; r < rows && rowBytes > 0; r += blockRows) {
      const n = Math.min(blockRows, rows - r);
      const position = header.dataStart + r * rowBytes;
      if (block === undefined) {
        await readFully(fh, new Uint8Array(data.buffer, data.byteOffset + r * rowBytes, n * rowBytes), position, source);
        continue;
      }
      const bytes = block.subarray(0, n * rowBytes);
      await readFully(fh, bytes, position, source);
      decodeInto(data, r * cols, bytes, header.size);
    }
    return { data, shape: [rows, cols], dtype: header.dtype };
  });
}

async function readAt(fh: FileHandle, position: number, length: number, source: string): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  await readFully(fh, out, position, source);
  return out;
}

/** Fills `target` from `position`; a short read means the file shrank while being read. */
async function readFully(fh: FileHandle, target: Uint8Array, position: number, source: string): Promise<void> {
  let done = 0;
  while (done < target.length) {
    const { bytesRead } = await fh.read(target, done, Math.min(target.length - done, 1 << 30), position + done);
    if (bytesRead === 0)
      throw new InvalidDataError(source, 'the file became shorter while it was read; read it again when it is complete.');
    done += bytesRead;
  }
}

/** Encodes a 2-D float32 array as a `.npy` v1.0 file (`<f4`, C order). @internal */
export function encodeNpyFloat32(data: Float32Array | Float64Array, rows: number, cols: number): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + rows * cols * 4);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let p = 0; p < header.length; p++) out[10 + p] = header.charCodeAt(p);
  const values = new Float32Array(out.buffer, 10 + header.length, rows * cols);
  values.set(data.subarray(0, rows * cols));
  return out;
}
