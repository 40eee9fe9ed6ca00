import { BackendInitError } from '@vi-mmrec/core';

/** Any function: tfjs ops are generic and overloaded, so the public type only checks names. */
export type TfFunction = (...args: never[]) => unknown;

/**
 * A TensorFlow.js module, as injected through `tfjsNodeGpuBackend({ tf })`:
 * `@tensorflow/tfjs`, `@tensorflow/tfjs-core` with a backend, `@tensorflow/tfjs-node` and
 * `@tensorflow/tfjs-node-gpu` all satisfy it. Only the members this package calls are listed.
 */
export interface TfModule {
  /** `tf.tensor2d`: uploads normalised item chunks, transposed row blocks and column masks. */
  readonly tensor2d: TfFunction;
  /** `tf.concat`: joins the item chunks' products of a row block. */
  readonly concat: TfFunction;
  /** `tf.transpose`: turns a block's `items × rows` products into `rows × items` scores. */
  readonly transpose: TfFunction;
  /** `tf.matMul`: one product per part, row block and chunk of items. */
  readonly matMul: TfFunction;
  /** `tf.add`: sums the parts of a fused output and applies the column mask. */
  readonly add: TfFunction;
  /** `tf.topk`: the best k + 3 candidates of each row, on the device. */
  readonly topk: TfFunction;
  /** `tf.tidy`: frees every intermediate tensor of a block. */
  readonly tidy: TfFunction;
  /** Memory statistics (`numTensors` counts live tensors). */
  memory(): { numTensors: number };
  /** Resolves once the active tfjs backend is initialised. */
  ready(): Promise<void>;
  /** Name of the active tfjs backend, e.g. `'wasm'` or `'tensorflow'`. */
  getBackend(): string;
  /** Activates a registered tfjs backend; resolves false when it fails to initialise. */
  setBackend(backendName: string): Promise<boolean>;
  /** The active tfjs kernel backend. */
  backend(): { floatPrecision(): number };
  /** The kernel backend registered under `name`, initialising it if needed. */
  findBackend?(name: string): unknown;
}

/** The part of a tfjs tensor this package uses. @internal */
export interface TfTensor {
  readonly shape: number[];
  data(): Promise<Float32Array | Int32Array | Uint8Array | string[]>;
  dispose(): void;
}

/** The tfjs API this package calls, with the signatures it relies on. @internal */
export interface TfApi extends Omit<TfModule, 'tensor2d' | 'concat' | 'transpose' | 'matMul' | 'add' | 'topk' | 'tidy'> {
  tensor2d(values: Float32Array, shape: [number, number], dtype?: 'float32'): TfTensor;
  concat(xs: TfTensor[], axis: number): TfTensor;
  transpose(x: TfTensor): TfTensor;
  matMul(a: TfTensor, b: TfTensor, transposeA?: boolean, transposeB?: boolean): TfTensor;
  add(a: TfTensor, b: TfTensor): TfTensor;
  topk(x: TfTensor, k?: number, sorted?: boolean): { values: TfTensor; indices: TfTensor };
  tidy<T extends TfTensor[][]>(fn: () => T): T;
}

/** Views a module checked as {@link TfModule} through the signatures tfjs documents. @internal */
export const asTfApi = (tf: TfModule): TfApi => tf as unknown as TfApi;

/** The optional peer dependency this package loads when no `tf` module is injected. */
export const TFJS_NODE_GPU = '@tensorflow/tfjs-node-gpu';

/** Name of the kernel backend tfjs-node(-gpu) registers. */
export const TENSORFLOW_KERNEL_BACKEND = 'tensorflow';

const REQUIREMENTS = 'Linux x86_64, NVIDIA driver ≥ 450.80, CUDA 11.x (≥ 11.2) and cuDNN 8.x (≥ 8.1)';
const ALTERNATIVES = 'or use `--backend onnxruntime-node` or `--backend cpu` instead';

/** Imports a module by specifier; replaceable in tests. @internal */
export type Importer = (specifier: string) => Promise<unknown>;

const defaultImporter: Importer = async (specifier) => import(specifier);

let cached: Promise<TfModule> | undefined;

/**
 * Loads `@tensorflow/tfjs-node-gpu` once per process. Rejects with `BackendInitError`: one
 * message when the package is not installed (how to install it, and what to use instead),
 * another when it is installed but its native part fails to load.
 * @internal
 */
export async function loadTfjsNodeGpu(importer?: Importer): Promise<TfModule> {
  if (importer !== undefined) return importTfjsNodeGpu(importer);
  keepFullFloat32();
  cached ??= importTfjsNodeGpu(defaultImporter);
  return cached;
}

/**
 * TensorFlow ≥ 2.4 runs float32 matMul in TensorFloat-32 (10-bit mantissa) on Ampere and
 * newer GPUs, which is too coarse to rank neighbours. NVIDIA libraries turn it off when
 * `NVIDIA_TF32_OVERRIDE=0`; we set that before CUDA loads unless the user chose a value.
 */
function keepFullFloat32(): void {
  process.env[TF32_ENV] ??= '0';
}

/** NVIDIA's switch for TensorFloat-32 in cuBLAS/cuDNN (`0` disables it). */
export const TF32_ENV = 'NVIDIA_TF32_OVERRIDE';

/** True when products on an NVIDIA GPU may use TensorFloat-32 (only 10 mantissa bits). */
export function tf32MayBeUsed(): boolean {
  return process.env[TF32_ENV] !== '0';
}

async function importTfjsNodeGpu(importer: Importer): Promise<TfModule> {
  let mod: unknown;
  try {
    mod = await importer(TFJS_NODE_GPU);
  } catch (error) {
    throw loadError(error);
  }
  const tf = asTfModule(mod);
  if (tf === undefined) {
    throw new BackendInitError(
      'tfjs-node-gpu',
      `${TFJS_NODE_GPU} loaded but does not look like TensorFlow.js (no matMul/topk); reinstall it with \`npm i ${TFJS_NODE_GPU}\`, ${ALTERNATIVES}.`,
    );
  }
  return tf;
}

/** Accepts an ES namespace or a CommonJS `module.exports` behind `default`. */
function asTfModule(mod: unknown): TfModule | undefined {
  const looksLikeTf = (m: unknown): m is TfModule =>
    typeof m === 'object' &&
    m !== null &&
    typeof (m as { matMul?: unknown }).matMul === 'function' &&
    typeof (m as { topk?: unknown }).topk === 'function';
  if (looksLikeTf(mod)) return mod;
  const def = (mod as { default?: unknown } | null)?.default;
  return looksLikeTf(def) ? def : undefined;
}

/** True when `error` says that the tfjs-node-gpu package itself cannot be found. */
export function isMissingPackage(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : '';
  const notFound =
    code === 'ERR_MODULE_NOT_FOUND' ||
    code === 'MODULE_NOT_FOUND' ||
    /cannot find (package|module)|(could not|failed to) (load|resolve)/i.test(text);
  // The package itself, named as a bare specifier: not a file inside it (a missing native
  // addon such as `…/tfjs-node-gpu/lib/napi-v8/tfjs_binding.node` is a load failure).
  const bare = new RegExp(`(^|[\\s'"\`])${TFJS_NODE_GPU.replace('/', '\\/')}($|[\\s'"\`])`);
  return notFound && bare.test(text);
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (text.split('\n').find((l) => l.trim() !== '') ?? '').trim();
}

function loadError(error: unknown): BackendInitError {
  if (isMissingPackage(error)) {
    return new BackendInitError(
      'tfjs-node-gpu',
      `Backend 'tfjs-node-gpu' needs ${TFJS_NODE_GPU}, which is not installed: run \`npm i ${TFJS_NODE_GPU}\` (${REQUIREMENTS}), ${ALTERNATIVES}.`,
      { cause: error },
    );
  }
  return new BackendInitError(
    'tfjs-node-gpu',
    `${TFJS_NODE_GPU} is installed but failed to load (${firstLine(error)}); it needs ${REQUIREMENTS} and its install script must have downloaded libtensorflow (see docs/guide/troubleshooting-gpu.md), ${ALTERNATIVES}.`,
    { cause: error },
  );
}

/** Where the active tfjs backend computes: webgl/webgpu and tfjs-node on a GPU are 'gpu'. */
export function deviceOf(tf: TfModule): 'cpu' | 'gpu' {
  const name = tf.getBackend();
  if (name === 'webgl' || name === 'webgpu') return 'gpu';
  if (name === TENSORFLOW_KERNEL_BACKEND) return usesGpu(tf.backend()) ? 'gpu' : 'cpu';
  return 'cpu';
}

/** tfjs-node's kernel backend reports `isUsingGpuDevice` when TensorFlow found a GPU. */
function usesGpu(kernelBackend: unknown): boolean {
  return (kernelBackend as { isUsingGpuDevice?: unknown } | null)?.isUsingGpuDevice === true;
}

/**
 * True when tfjs-node-gpu loads and TensorFlow sees a GPU device. Never rejects.
 * @internal
 */
export async function tfjsNodeGpuHasGpu(importer?: Importer): Promise<boolean> {
  try {
    const tf = await loadTfjsNodeGpu(importer);
    return usesGpu(tf.findBackend?.(TENSORFLOW_KERNEL_BACKEND));
  } catch {
    return false;
  }
}
