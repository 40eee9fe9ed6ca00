import { BackendInitError } from '@vi-mmrec/core';

/**
 * The part of a TensorFlow.js tensor this package uses. Any `tf.Tensor` satisfies it; the
 * type is structural so that this package's declarations do not depend on a tfjs install.
 */
export interface TfTensor {
  /** Dimensions of the tensor. */
  readonly shape: number[];
  /** Downloads the values (asynchronously, so the event loop keeps running). */
  data(): Promise<Float32Array | Int32Array | Uint8Array>;
  /** Frees the tensor's memory. */
  dispose(): void;
}

/**
 * The part of the TensorFlow.js API this package uses: `@tensorflow/tfjs`,
 * `@tensorflow/tfjs-core` with a backend, `@tensorflow/tfjs-node` and
 * `@tensorflow/tfjs-node-gpu` all satisfy it. Methods are declared as methods (not function
 * properties) on purpose: the real, generic tfjs signatures are assignable to them.
 */
export interface TfModule {
  /** Creates a 2-D tensor. */
  tensor2d(values: Float32Array, shape: [number, number], dtype?: 'float32'): TfTensor;
  /** Transposes a 2-D tensor. */
  transpose(x: TfTensor): TfTensor;
  /** Slices `size` elements starting at `begin`. */
  slice(x: TfTensor, begin: number[], size: number[]): TfTensor;
  /** Gathers rows `indices` of `x`. */
  gather(x: TfTensor, indices: number[]): TfTensor;
  /** Matrix product. */
  matMul(a: TfTensor, b: TfTensor, transposeA?: boolean, transposeB?: boolean): TfTensor;
  /** Element-wise sum, with broadcasting. */
  add(a: TfTensor, b: TfTensor): TfTensor;
  /** The `k` largest entries of each row (values descending) and their column indices. */
  topk(x: TfTensor, k?: number, sorted?: boolean): { values: TfTensor; indices: TfTensor };
  /** Runs `fn` and frees every tensor it allocated except the ones it returns. */
  tidy<T extends TfTensor[][]>(fn: () => T): T;
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
  cached ??= importTfjsNodeGpu(defaultImporter);
  return cached;
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
    /cannot find (package|module)|failed to (load|resolve)/i.test(text);
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
