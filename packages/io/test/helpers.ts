// Independent test helpers: a .npy encoder written from the NumPy format spec (not the code
// under test), a float32 → float16 rounding encoder, and temp-folder utilities.
import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface NpyOptions {
  version?: 1 | 2 | 3;
  descr?: string;
  fortran?: boolean;
  shape?: readonly number[];
  /** Pad the header so that data start at this byte offset modulo 64 (default aligned to 64). */
  misalign?: number;
  /** Drop this many bytes from the end. */
  truncate?: number;
  /** Replace the header dict text entirely. */
  rawHeader?: string;
  extraBytes?: number;
}

/** float → IEEE half bits, round to nearest even (independent of the reader's decoder). */
export function toHalfBits(value: number): number {
  const f32 = new Float32Array([value]);
  const x = new Uint32Array(f32.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (half & 1) === 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1) === 1)) half++;
  return sign | half;
}

/** Encodes values as a .npy file with the given dtype descr ('<f2', '<f4', '<f8', '>f4', '<i4', …). */
export function npyBytes(values: ArrayLike<number>, rows: number, cols: number, o: NpyOptions = {}): Uint8Array {
  const version = o.version ?? 1;
  const descr = o.descr ?? '<f4';
  const shape = o.shape ?? [rows, cols];
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = o.rawHeader ?? `{'descr': '${descr}', 'fortran_order': ${o.fortran === true ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  const prefix = version === 1 ? 10 : 12;
  const target = o.misalign ?? 0;
  while ((prefix + dict.length + 1) % 64 !== target) dict += ' ';
  dict += '\n';
  const enc = new TextEncoder().encode(dict);
  const size = Number(descr.slice(2));
  const little = descr[0] !== '>';
  const n = rows * cols;
  const data = new Uint8Array(n * size);
  const dv = new DataView(data.buffer);
  for (let p = 0; p < n; p++) {
    const v = values[p]!;
    const kind = descr[1];
    if (kind === 'f' && size === 2) dv.setUint16(p * 2, toHalfBits(v), little);
    else if (kind === 'f' && size === 4) dv.setFloat32(p * 4, v, little);
    else if (kind === 'f' && size === 8) dv.setFloat64(p * 8, v, little);
    else if (kind === 'i' && size === 4) dv.setInt32(p * 4, v, little);
    else if (kind === 'i' && size === 8) dv.setBigInt64(p * 8, BigInt(Math.round(v)), little);
    else throw new Error(`test writer: unsupported ${descr}`);
  }
  const out = new Uint8Array(prefix + enc.length + data.length + (o.extraBytes ?? 0));
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const hv = new DataView(out.buffer);
  if (version === 1) hv.setUint16(8, enc.length, true);
  else hv.setUint32(8, enc.length, true);
  out.set(enc, prefix);
  out.set(data, prefix + enc.length);
  return out.subarray(0, out.length - (o.truncate ?? 0));
}

export function tempDir(prefix = 'vi-mmrec-io-'): { dir: string; cleanup: () => void; files: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }), files: () => readdirSync(dir).sort() };
}

/** Runs `fn`, expecting it to reject; returns the error. */
export async function rejection(fn: () => Promise<unknown>): Promise<Error & { code?: string; source?: string; option?: string }> {
  try {
    await fn();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}
