import { isViMmrecError, listBackends, resolveBackend, type Backend, type Logger } from '@vi-mmrec/core';
import { CliError, UsageError } from './errors.js';

/** Backend packages the CLI knows; each registers itself from its `./register` entry. */
export const BACKEND_PACKAGES: readonly string[] = [
  '@vi-mmrec/backend-cpu',
  '@vi-mmrec/backend-onnxruntime-node',
  '@vi-mmrec/backend-tfjs-node-gpu',
  '@vi-mmrec/backend-usearch',
];

let registration: Promise<void> | undefined;

function isModuleNotFound(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED';
}

/**
 * Imports the `register` entry of every installed backend package (once per process).
 * Packages that are not installed (or not built) are skipped silently; a package that fails
 * to load is reported through `logger.info` and skipped.
 */
export async function registerInstalledBackends(logger: Logger): Promise<void> {
  registration ??= (async () => {
    for (const pkg of BACKEND_PACKAGES) {
      const specifier = `${pkg}/register`;
      try {
        await import(specifier);
      } catch (e) {
        if (!isModuleNotFound(e)) {
          logger.info(`backend package ${pkg} could not be loaded (${e instanceof Error ? e.message.split('\n')[0] : String(e)}); skipped`);
        }
      }
    }
  })();
  return registration;
}

/** What the catalogue asks of the backend: its size, and whether exact search is forced. */
export interface SearchNeeds {
  readonly numItems?: number;
  readonly exact?: boolean;
}

/**
 * Registers the installed backends and checks that `choice` is `'auto'` or a registered
 * name, before any heavy work (the dataset is read before the backend is resolved). Throws
 * `UsageError` for an unknown name and `CliError` for a known one that is not installed.
 * Returns the installed names, comma-separated.
 */
export async function checkBackendChoice(choice: string, logger: Logger): Promise<string> {
  await registerInstalledBackends(logger);
  const registered = listBackends().map((b) => b.name);
  const installed = registered.join(', ') || 'none';
  if (choice === 'auto' || registered.includes(choice)) return installed;
  const known = BACKEND_PACKAGES.map((p) => p.replace('@vi-mmrec/backend-', ''));
  if (known.includes(choice)) {
    throw new CliError(`backend '${choice}' is not installed (installed: ${installed}); install @vi-mmrec/backend-${choice} or use --backend auto.`);
  }
  throw new UsageError(`unknown backend '${choice}' (installed: ${installed}); use --backend auto or one of those`, 'augment');
}

/**
 * Returns an initialised backend: `'auto'` resolves the registered backend of highest
 * priority that initialises, by size (exact at or below core's crossover, approximate above
 * unless `exact`; the logger says which and why); a name must be registered and initialise
 * (and be exact when `exact`). Throws `UsageError` for an unknown name and `CliError` for an
 * unavailable one.
 */
export async function selectBackend(choice: string, logger: Logger, signal?: AbortSignal, needs: SearchNeeds = {}): Promise<Backend> {
  const installed = await checkBackendChoice(choice, logger);
  if (choice === 'auto') {
    try {
      return await resolveBackend(undefined, { logger, ...needs, ...(signal === undefined ? {} : { signal }) });
    } catch (e) {
      if (isViMmrecError(e, 'NO_BACKEND_AVAILABLE')) {
        throw new CliError(`no backend could be initialised (installed: ${installed}); ${e.message}`, { cause: e });
      }
      throw e;
    }
  }
  try {
    return await resolveBackend([choice], { ...needs, ...(signal === undefined ? {} : { signal }) });
  } catch (e) {
    if (isViMmrecError(e, 'NO_BACKEND_AVAILABLE')) {
      const errors = (e as unknown as { errors: ReadonlyArray<{ error: unknown }> }).errors;
      const cause = errors[0]?.error;
      const reason = cause instanceof Error ? `${cause.message}${cause.cause instanceof Error ? ` (${cause.cause.message})` : ''}` : String(cause);
      throw new CliError(`backend '${choice}' is not available: ${reason.replace(/\.$/, '')}; use --backend auto or --backend cpu.`, { cause: e });
    }
    throw e;
  }
}
