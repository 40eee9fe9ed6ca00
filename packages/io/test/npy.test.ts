import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isViMmrecError } from '@vi-mmrec/core';
import { readNpy } from '../src/index.js';
import { npyBytes, rejection, tempDir, toHalfBits } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let counter = 0;
function file(bytes: Uint8Array, name = `a${counter++}.npy`): string {
  const path = join(tmp.dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** Independent float16 decoding by the IEEE definition. */
function halfValue(bits: number): number {
  const s = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 31;
  const f = bits & 1023;
  if (e === 0) return s * (f / 1024) * 2 ** -14;
  if (e === 31) return f === 0 ? s * Infinity : NaN;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

describe('readNpy', () => {
  it('reads float32, float64 and float16 with v1 headers', async () => {
    const values = [0, 1.5, -2.25, 3.0e-3, 65504, 1e-7];
    const f32 = await readNpy(file(npyBytes(values, 2, 3, { descr: '<f4' })));
    expect(f32.dtype).toBe('float32');
    expect(f32.shape).toEqual([2, 3]);
    expect(f32.data).toBeInstanceOf(Float32Array);
    expect([...f32.data]).toEqual(values.map((v) => Math.fround(v)));
    const f64 = await readNpy(file(npyBytes(values, 3, 2, { descr: '<f8' })));
    expect(f64.dtype).toBe('float64');
    expect(f64.shape).toEqual([3, 2]);
    expect(f64.data).toBeInstanceOf(Float32Array);
    expect([...f64.data]).toEqual(values.map((v) => Math.fround(v)));
    const f16 = await readNpy(file(npyBytes(values, 2, 3, { descr: '<f2' })));
    expect(f16.dtype).toBe('float16');
    expect(f16.data).toBeInstanceOf(Float32Array);
    expect([...f16.data]).toEqual(values.map((v) => halfValue(toHalfBits(v))));
    expect(f16.data[1]).toBe(1.5);
    expect(f16.data[4]).toBe(65504);
  });

  it('decodes every float16 bit pattern exactly (subnormals, ±0, ±Inf, NaN)', async () => {
    const bits = new Uint16Array(65536).map((_, i) => i);
    // Build the file by hand so every pattern (including NaN payloads) is present.
    const base = npyBytes([], 0, 0, { descr: '<f2', shape: [65536, 1] });
    const bytes = new Uint8Array(base.length + 2 * 65536);
    bytes.set(base);
    bytes.set(new Uint8Array(bits.buffer), base.length);
    const { data } = await readNpy(file(bytes));
    for (let h = 0; h < 65536; h++) {
      const want = halfValue(h);
      if (Number.isNaN(want)) expect(Number.isNaN(data[h])).toBe(true);
      else expect(Object.is(data[h], want)).toBe(true);
    }
  }, 60_000); // 65,536 assertions: slow on a loaded machine

  it('reads v2 and v3 headers and unaligned data offsets', async () => {
    const values = [1, 2, 3, 4, 5, 6];
    for (const version of [2, 3] as const) {
      const a = await readNpy(file(npyBytes(values, 3, 2, { version, descr: '<f8' })));
      expect([...a.data]).toEqual(values);
      expect(a.shape).toEqual([3, 2]);
    }
    for (const misalign of [1, 2, 3, 6]) {
      for (const descr of ['<f2', '<f4', '<f8']) {
        const a = await readNpy(file(npyBytes(values, 2, 3, { descr, misalign })));
        expect([...a.data]).toEqual(values);
      }
    }
  });

  it('returns a float32 array holding exactly the data, not the file', async () => {
    for (const descr of ['<f2', '<f4', '<f8']) {
      const a = await readNpy(file(npyBytes([1, 2, 3, 4], 2, 2, { descr, misalign: 3 })));
      expect(a.data).toBeInstanceOf(Float32Array);
      expect(a.data.byteOffset).toBe(0);
      expect(a.data.buffer.byteLength).toBe(16);
      expect([...a.data]).toEqual([1, 2, 3, 4]);
    }
  });

  it('round-trips random float32/float64 matrices (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom('<f4', '<f8'),
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e30, max: 1e30 }), { minLength: 30, maxLength: 30 }),
        async (rows, cols, descr, pool) => {
          const values = pool.slice(0, rows * cols);
          const a = await readNpy(file(npyBytes(values, rows, cols, { descr })));
          expect(a.shape).toEqual([rows, cols]);
          // float64 is rounded to nearest float32, as Math.fround does (the independent reference).
          expect([...a.data]).toEqual(values.map((v) => Math.fround(v)));
        },
      ),
      { numRuns: 40 },
    );
  });

  const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!hasNumpy)(
    'agrees with numpy on files numpy writes (skipped without python3 + numpy)',
    async () => {
      const script = `
import numpy as np, sys
d = sys.argv[1]
x = (np.arange(24, dtype=np.float64).reshape(4, 6) - 7.5) / 3.0
np.save(d + '/np16.npy', x.astype('<f2')); np.save(d + '/np32.npy', x.astype('<f4')); np.save(d + '/np64.npy', x)
x.astype('<f2').astype('<f4').tofile(d + '/np16.raw')
`;
      const r = spawnSync('python3', ['-c', script, tmp.dir], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const { readFileSync } = await import('node:fs');
      const raw = readFileSync(join(tmp.dir, 'np16.raw'));
      const want16 = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
      const a16 = await readNpy(join(tmp.dir, 'np16.npy'));
      expect([...a16.data]).toEqual([...want16]);
      const a32 = await readNpy(join(tmp.dir, 'np32.npy'));
      const a64 = await readNpy(join(tmp.dir, 'np64.npy'));
      const exact = Array.from({ length: 24 }, (_, i) => (i - 7.5) / 3);
      expect(a64.shape).toEqual([4, 6]);
      expect([...a64.data]).toEqual(exact.map((v) => Math.fround(v)));
      expect([...a32.data]).toEqual(exact.map((v) => Math.fround(v)));
    },
    60_000,
  ); // python3 + numpy in a subprocess: slow on a loaded machine

  describe('rejects unsupported or broken files with a message naming the file', () => {
    const cases: Array<[string, () => Uint8Array, RegExp]> = [
      ['bad magic', () => new TextEncoder().encode('PK\u0003\u0004 not numpy at all'), /bad magic/],
      ['a file shorter than the magic', () => new Uint8Array([0x93, 0x4e]), /bad magic/],
      [
        'version 4',
        () => {
          const b = npyBytes([1], 1, 1);
          b[6] = 4;
          return b;
        },
        /version 4/,
      ],
      ['big-endian float32', () => npyBytes([1, 2], 1, 2, { descr: '>f4' }), /big-endian/],
      ['Fortran order', () => npyBytes([1, 2], 1, 2, { fortran: true }), /Fortran/],
      ['int32 dtype', () => npyBytes([1, 2], 1, 2, { descr: '<i4' }), /dtype '<i4' is not supported/],
      ['int64 dtype', () => npyBytes([1, 2], 1, 2, { descr: '<i8' }), /dtype '<i8' is not supported/],
      ['1-D shape', () => npyBytes([1, 2], 1, 2, { shape: [2] }), /1-D; features must be 2-D/],
      ['3-D shape', () => npyBytes([1, 2], 1, 2, { shape: [1, 1, 2] }), /3-D/],
      ['scalar shape', () => npyBytes([1], 1, 1, { shape: [] }), /0-D/],
      [
        'structured dtype',
        () => npyBytes([], 0, 0, { rawHeader: "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }" }),
        /structured/,
      ],
      [
        'truncated data',
        () => npyBytes([1, 2, 3, 4, 5, 6], 3, 2, { truncate: 5 }),
        /truncated: shape \(3, 2\) of float32 needs 24 data bytes but the file has 19/,
      ],
      ['truncated header', () => npyBytes([1, 2], 1, 2).subarray(0, 40), /truncated/],
      ['trailing bytes', () => npyBytes([1, 2], 1, 2, { extraBytes: 3 }), /3 bytes more/],
    ];
    it.each(cases)('%s', async (_label, make, pattern) => {
      const path = file(make(), `bad-${counter++}.npy`);
      const e = await rejection(async () => readNpy(path));
      expect(isViMmrecError(e, 'INVALID_DATA')).toBe(true);
      expect(e.message).toContain(`bad-${counter - 1}.npy`);
      expect(e.message).toMatch(pattern);
    });

    it('a missing file', async () => {
      const e = await rejection(async () => readNpy(join(tmp.dir, 'nope.npy')));
      expect(isViMmrecError(e, 'INVALID_DATA')).toBe(true);
      expect(e.message).toMatch(/nope\.npy.*no such file/);
    });
  });
});
