/**
 * A tiny WebAssembly binary encoder: just what the GEMM kernel needs (one function type, an
 * imported shared memory, exported functions, i32 arithmetic, structured control flow and a
 * handful of 128-bit SIMD instructions). Every opcode is named after its text-format mnemonic
 * so the kernel generator reads like WAT; see the WebAssembly core specification, binary
 * format (§5) and the fixed-width SIMD proposal for the numbers.
 *
 * @internal
 */

/** Value types used by the kernel. */
export const ValType = { i32: 0x7f, v128: 0x7b } as const;
export type ValType = (typeof ValType)[keyof typeof ValType];

/** Unsigned LEB128. */
export function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 (32-bit). */
export function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function name(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...uleb(bytes.length), ...bytes];
}

function vector(items: readonly number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: readonly number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** Alignment hints (log2 of bytes) for the memory instructions below. */
const ALIGN_4 = 2;
const ALIGN_16 = 4;
const simd = (opcode: number): number[] => [0xfd, ...uleb(opcode)];

/**
 * Instructions, as byte sequences. `local.get` etc. take the local index; memory
 * instructions take a constant byte offset added to the address on the stack.
 */
export const op = {
  // Control.
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  if: [0x04, 0x40],
  else: [0x05],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  // Locals.
  localGet: (i: number) => [0x20, ...uleb(i)],
  localSet: (i: number) => [0x21, ...uleb(i)],
  // i32.
  i32Const: (n: number) => [0x41, ...sleb(n)],
  i32Eqz: [0x45],
  i32LtS: [0x48],
  i32GeS: [0x4e],
  i32Shl: [0x74],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32DivU: [0x6e],
  i32RemU: [0x70],
  i32Store: (offset: number) => [0x36, ALIGN_4, ...uleb(offset)],
  // 128-bit SIMD.
  v128Load: (offset: number) => [...simd(0x00), ALIGN_16, ...uleb(offset)],
  v128Load32Splat: (offset: number) => [...simd(0x09), ALIGN_4, ...uleb(offset)],
  v128Store: (offset: number) => [...simd(0x0b), ALIGN_16, ...uleb(offset)],
  v128ConstZero: [...simd(0x0c), ...new Array<number>(16).fill(0)],
  v128Or: simd(0x50),
  v128AnyTrue: simd(0x53),
  f32x4Ge: simd(0x46),
  f32x4Add: simd(0xe4),
  f32x4Mul: simd(0xe6),
} as const;

/** One function of a module: signature (all params i32, at most one i32 result), locals and body. */
export interface FunctionDef {
  readonly exportName: string;
  readonly params: number;
  /** 1 when the function returns an i32 (left on the stack by `body`). */
  readonly results?: 0 | 1;
  /** Extra locals, grouped as (count, type). */
  readonly locals: ReadonlyArray<readonly [number, ValType]>;
  /** Instructions, without the final `end`. */
  readonly body: readonly number[];
}

/**
 * Encodes a module that imports `env.memory` (shared, `pages` initial and maximum 64 KiB pages
 * up to `maxPages`) and exports `functions`, each of type `(i32 × params) → (i32 × results)`.
 */
export function encodeModule(functions: readonly FunctionDef[], memory: { minPages: number; maxPages: number }): Uint8Array {
  const types = functions.map((f) => [
    0x60,
    ...vector(new Array<number[]>(f.params).fill([ValType.i32])),
    ...vector(new Array<number[]>(f.results ?? 0).fill([ValType.i32])),
  ]);
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d, // magic "\0asm"
    0x01,
    0x00,
    0x00,
    0x00, // version 1
    ...section(1, vector(types)),
    // import "env" "memory" (memory shared min max): limits flag 0x03 = shared + has maximum.
    ...section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x03, ...uleb(memory.minPages), ...uleb(memory.maxPages)]])),
    ...section(3, vector(functions.map((_, i) => uleb(i)))), // function i has type i
    ...section(7, vector(functions.map((f, i) => [...name(f.exportName), 0x00, ...uleb(i)]))),
    ...section(
      10,
      vector(
        functions.map((f) => {
          const body = [...vector(f.locals.map(([count, type]) => [...uleb(count), type])), ...f.body, ...op.end];
          return [...uleb(body.length), ...body];
        }),
      ),
    ),
  ];
  return new Uint8Array(bytes);
}
