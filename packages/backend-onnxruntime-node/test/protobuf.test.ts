import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtoWriter } from '../src/protobuf.js';
import { asInt64, bytesOf, one, readFields, text, varintOf } from './proto-reader.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('ProtoWriter', () => {
  it('writes the canonical examples of the protobuf encoding guide', () => {
    // message Test1 { int32 a = 1; } with a = 150
    expect(hex(new ProtoWriter().int64(1, 150).finish())).toBe('089601');
    // message Test2 { string b = 2; } with b = "testing"
    expect(hex(new ProtoWriter().string(2, 'testing').finish())).toBe('120774657374696e67');
    // message Test3 { Test1 c = 3; }
    expect(hex(new ProtoWriter().message(3, new ProtoWriter().int64(1, 150)).finish())).toBe('1a03089601');
    // packed repeated int32 d = 4: [3, 270, 86942]
    expect(hex(new ProtoWriter().packedInt64(4, [3, 270, 86942]).finish())).toBe('2206038e029ea705');
  });

  it('encodes negative int64 as ten-byte two’s complement and floats as fixed32', () => {
    expect(hex(new ProtoWriter().int64(1, -1).finish())).toBe('08ffffffffffffffffff01');
    expect(hex(new ProtoWriter().float(2, 1).finish())).toBe('150000803f');
    expect(hex(new ProtoWriter().float(2, -Infinity).finish())).toBe('15000080ff');
  });

  it('uses multi-byte tags for large field numbers', () => {
    const f = readFields(new ProtoWriter().int64(20, 7).int64(1000, 1).finish());
    expect(f.map((x) => x.field)).toEqual([20, 1000]);
  });

  it('round-trips arbitrary messages through an independent reader', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({
              kind: fc.constant('int' as const),
              field: fc.integer({ min: 1, max: 5000 }),
              v: fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
            }),
            fc.record({ kind: fc.constant('str' as const), field: fc.integer({ min: 1, max: 5000 }), v: fc.string({ maxLength: 40 }) }),
            fc.record({
              kind: fc.constant('bytes' as const),
              field: fc.integer({ min: 1, max: 5000 }),
              v: fc.uint8Array({ maxLength: 700 }),
            }),
            fc.record({ kind: fc.constant('float' as const), field: fc.integer({ min: 1, max: 5000 }), v: fc.float({ noNaN: true }) }),
          ),
          { maxLength: 20 },
        ),
        (items) => {
          const w = new ProtoWriter();
          for (const it of items) {
            if (it.kind === 'int') w.int64(it.field, it.v);
            else if (it.kind === 'str') w.string(it.field, it.v);
            else if (it.kind === 'bytes') w.bytes(it.field, it.v);
            else w.float(it.field, it.v);
          }
          // Wrapped in a message, to exercise nesting of referenced chunks too.
          const outer = new ProtoWriter().int64(1, 1).message(2, w).finish();
          const top = readFields(outer);
          expect(varintOf(one(top, 1))).toBe(1n);
          const fields = readFields(bytesOf(one(top, 2)));
          expect(fields).toHaveLength(items.length);
          items.forEach((it, n) => {
            const f = fields[n]!;
            expect(f.field).toBe(it.field);
            if (it.kind === 'int') expect(asInt64(varintOf(f))).toBe(it.v);
            else if (it.kind === 'str') expect(text(bytesOf(f))).toBe(it.v);
            else if (it.kind === 'bytes') expect(Array.from(bytesOf(f))).toEqual(Array.from(it.v));
            else {
              expect(f.wire).toBe(5);
              const b = (f as { bytes: Uint8Array }).bytes;
              expect(new DataView(b.buffer, b.byteOffset, 4).getFloat32(0, true)).toBe(Math.fround(it.v));
            }
          });
          expect(w.length).toBe(bytesOf(one(top, 2)).length);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('copies a large payload once, at finish', () => {
    const big = new Uint8Array(100_000).map((_, i) => i % 251);
    const w = new ProtoWriter().bytes(9, big);
    big[0] = 42; // still referenced before finish
    const out = w.finish();
    const f = readFields(out);
    expect(bytesOf(one(f, 9))[0]).toBe(42);
    big[1] = 43; // copied by finish
    expect(bytesOf(one(readFields(out), 9))[1]).toBe(1);
  });

  it('writes into a caller buffer when it fits, else into a new one', () => {
    const msg = (): ProtoWriter => new ProtoWriter().bytes(9, new Uint8Array(1000).fill(7)).int64(1, 5);
    const expected = hex(msg().finish());
    const scratch = new Uint8Array(2000);
    const a = msg().finish(scratch);
    expect(a.buffer).toBe(scratch.buffer);
    expect(hex(a)).toBe(expected);
    const small = new Uint8Array(10);
    const b = msg().finish(small);
    expect(b.buffer).not.toBe(small.buffer);
    expect(hex(b)).toBe(expected);
  });

  it('rejects invalid field numbers and unsafe integers', () => {
    expect(() => new ProtoWriter().int64(0, 1)).toThrow(RangeError);
    expect(() => new ProtoWriter().int64(2 ** 29, 1)).toThrow(RangeError);
    expect(() => new ProtoWriter().int64(1, 2 ** 60)).toThrow(RangeError);
    expect(() => new ProtoWriter().int64(1, 1.5)).toThrow(RangeError);
  });
});
