/**
 * A minimal, dependency-free protobuf (proto3 wire format) writer: varints, length-delimited
 * bytes/strings, nested messages and packed repeated scalars. Only what the ONNX model
 * encoder needs.
 *
 * Large byte payloads (tensor `raw_data`) are kept by reference and copied once, by
 * {@link ProtoWriter.finish}, so encoding a model costs one copy of its initializers.
 */

const TEXT = new TextEncoder();

/** Protobuf wire types. */
const WIRE_VARINT = 0;
const WIRE_I32 = 5;
const WIRE_LEN = 2;

const SCRATCH_SIZE = 256;

/** Builds one protobuf message. Fields are written in call order. @internal */
export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private scratch = new Uint8Array(SCRATCH_SIZE);
  private used = 0;
  private total = 0;

  /** Encoded size in bytes so far. */
  get length(): number {
    return this.total + this.used;
  }

  /** Writes an unsigned 32-bit or a non-negative integer up to 2^53 as a varint (no tag). */
  private rawVarint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`protobuf: varint must be a non-negative safe integer, got ${value}.`);
    }
    this.reserve(10);
    let v = value;
    while (v >= 0x80) {
      this.scratch[this.used++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.scratch[this.used++] = v;
  }

  /** Writes a signed integer as a 64-bit two's-complement varint (no tag), like protobuf int64. */
  private rawInt64(value: number): void {
    if (!Number.isSafeInteger(value)) throw new RangeError(`protobuf: int64 must be a safe integer, got ${value}.`);
    if (value >= 0) {
      this.rawVarint(value);
      return;
    }
    this.reserve(10);
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.scratch[this.used++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.scratch[this.used++] = Number(v);
  }

  private tag(field: number, wire: number): void {
    if (!Number.isInteger(field) || field < 1 || field > 0x1fffffff) {
      throw new RangeError(`protobuf: field number must be in [1, 2^29), got ${field}.`);
    }
    this.rawVarint(field * 8 + wire);
  }

  private reserve(n: number): void {
    if (this.used + n <= this.scratch.length) return;
    this.flush();
    if (n > this.scratch.length) this.scratch = new Uint8Array(n);
  }

  private flush(): void {
    if (this.used === 0) return;
    this.chunks.push(this.scratch.slice(0, this.used));
    this.total += this.used;
    this.used = 0;
  }

  private append(bytes: Uint8Array): void {
    if (bytes.length <= SCRATCH_SIZE) {
      this.reserve(bytes.length);
      this.scratch.set(bytes, this.used);
      this.used += bytes.length;
      return;
    }
    this.flush();
    this.chunks.push(bytes);
    this.total += bytes.length;
  }

  /** `int64`/`int32`/enum field (negative values use ten bytes, as protobuf does). */
  int64(field: number, value: number): this {
    this.tag(field, WIRE_VARINT);
    this.rawInt64(value);
    return this;
  }

  /** `float` field (fixed 32-bit, little-endian). */
  float(field: number, value: number): this {
    this.tag(field, WIRE_I32);
    this.reserve(4);
    new DataView(this.scratch.buffer, this.scratch.byteOffset + this.used, 4).setFloat32(0, value, true);
    this.used += 4;
    return this;
  }

  /** `bytes` field; large arrays are referenced, not copied, until {@link finish}. */
  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LEN);
    this.rawVarint(value.length);
    this.append(value);
    return this;
  }

  /** `string` field (UTF-8). */
  string(field: number, value: string): this {
    return this.bytes(field, TEXT.encode(value));
  }

  /** Embedded message field. */
  message(field: number, sub: ProtoWriter): this {
    sub.flush();
    this.tag(field, WIRE_LEN);
    this.rawVarint(sub.total);
    this.flush();
    for (const c of sub.chunks) this.chunks.push(c);
    this.total += sub.total;
    return this;
  }

  /** Packed `repeated int64` field (omitted when empty, as proto3 does). */
  packedInt64(field: number, values: readonly number[]): this {
    if (values.length === 0) return this;
    const sub = new ProtoWriter();
    for (const v of values) sub.rawInt64(v);
    // A packed field has the wire layout of an embedded message holding the raw values.
    return this.message(field, sub);
  }

  /**
   * The encoded message. With `into` large enough, it is written there (and a view of it is
   * returned), so that a caller encoding many large messages can reuse one buffer.
   */
  finish(into?: Uint8Array): Uint8Array {
    this.flush();
    if (into === undefined && this.chunks.length === 1) return this.chunks[0]!;
    let out: Uint8Array;
    if (into === undefined) out = new Uint8Array(this.total);
    else if (into.length >= this.total) out = into.subarray(0, this.total);
    // Too small: a new buffer with some slack, so the caller's next message likely fits.
    else out = new Uint8Array(this.total + (this.total >> 4)).subarray(0, this.total);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
