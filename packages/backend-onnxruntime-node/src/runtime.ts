/**
 * Loading onnxruntime-node and choosing execution providers.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as OrtModule from 'onnxruntime-node';
import { buildChunkModel } from './similarity-graph.js';

/** The onnxruntime-node module. @internal */
export type Ort = typeof OrtModule;

/** A session options object accepted by `InferenceSession.create`. @internal */
export type OrtSessionOptions = OrtModule.InferenceSession.SessionOptions;

/**
 * An execution provider: a name such as `'cuda'` or `'cpu'`, or an onnxruntime provider
 * configuration object such as `{ name: 'cuda', deviceId: 1 }`.
 */
export type ExecutionProvider = string | { readonly name: string; readonly [option: string]: unknown };

/** Imports onnxruntime-node (which loads its native binding). @internal */
export async function importOnnxruntime(): Promise<Ort> {
  const mod = (await import('onnxruntime-node')) as Ort & { default?: Ort };
  return mod.default ?? mod;
}

/** Name of an execution provider entry. @internal */
export function providerName(p: ExecutionProvider): string {
  return typeof p === 'string' ? p : p.name;
}

/** Device class of an execution provider. @internal */
export function providerDevice(p: ExecutionProvider): 'cpu' | 'gpu' {
  const name = providerName(p).toLowerCase();
  return name === 'cpu' || name === 'xnnpack' ? 'cpu' : 'gpu';
}

/**
 * Why the CUDA execution provider cannot be used here, or `undefined` when it may be: the
 * provider library is only present when onnxruntime-node's install step downloaded it.
 * @internal
 */
export function cudaUnavailableReason(ort: Ort): string | undefined {
  if (!(process.platform === 'linux' || process.platform === 'win32') || process.arch !== 'x64') {
    return `onnxruntime-node ships the CUDA execution provider for linux/x64 and win32/x64 only (this is ${process.platform}/${process.arch})`;
  }
  let listed = false;
  try {
    listed = ort.listSupportedBackends().some((b) => b.name === 'cuda');
  } catch {
    listed = false;
  }
  if (!listed) return 'this onnxruntime-node build does not list the CUDA execution provider';
  let binDir: string;
  try {
    const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
    binDir = join(dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch);
  } catch (error) {
    return `onnxruntime-node could not be located (${error instanceof Error ? error.message : String(error)})`;
  }
  const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  if (!existsSync(join(binDir, lib))) {
    return `${lib} is not installed (onnxruntime-node's install step that downloads it was skipped or failed; reinstall with network access and without onnxruntime-node-install=skip to get it)`;
  }
  return undefined;
}

/** A provider list and the provider that actually runs the products. @internal */
export interface ResolvedProviders {
  readonly providers: readonly ExecutionProvider[];
  readonly used: ExecutionProvider;
}

/** Minimal logger (same shape as core's `Logger`). @internal */
export interface WarnLogger {
  info(message: string): void;
  warn(message: string): void;
}

/**
 * onnxruntime-node 1.30's Linux build starts a telemetry client with the first session: it
 * creates an empty `/tmp/mat-debug-<pid>.log` per process and a store under
 * `~/.cache/Microsoft/DeveloperTools/`. `ORT_DISABLE_TELEMETRY=1`, read when that first session
 * is created, turns it off; a value the user set is kept. @internal
 */
export function disableOrtTelemetry(env: NodeJS.ProcessEnv = process.env): void {
  env['ORT_DISABLE_TELEMETRY'] ??= '1';
}

async function probe(ort: Ort, providers: readonly ExecutionProvider[], options: OrtSessionOptions): Promise<void> {
  const bytes = buildChunkModel({
    columns: 2,
    parts: [{ dim: 2, rows: Float32Array.of(1, 0, 0, 1) }],
    outputs: [{ parts: [0], topK: 2 }],
  });
  const session = await ort.InferenceSession.create(bytes, { ...options, executionProviders: providers });
  try {
    const out = await session.run({ a0: new ort.Tensor('float32', Float32Array.of(1, 0), [1, 2]) });
    const idx = out['indices0']?.data as Int32Array | undefined;
    if (idx?.[0] !== 0 || idx[1] !== 1) throw new Error('the probe model returned wrong results');
  } finally {
    await session.release();
  }
}

/**
 * Chooses the execution providers. Entries this onnxruntime-node build cannot load (an unknown
 * name, CUDA without its provider library) are dropped with a logged reason; then the first
 * list that creates and runs a probe model wins: the list itself, then without its first
 * entries one by one (each fallback logged with its reason). Without a request, the list is
 * `['cuda', 'cpu']`, so CUDA is used when it works and CPU otherwise.
 * @internal
 */
export async function resolveProviders(
  ort: Ort,
  requested: readonly ExecutionProvider[] | undefined,
  options: OrtSessionOptions,
  logger: WarnLogger | undefined,
): Promise<ResolvedProviders> {
  disableOrtTelemetry(); // before the probe, the process's first session
  const explicit = requested !== undefined && requested.length > 0;
  const wanted: readonly ExecutionProvider[] = explicit ? requested : ['cuda', 'cpu'];
  const note = (message: string): void => (explicit ? logger?.warn(message) : logger?.info(message));
  let supported: Set<string>;
  try {
    supported = new Set(ort.listSupportedBackends().map((b) => b.name.toLowerCase()));
  } catch {
    supported = new Set(['cpu']);
  }
  const errors: string[] = [];
  const candidates = wanted.filter((p) => {
    const name = providerName(p).toLowerCase();
    let reason: string | undefined;
    if (!supported.has(name)) {
      reason = `not available in this onnxruntime-node build (available: ${[...supported].join(', ')})`;
    } else if (name === 'cuda') {
      reason = cudaUnavailableReason(ort);
    }
    if (reason === undefined) return true;
    errors.push(`${providerName(p)}: ${reason}`);
    note(`onnxruntime-node: execution provider '${providerName(p)}' not used: ${reason}.`);
    return false;
  });
  for (let start = 0; start < candidates.length; start++) {
    const providers = candidates.slice(start);
    try {
      await probe(ort, providers, options);
      return { providers, used: providers[0]! };
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0]! : String(error);
      errors.push(`${providerName(providers[0]!)}: ${reason}`);
      if (start + 1 < candidates.length) {
        logger?.warn(
          `onnxruntime-node: execution provider '${providerName(providers[0]!)}' failed (${reason}); falling back to '${providerName(candidates[start + 1]!)}'.`,
        );
      }
    }
  }
  throw new Error(`no execution provider of [${wanted.map(providerName).join(', ')}] works: ${errors.join('; ')}`);
}
