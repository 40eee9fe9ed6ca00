/**
 * The WebAssembly SIMD GEMM kernel, generated at run time from this readable source (no
 * toolchain, no committed binary).
 *
 * ## Packed layout
 * Feature rows are stored in *panels* of {@link KERNEL.panelWidth} items. Inside a panel,
 * column c of item `r` sits at float index `c * panelWidth + r`: the panel is the transposed
 * `dim × panelWidth` slice, so one 16-byte load gives 4 consecutive items' values of one
 * column. A panel of a `dim`-column part occupies `dim * panelWidth * 4` bytes
 * (`panelStride`); items past the end are zero.
 *
 * ## `gemm(a, b, c, kc, nq, np, ldc, ps, first)`
 * All arguments are i32 (addresses in bytes). Computes, for the `nq` groups of `MR` items
 * starting at panel address `a` and the `np` groups of `NR` items starting at `b`, the
 * `(nq·MR) × (np·NR)` block of dot products over `kc` columns and stores (`first` ≠ 0) or
 * adds (`first` = 0) it to the row-major float32 block at `c` (row stride `ldc` bytes).
 * `ps` is the panel stride. Column chunks are chained by calling with `a`, `b` advanced by
 * `k0 * panelWidth * 4` bytes and `first = 0`.
 *
 * The micro-kernel keeps an `MR × NR` tile of C in `MR · NR/4` f32x4 registers; per column it
 * loads `NR/4` vectors of `b`, splats `MR` scalars of `a` and does `MR · NR/4` multiply-adds
 * (`f32x4.mul` then `f32x4.add`: Node 20 ships relaxed-SIMD FMA only behind a flag). Each
 * element of C is therefore the float32 sum, in column order, of float32-rounded products:
 * exactly what {@link jsGemm} computes, and symmetric (`C[i][j] == C[j][i]` bit for bit).
 *
 * @internal
 */
import { type FunctionDef, ValType, encodeModule, op } from './wasm-encoder.js';

/** Shape of the micro-kernel and packing (tuned on x86-64 with SSE-class SIMD). */
export const KERNEL = {
  /** Items per packed panel (a multiple of MR and NR). */
  panelWidth: 24,
  /** Rows (items of `a`) per micro-tile. */
  mr: 4,
  /** Columns (items of `b`) per micro-tile, a multiple of 4. */
  nr: 12,
  /** Columns of the feature dimension per pass (`a` and `b` chunks stay in L2, C in L2). */
  kc: 256,
  /** Unrolling of the column loop. */
  unroll: 4,
} as const;

/** Shape parameters of {@link buildGemmModule}. */
export interface KernelShape {
  readonly panelWidth: number;
  readonly mr: number;
  readonly nr: number;
  readonly unroll: number;
}

/** Builds the GEMM function body; see the module comment for its contract. */
function gemmFunction({ panelWidth: W, mr: MR, nr: NR, unroll: U }: KernelShape): FunctionDef {
  if (NR % 4 !== 0 || W % MR !== 0 || W % NR !== 0) throw new RangeError(`bad kernel shape ${W}/${MR}x${NR}`);
  const NV = NR / 4; // f32x4 vectors per micro-tile row
  // Parameters.
  const [a, b, c, kc, nq, np, ldc, ps, first] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  // i32 locals.
  const [cp, q, pa, pb, n, crow, bcol, ccol, t] = [9, 10, 11, 12, 13, 14, 15, 16, 17];
  // v128 locals: NV loaded b vectors, one splatted a scalar, MR·NV accumulators.
  const vb = 18;
  const va = vb + NV;
  const acc = va + 1;
  const accOf = (r: number, v: number): number => acc + r * NV + v;
  const code: number[] = [];
  const emit = (...xs: ReadonlyArray<readonly number[]>): void => {
    for (const x of xs) code.push(...x);
  };
  const rowStep = W * 4; // bytes between consecutive columns inside a panel

  // One column step u of the micro-kernel: acc[r][v] += splat(a[u][r]) * b[u][v].
  const step = (u: number): void => {
    for (let v = 0; v < NV; v++) emit(op.localGet(pb), op.v128Load(u * rowStep + v * 16), op.localSet(vb + v));
    for (let r = 0; r < MR; r++) {
      emit(op.localGet(pa), op.v128Load32Splat(u * rowStep + r * 4), op.localSet(va));
      for (let v = 0; v < NV; v++) {
        emit(op.localGet(accOf(r, v)), op.localGet(va), op.localGet(vb + v), op.f32x4Mul, op.f32x4Add, op.localSet(accOf(r, v)));
      }
    }
  };
  // Walks the MR rows of the C micro-tile at `crow` (t = row address).
  const forEachCRow = (fn: (r: number) => void): void => {
    emit(op.localGet(crow), op.localSet(t));
    for (let r = 0; r < MR; r++) {
      fn(r);
      if (r < MR - 1) emit(op.localGet(t), op.localGet(ldc), op.i32Add, op.localSet(t));
    }
  };

  // for (cp = 0; cp < np; cp++)
  emit(op.i32Const(0), op.localSet(cp), op.block, op.loop);
  emit(op.localGet(cp), op.localGet(np), op.i32GeS, op.brIf(1));
  //   bcol = b + (cp / (W/NR)) * ps + (cp % (W/NR)) * NR * 4; ccol = c + cp * NR * 4
  emit(op.localGet(b), op.localGet(cp), op.i32Const(W / NR), op.i32DivU, op.localGet(ps), op.i32Mul, op.i32Add);
  emit(op.localGet(cp), op.i32Const(W / NR), op.i32RemU, op.i32Const(NR * 4), op.i32Mul, op.i32Add, op.localSet(bcol));
  emit(op.localGet(c), op.localGet(cp), op.i32Const(NR * 4), op.i32Mul, op.i32Add, op.localSet(ccol));
  //   for (q = 0; q < nq; q++)
  emit(op.i32Const(0), op.localSet(q), op.block, op.loop);
  emit(op.localGet(q), op.localGet(nq), op.i32GeS, op.brIf(1));
  //     pa = a + (q / (W/MR)) * ps + (q % (W/MR)) * MR * 4; crow = ccol + q * MR * ldc
  emit(op.localGet(a), op.localGet(q), op.i32Const(W / MR), op.i32DivU, op.localGet(ps), op.i32Mul, op.i32Add);
  emit(op.localGet(q), op.i32Const(W / MR), op.i32RemU, op.i32Const(MR * 4), op.i32Mul, op.i32Add, op.localSet(pa));
  emit(op.localGet(ccol), op.localGet(q), op.i32Const(MR), op.i32Mul, op.localGet(ldc), op.i32Mul, op.i32Add, op.localSet(crow));
  //     accumulators = first ? 0 : C tile
  emit(op.localGet(first), op.if);
  for (let r = 0; r < MR; r++) for (let v = 0; v < NV; v++) emit(op.v128ConstZero, op.localSet(accOf(r, v)));
  emit(op.else);
  forEachCRow((r) => {
    for (let v = 0; v < NV; v++) emit(op.localGet(t), op.v128Load(v * 16), op.localSet(accOf(r, v)));
  });
  emit(op.end);
  //     pb = bcol; n = kc; while (n >= U) { U steps; pa += U·rowStep; pb += U·rowStep; n -= U }
  emit(op.localGet(bcol), op.localSet(pb), op.localGet(kc), op.localSet(n));
  emit(op.block, op.loop);
  emit(op.localGet(n), op.i32Const(U), op.i32LtS, op.brIf(1));
  for (let u = 0; u < U; u++) step(u);
  emit(op.localGet(pa), op.i32Const(U * rowStep), op.i32Add, op.localSet(pa));
  emit(op.localGet(pb), op.i32Const(U * rowStep), op.i32Add, op.localSet(pb));
  emit(op.localGet(n), op.i32Const(U), op.i32Sub, op.localSet(n), op.br(0), op.end, op.end);
  //     while (n != 0) { 1 step; pa += rowStep; pb += rowStep; n-- }
  emit(op.block, op.loop);
  emit(op.localGet(n), op.i32Eqz, op.brIf(1));
  step(0);
  emit(op.localGet(pa), op.i32Const(rowStep), op.i32Add, op.localSet(pa));
  emit(op.localGet(pb), op.i32Const(rowStep), op.i32Add, op.localSet(pb));
  emit(op.localGet(n), op.i32Const(1), op.i32Sub, op.localSet(n), op.br(0), op.end, op.end);
  //     C tile = accumulators
  forEachCRow((r) => {
    for (let v = 0; v < NV; v++) emit(op.localGet(t), op.localGet(accOf(r, v)), op.v128Store(v * 16));
  });
  emit(op.localGet(q), op.i32Const(1), op.i32Add, op.localSet(q), op.br(0), op.end, op.end);
  emit(op.localGet(cp), op.i32Const(1), op.i32Add, op.localSet(cp), op.br(0), op.end, op.end);

  return {
    exportName: 'gemm',
    params: 9,
    locals: [
      [9, ValType.i32],
      [NV + 1 + MR * NV, ValType.v128],
    ],
    body: code,
  };
}

/**
 * `filter(s, ld, rows, cols, thrRow, thrCol, out) → count`: the threshold pre-check of the
 * running top-k. For each row i < rows of the float32 score tile at `s` (row stride `ld`
 * bytes) and each chunk of 8 columns j (cols a multiple of 8), records `(i, j)` as two i32 at
 * `out` when some score of the chunk is ≥ the row's threshold `thrRow[i]` or ≥ its column's
 * threshold `thrCol[j..j+8)` (float32 arrays). Returns the number of chunks recorded; only
 * those are examined exactly (in JavaScript), so the scan costs one SIMD compare per score.
 */
function filterFunction(): FunctionDef {
  const [s, ld, rows, cols, thrRow, thrCol, out] = [0, 1, 2, 3, 4, 5, 6];
  const [i, j, p, pc, n] = [7, 8, 9, 10, 11];
  const [tr, m] = [12, 13];
  const code: number[] = [];
  const emit = (...xs: ReadonlyArray<readonly number[]>): void => {
    for (const x of xs) code.push(...x);
  };
  // Mask of lanes of the 4 scores at p+off that reach the row or the column threshold.
  const hits = (off: number): void => {
    emit(op.localGet(p), op.v128Load(off), op.localGet(tr), op.f32x4Ge);
    emit(op.localGet(p), op.v128Load(off), op.localGet(pc), op.v128Load(off), op.f32x4Ge, op.v128Or);
  };
  emit(op.i32Const(0), op.localSet(n), op.i32Const(0), op.localSet(i));
  // for (i = 0; i < rows; i++)
  emit(op.block, op.loop, op.localGet(i), op.localGet(rows), op.i32GeS, op.brIf(1));
  emit(op.localGet(thrRow), op.localGet(i), op.i32Const(2), op.i32Shl, op.i32Add, op.v128Load32Splat(0), op.localSet(tr));
  emit(op.localGet(s), op.localGet(i), op.localGet(ld), op.i32Mul, op.i32Add, op.localSet(p));
  emit(op.localGet(thrCol), op.localSet(pc), op.i32Const(0), op.localSet(j));
  //   for (j = 0; j < cols; j += 8)
  emit(op.block, op.loop, op.localGet(j), op.localGet(cols), op.i32GeS, op.brIf(1));
  hits(0);
  hits(16);
  emit(op.v128Or, op.localSet(m));
  //     if (any lane) { out[2n] = i; out[2n+1] = j; n++ }
  emit(op.localGet(m), op.v128AnyTrue, op.if);
  emit(op.localGet(out), op.localGet(n), op.i32Const(3), op.i32Shl, op.i32Add, op.localGet(i), op.i32Store(0));
  emit(op.localGet(out), op.localGet(n), op.i32Const(3), op.i32Shl, op.i32Add, op.localGet(j), op.i32Store(4));
  emit(op.localGet(n), op.i32Const(1), op.i32Add, op.localSet(n));
  emit(op.end);
  emit(op.localGet(p), op.i32Const(32), op.i32Add, op.localSet(p));
  emit(op.localGet(pc), op.i32Const(32), op.i32Add, op.localSet(pc));
  emit(op.localGet(j), op.i32Const(8), op.i32Add, op.localSet(j), op.br(0), op.end, op.end);
  emit(op.localGet(i), op.i32Const(1), op.i32Add, op.localSet(i), op.br(0), op.end, op.end);
  emit(op.localGet(n));
  return {
    exportName: 'filter',
    params: 7,
    results: 1,
    locals: [
      [5, ValType.i32],
      [2, ValType.v128],
    ],
    body: code,
  };
}

/** The kernel module's bytes: `gemm` and `filter` (imports a shared `env.memory` of up to 4 GiB). */
export function buildGemmModule(shape: KernelShape = KERNEL): Uint8Array {
  return encodeModule([gemmFunction(shape), filterFunction()], { minPages: 1, maxPages: 65536 });
}

/** The filter's signature (byte addresses; see {@link filterFunction}). */
export type FilterFn = (s: number, ld: number, rows: number, cols: number, thrRow: number, thrCol: number, out: number) => number;

/** Scalar JavaScript twin of the wasm filter (same output, chunk for chunk). */
export function jsFilter(f32: Float32Array): FilterFn {
  const i32 = new Int32Array(f32.buffer, f32.byteOffset, f32.length);
  return (s, ld, rows, cols, thrRow, thrCol, out) => {
    let n = 0;
    for (let i = 0; i < rows; i++) {
      const tr = f32[(thrRow >>> 2) + i]!;
      const p = (s >>> 2) + i * (ld >>> 2);
      for (let j = 0; j < cols; j += 8) {
        let hit = false;
        for (let x = j; x < j + 8; x++) {
          const v = f32[p + x]!;
          if (v >= tr || v >= f32[(thrCol >>> 2) + x]!) hit = true;
        }
        if (hit) {
          i32[(out >>> 2) + 2 * n] = i;
          i32[(out >>> 2) + 2 * n + 1] = j;
          n++;
        }
      }
    }
    return n;
  };
}

/** The kernel's signature (byte addresses; see the module comment). */
export type GemmFn = (a: number, b: number, c: number, kc: number, nq: number, np: number, ldc: number, ps: number, first: number) => void;

/**
 * Scalar JavaScript twin of the wasm kernel over the same packed layout, for platforms
 * without WebAssembly SIMD. `Math.fround` after every multiply and add reproduces float32
 * arithmetic exactly (double rounding is innocuous for + and × of float32 operands), so its
 * results are bit-identical to the SIMD kernel's.
 */
export function jsGemm(f32: Float32Array, shape: KernelShape = KERNEL): GemmFn {
  const { panelWidth: W, mr: MR, nr: NR } = shape;
  const fround = Math.fround;
  return (a, b, c, kc, nq, np, ldc, ps, first) => {
    const ldcF = ldc >>> 2;
    const psF = ps >>> 2;
    for (let cp = 0; cp < np; cp++) {
      const bcol = (b >>> 2) + Math.floor(cp / (W / NR)) * psF + (cp % (W / NR)) * NR;
      for (let q = 0; q < nq; q++) {
        const arow = (a >>> 2) + Math.floor(q / (W / MR)) * psF + (q % (W / MR)) * MR;
        const crow = (c >>> 2) + q * MR * ldcF + cp * NR;
        for (let r = 0; r < MR; r++) {
          for (let v = 0; v < NR; v++) {
            const ci = crow + r * ldcF + v;
            let s = first !== 0 ? 0 : f32[ci]!;
            for (let k = 0; k < kc; k++) s = fround(s + fround(f32[arow + k * W + r]! * f32[bcol + k * W + v]!));
            f32[ci] = s;
          }
        }
      }
    }
  };
}
