/**
 * The few WebAssembly JS-API members this package uses, typed locally: the repository's
 * TypeScript libs (ES2023 + @types/node 20) do not declare the `WebAssembly` global, and a
 * global declaration shipped in our `.d.ts` could clash with a consumer's `lib.dom`.
 *
 * @internal
 */

/** A compiled module (opaque; can be posted to workers). */
export interface WasmModule {
  readonly [Symbol.toStringTag]: string;
}

/** A linear memory; shared memories have a `SharedArrayBuffer`. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}

/** An instantiated module. */
export interface WasmInstance {
  readonly exports: Readonly<Record<string, unknown>>;
}

/** The `WebAssembly` namespace object, reduced to what we call. */
export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  compile(bytes: Uint8Array): Promise<WasmModule>;
  readonly Module: new (bytes: Uint8Array) => WasmModule;
  readonly Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  readonly Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance;
}

/** The runtime's `WebAssembly` object, or undefined when there is none. */
export function wasmApi(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}
