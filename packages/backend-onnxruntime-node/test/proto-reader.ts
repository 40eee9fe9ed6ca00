/** A tiny protobuf wire-format reader for the tests (independent of the writer under test). */
export type Field =
  | { field: number; wire: 0; value: bigint }
  | { field: number; wire: 1; bytes: Uint8Array }
  | { field: number; wire: 2; bytes: Uint8Array }
  | { field: number; wire: 5; bytes: Uint8Array };

export function readVarint(buf: Uint8Array, at: { pos: number }): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (at.pos >= buf.length) throw new Error('truncated varint');
    const b = buf[at.pos++]!;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return result;
    shift += 7n;
    if (shift > 63n) throw new Error('varint too long');
  }
}

export function readFields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  const at = { pos: 0 };
  while (at.pos < buf.length) {
    const key = Number(readVarint(buf, at));
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ field, wire, value: readVarint(buf, at) });
    else if (wire === 2) {
      const len = Number(readVarint(buf, at));
      if (at.pos + len > buf.length) throw new Error('truncated bytes');
      out.push({ field, wire, bytes: buf.subarray(at.pos, at.pos + len) });
      at.pos += len;
    } else if (wire === 5 || wire === 1) {
      const len = wire === 5 ? 4 : 8;
      out.push({ field, wire, bytes: buf.subarray(at.pos, at.pos + len) });
      at.pos += len;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

/** Signed int64 view of a varint. */
export const asInt64 = (v: bigint): number => Number(BigInt.asIntN(64, v));

export const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Fields with the given number. */
export function get(fields: Field[], n: number): Field[] {
  return fields.filter((f) => f.field === n);
}

export function one(fields: Field[], n: number): Field {
  const fs = get(fields, n);
  if (fs.length !== 1) throw new Error(`expected one field ${n}, got ${fs.length}`);
  return fs[0]!;
}

export function bytesOf(f: Field): Uint8Array {
  if (f.wire !== 2) throw new Error(`field ${f.field} is not length-delimited`);
  return f.bytes;
}

export function varintOf(f: Field): bigint {
  if (f.wire !== 0) throw new Error(`field ${f.field} is not a varint`);
  return f.value;
}

export function packedVarints(b: Uint8Array): number[] {
  const at = { pos: 0 };
  const out: number[] = [];
  while (at.pos < b.length) out.push(asInt64(readVarint(b, at)));
  return out;
}
