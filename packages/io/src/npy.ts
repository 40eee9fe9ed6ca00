import { basename } from 'node:path';
import { InvalidDataError } from '@vi-mmrec/core';
import { readFileChecked } from './fs-utils.js';

/** A 2-D float array read from a `.npy` file. */
export interface NpyArray {
  /** Row-major values; float16 files are decoded to `Float32Array`. */
  readonly data: Float32Array | Float64Array;
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

/** Parses a `.npy` buffer; `source` names the file in messages. @internal */
export function parseNpy(buf: Uint8Array, source: string): NpyArray {
  const fail = (message: string): InvalidDataError => new InvalidDataError(source, message);
  if (buf.length < 10 || MAGIC.some((b, p) => buf[p] !== b)) {
    throw fail(`not a NumPy .npy file (bad magic bytes); ${SAVE_HINT}.`);
  }
  const major = buf[6]!;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw fail('truncated: the file ends inside its header.');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw fail(`unsupported .npy format version ${major}.${buf[7]}; versions 1.0, 2.0 and 3.0 are read.`);
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > buf.length) throw fail(`truncated: the header says ${headerLen} bytes but the file ends first.`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(buf.subarray(headerStart, dataStart));
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
  const size = Number(m[3]);
  const count = shape[0]! * shape[1]!;
  const need = count * size;
  const have = buf.length - dataStart;
  if (have < need) {
    throw fail(
      `truncated: shape (${shape.join(', ')}) of ${dtype} needs ${need} data bytes but the file has ${have}; the file is incomplete, copy or save it again.`,
    );
  }
  if (have > need) {
    throw fail(`the file has ${have - need} bytes more than shape (${shape.join(', ')}) of ${dtype} needs; the file is corrupt, save it again.`);
  }
  const offset = buf.byteOffset + dataStart;
  let data: Float32Array | Float64Array;
  if (size === 2) {
    const table = halfToFloatTable();
    data = new Float32Array(count);
    if (offset % 2 === 0) {
      const bits = new Uint16Array(buf.buffer, offset, count);
      for (let p = 0; p < count; p++) data[p] = table[bits[p]!]!;
    } else {
      for (let p = 0; p < count; p++) data[p] = table[view.getUint16(dataStart + 2 * p, true)]!;
    }
  } else if (size === 4) {
    data = offset % 4 === 0 ? new Float32Array(buf.buffer, offset, count) : new Float32Array(copyBytes(buf, dataStart, need));
  } else {
    data = offset % 8 === 0 ? new Float64Array(buf.buffer, offset, count) : new Float64Array(copyBytes(buf, dataStart, need));
  }
  return { data, shape, dtype };
}

function copyBytes(buf: Uint8Array, start: number, length: number): ArrayBuffer {
  const out = new Uint8Array(length);
  out.set(buf.subarray(start, start + length));
  return out.buffer;
}

function isLittleEndianHost(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

/**
 * Reads a 2-D NumPy `.npy` file (format 1.0, 2.0 or 3.0; little-endian float16, float32 or
 * float64; C order). float32/float64 data are viewed in place without copying when aligned;
 * float16 is decoded to `Float32Array`. Rejects with `InvalidDataError` naming the file and
 * what to do for a bad magic, an unsupported dtype, byte order, memory order or rank, and a
 * truncated file.
 */
export async function readNpy(file: string): Promise<NpyArray> {
  const buf = await readFileChecked(file);
  return parseNpy(buf, basename(file));
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
