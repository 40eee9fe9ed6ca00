import { isViMmrecError, listBackends, type Backend, type Logger } from '@vi-mmrec/core';
import { findBackendPackages, loadBackendPackage, selectBackend as select, type BackendSearchOptions } from '@vi-mmrec/core/node';
import { CliError, UsageError } from './errors.js';

/**
 * Where the CLI looks for backend packages: the user's project (the working directory) first,
 * then beside the CLI itself (the backends installed with it, or globally next to it).
 */
export function backendSearch(logger: Logger, cwd: string = process.cwd()): BackendSearchOptions {
  return { cwd, fallback: [import.meta.url], logger };
}

/** What the catalogue asks of the backend: its size, and whether exact search is forced. */
export interface SearchNeeds {
  readonly numItems?: number;
  readonly exact?: boolean;
}

function notFound(choice: string, e: Error): UsageError {
  const installed =
    listBackends()
      .map((b) => b.name)
      .join(', ') || 'none';
  return new UsageError(
    /[/\\]|^\.|^file:/.test(choice)
      ? `--backend ${choice}: ${e.message.replace(/\.$/, '')}`
      : `unknown backend '${choice}' (installed: ${installed}); use --backend auto, one of those, or the name or path of a backend package ('vi-mmrec backends' lists the installed ones)`,
    'augment',
  );
}

/**
 * Checks that `--backend <choice>` can name something installed, before any heavy work (the
 * dataset is read before the backend is resolved, since `auto` chooses by its size). A path is
 * loaded and checked; a word must be a backend package's name or the `<name>` of an installed
 * `…backend-<name>` package (any other word is left to {@link selectBackend}, which loads every
 * installed package). Throws `UsageError` when the choice names nothing installed.
 */
export async function checkBackendChoice(choice: string, logger: Logger): Promise<void> {
  if (choice === 'auto') return;
  try {
    if (/[/\\]|^\.|^file:/.test(choice)) {
      await loadBackendPackage(choice, backendSearch(logger));
      return;
    }
    const found = await findBackendPackages(backendSearch(logger));
    if (found.length === 0 || found.some((p) => p.name === choice || p.name.endsWith(`backend-${choice}`))) return;
    if (!found.some((p) => p.name.startsWith('vi-mmrec-backend-') || /^@[^/]+\/vi-mmrec-backend-/.test(p.name))) {
      throw notFound(choice, new Error(`no backend '${choice}'`));
    }
  } catch (e) {
    if (isViMmrecError(e, 'BACKEND_NOT_FOUND')) throw notFound(choice, e);
    throw e;
  }
}

/**
 * Returns an initialised backend for `--backend <choice>`: `'auto'` (the installed backend of
 * highest priority that initialises, by catalogue size: exact at or below core's crossover,
 * approximate above unless `needs.exact`; the logger says which and why), a backend name, an
 * npm package name or a path (see `@vi-mmrec/core/node`'s `selectBackend`). Throws
 * `UsageError` when the choice names nothing installed and `CliError` when the backend is not
 * available.
 */
export async function selectBackend(choice: string, logger: Logger, signal?: AbortSignal, needs: SearchNeeds = {}): Promise<Backend> {
  try {
    return await select(choice, { ...backendSearch(logger), ...needs, ...(signal === undefined ? {} : { signal }) });
  } catch (e) {
    const installed =
      listBackends()
        .map((b) => b.name)
        .join(', ') || 'none';
    if (isViMmrecError(e, 'BACKEND_NOT_FOUND')) throw notFound(choice, e);
    if (isViMmrecError(e, 'NO_BACKEND_AVAILABLE')) {
      if (choice === 'auto') throw new CliError(`no backend could be initialised (installed: ${installed}); ${e.message}`, { cause: e });
      const errors = (e as unknown as { errors: ReadonlyArray<{ error: unknown }> }).errors;
      const cause = errors[0]?.error;
      const reason =
        cause instanceof Error ? `${cause.message}${cause.cause instanceof Error ? ` (${cause.cause.message})` : ''}` : String(cause);
      throw new CliError(`backend '${choice}' is not available: ${reason.replace(/\.$/, '')}; use --backend auto or --backend cpu.`, {
        cause: e,
      });
    }
    throw e;
  }
}
