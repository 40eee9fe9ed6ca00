import { existsSync, realpathSync, statSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BackendInitError, BackendNotFoundError, isViMmrecError } from './errors.js';
import { listBackends, registerBackend, resolveBackend } from './registry.js';
import type { Backend, BackendFactory } from './spi.js';
import type { Logger } from './types.js';

/** Where to look for backend packages; see {@link findBackendPackages}. */
export interface BackendSearchOptions {
  /**
   * The user's project directory: packages are resolved from here first, as Node resolves
   * them (its `node_modules`, then each parent's). Default: `process.cwd()`.
   */
  readonly cwd?: string;
  /**
   * The calling tool's own location (its `import.meta.url`, a file or a directory): searched
   * after `cwd`, so the backends installed with the tool (or globally beside it) are found.
   */
  readonly fallback?: ReadonlyArray<string | URL>;
  /** Diagnostics: packages that were skipped and why (`info`), name clashes (`warn`). */
  readonly logger?: Logger;
}

/** A backend package (or module path) found on disk, not yet imported. */
export interface BackendPackage {
  /** The npm package name, or the path as given for a module that is not in a package. */
  readonly name: string;
  /** The package's version (undefined for a module outside a package). */
  readonly version: string | undefined;
  /** The package folder, or the module file when a path to a module was given. */
  readonly path: string;
}

/** A backend package whose module exports a valid `backendFactory`. */
export interface LoadedBackendPackage extends BackendPackage {
  /** The real path of the module that was imported (the package's main entry). */
  readonly entry: string;
  /** The module's `backendFactory` export. */
  readonly factory: BackendFactory;
}

/** The outcome of {@link loadInstalledBackends}. */
export interface InstalledBackends {
  /** Packages whose factory is now registered, in search order. */
  readonly loaded: readonly LoadedBackendPackage[];
  /** Packages matching the naming convention that could not be used, with the reason. */
  readonly failed: ReadonlyArray<{
    /** The package as found. */
    readonly package: BackendPackage;
    /** Why it cannot be used: it failed to load, exports no valid factory, or its name is taken. */
    readonly error: Error;
  }>;
}

const NAME = /^(?:@vi-mmrec\/backend-|(?:@[a-z0-9][a-z0-9._~-]*\/)?vi-mmrec-backend-)[a-z0-9][a-z0-9._~-]*$/;

/**
 * True when `name` follows the naming convention of backend packages:
 * `vi-mmrec-backend-<name>`, `@scope/vi-mmrec-backend-<name>`, or our own
 * `@vi-mmrec/backend-<name>`.
 */
function isBackendPackageName(name: string): boolean {
  return NAME.test(name);
}

const toDir = (location: string | URL): string => {
  const path = location instanceof URL || location.startsWith('file:') ? fileURLToPath(location) : resolve(location);
  return existsSync(path) && statSync(path).isFile() ? dirname(path) : path;
};

/** The `node_modules` folders Node would search from each location, nearest first, without repeats. */
function searchPath(options: BackendSearchOptions): string[] {
  const out: string[] = [];
  for (const location of [options.cwd ?? process.cwd(), ...(options.fallback ?? [])]) {
    let dir = toDir(location);
    for (;;) {
      const nm = join(dir, 'node_modules');
      if (!out.includes(nm)) out.push(nm);
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return out;
}

async function readManifest(dir: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

const DOC = 'see "Shipping a backend as a package" in docs/contributing/writing-a-backend.md';

const CONDITIONS = new Set(['node', 'import', 'default']);

/** The target of a conditional `exports` value for `import` in Node. */
function conditionalTarget(target: unknown): string | undefined {
  if (typeof target === 'string') return target;
  if (Array.isArray(target)) {
    for (const t of target as unknown[]) {
      const r = conditionalTarget(t);
      if (r !== undefined) return r;
    }
    return undefined;
  }
  if (target !== null && typeof target === 'object') {
    for (const [key, value] of Object.entries(target)) {
      if (!CONDITIONS.has(key)) continue;
      const r = conditionalTarget(value);
      if (r !== undefined) return r;
    }
  }
  return undefined;
}

/** The file `import('<package>')` loads: the `"."` export (conditions node/import/default), else `main`, else index.js. */
function packageEntry(dir: string, manifest: Record<string, unknown>, label: string): string {
  const exp = manifest.exports;
  if (exp !== undefined && exp !== null) {
    const dotted = typeof exp === 'object' && !Array.isArray(exp) && Object.keys(exp).some((k) => k.startsWith('.'));
    const target = conditionalTarget(dotted ? (exp as Record<string, unknown>)['.'] : exp);
    if (target === undefined || !target.startsWith('./')) {
      throw new BackendInitError(
        label,
        `Backend package '${label}' (${dir}) has no main entry for import in its "exports"; export "."; ${DOC}.`,
      );
    }
    const file = join(dir, target);
    if (existsSync(file)) return file;
    throw new BackendInitError(label, `Backend package '${label}' (${dir}) has no main module (${target} does not exist); is it built?`);
  }
  const main = typeof manifest.main === 'string' ? manifest.main : 'index.js';
  for (const candidate of [main, `${main}.js`, join(main, 'index.js')]) {
    const p = join(dir, candidate);
    if (existsSync(p) && statSync(p).isFile()) return p;
  }
  throw new BackendInitError(label, `Backend package '${label}' (${dir}) has no main module (${main} does not exist); is it built?`);
}

async function packageAt(dir: string, fallbackName: string): Promise<BackendPackage | undefined> {
  const manifest = await readManifest(dir);
  if (manifest === undefined) return undefined;
  return {
    name: typeof manifest.name === 'string' ? manifest.name : fallbackName,
    version: typeof manifest.version === 'string' ? manifest.version : undefined,
    path: dir,
  };
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isDirectory() || e.isSymbolicLink())
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

/**
 * Finds the installed packages named like backends (`vi-mmrec-backend-<name>`,
 * `@scope/vi-mmrec-backend-<name>`, `@vi-mmrec/backend-<name>`) in the `node_modules`
 * folders Node would search from `cwd`, then from each `fallback` location.
 * A name found twice is reported once, from the first place (as Node's resolution would pick).
 * Nothing is imported; a folder without a readable package.json is not a package.
 */
export async function findBackendPackages(options: BackendSearchOptions = {}): Promise<BackendPackage[]> {
  const found = new Map<string, BackendPackage>();
  for (const nm of searchPath(options)) {
    const names: string[] = [];
    for (const entry of await listDir(nm)) {
      if (entry.startsWith('@')) for (const sub of await listDir(join(nm, entry))) names.push(`${entry}/${sub}`);
      else names.push(entry);
    }
    for (const name of names) {
      if (!isBackendPackageName(name) || found.has(name)) continue;
      const pkg = await packageAt(join(nm, name), name);
      if (pkg !== undefined) found.set(name, pkg);
    }
  }
  return [...found.values()];
}

const isPath = (spec: string): boolean => spec.startsWith('.') || isAbsolute(spec) || spec.startsWith('file:');

/** Finds the package or module `specifier` names (a package name or a path), without importing it. */
async function locate(specifier: string, options: BackendSearchOptions): Promise<BackendPackage | undefined> {
  if (isPath(specifier)) {
    const path = specifier.startsWith('file:') ? fileURLToPath(specifier) : resolve(options.cwd ?? process.cwd(), specifier);
    if (!existsSync(path)) return undefined;
    // A folder is a package (its package.json names it), or a plain folder with an index.js.
    return (statSync(path).isDirectory() ? await packageAt(path, specifier) : undefined) ?? { name: specifier, version: undefined, path };
  }
  // A package name, without subpath: a backend is a package's main entry.
  for (const nm of searchPath(options)) {
    const dir = join(nm, specifier);
    if (existsSync(join(dir, 'package.json'))) return packageAt(dir, specifier);
  }
  return undefined;
}

/** A module without a `backendFactory` export at all: a helper or test package, not a backend. */
class NotABackendError extends BackendInitError {}

/** What is wrong with a `backendFactory` export, or undefined when it is a valid {@link BackendFactory}. */
function factoryProblem(f: unknown): string | undefined {
  if (f === null || typeof f !== 'object')
    return `exports backendFactory as ${f === null ? 'null' : typeof f}, not a BackendFactory object`;
  const o = f as Record<string, unknown>;
  if (typeof o.name !== 'string' || o.name.trim() === '' || o.name === 'auto')
    return "backendFactory.name must be a non-empty string other than 'auto'";
  if (typeof o.priority !== 'number' || !Number.isFinite(o.priority)) return 'backendFactory.priority must be a finite number';
  if (typeof o.create !== 'function') return 'backendFactory.create must be a function';
  if (o.isAvailable !== undefined && typeof o.isAvailable !== 'function')
    return 'backendFactory.isAvailable must be a function when present';
  if (o.description !== undefined && typeof o.description !== 'string') return 'backendFactory.description must be a string when present';
  return undefined;
}

async function importPackage(pkg: BackendPackage): Promise<LoadedBackendPackage> {
  // The real path, as Node's ESM loader uses it (linked and workspace packages included).
  const entry = realpathSync(
    statSync(pkg.path).isDirectory() ? packageEntry(pkg.path, (await readManifest(pkg.path)) ?? {}, pkg.name) : pkg.path,
  );
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    throw new BackendInitError(pkg.name, `Backend package '${pkg.name}' failed to load (${entry}): ${why}`, { cause: e });
  }
  if (mod.backendFactory === undefined)
    throw new NotABackendError(pkg.name, `Backend package '${pkg.name}' (${entry}) does not export backendFactory; ${DOC}.`);
  const problem = factoryProblem(mod.backendFactory);
  if (problem !== undefined) throw new BackendInitError(pkg.name, `Backend package '${pkg.name}' (${entry}) ${problem}; ${DOC}.`);
  return { ...pkg, entry, factory: mod.backendFactory as BackendFactory };
}

/**
 * Loads one backend package: `specifier` is an npm package name, resolved from `cwd` and then
 * from the `fallback` locations, or a path (`./my-backend`, `/abs/dir`, a file or a `file:`
 * URL, relative to `cwd`) to a package folder or a module. Its module must export
 * `backendFactory`, a valid {@link BackendFactory}. Does not register it.
 * Rejects with `BackendNotFoundError` when nothing is found, `BackendInitError` when the
 * module fails to load or its export is invalid (the message names the package and the fault).
 */
export async function loadBackendPackage(specifier: string, options: BackendSearchOptions = {}): Promise<LoadedBackendPackage> {
  const pkg = await locate(specifier, options);
  if (pkg === undefined) {
    const where = isPath(specifier)
      ? 'no such file or directory'
      : `not installed in ${options.cwd ?? process.cwd()} nor where the calling tool is installed`;
    throw new BackendNotFoundError(specifier, `Backend package '${specifier}' not found: ${where}.`);
  }
  return importPackage(pkg);
}

/**
 * Finds every installed backend package ({@link findBackendPackages}), imports it and
 * registers its `backendFactory` with the registry, so that `resolveBackend` and
 * `augment({ backend: 'auto' })` can use it. A package that fails to load, exports no valid
 * factory, or whose backend name is taken by another package is skipped (`logger.info`) and
 * listed in `failed`. Safe to call more than once.
 */
export async function loadInstalledBackends(options: BackendSearchOptions = {}): Promise<InstalledBackends> {
  const loaded: LoadedBackendPackage[] = [];
  const failed: Array<{ package: BackendPackage; error: Error }> = [];
  for (const pkg of await findBackendPackages(options)) {
    try {
      const l = await importPackage(pkg);
      const clash = loaded.find((o) => o.factory.name === l.factory.name && o.factory !== l.factory);
      if (clash !== undefined) {
        throw new BackendInitError(
          l.factory.name,
          `Backend package '${pkg.name}' registers the name '${l.factory.name}', which '${clash.name}' already uses; skipped.`,
        );
      }
      registerBackend(l.factory);
      loaded.push(l);
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      // A package named like a backend that exports no factory at all (a helper or test
      // package) is listed in `failed` but not reported on every run.
      if (!(error instanceof NotABackendError)) options.logger?.info(`${pkg.name} skipped: ${error.message}`);
      failed.push({ package: pkg, error });
    }
  }
  return { loaded, failed };
}

const BACKEND_METHODS = ['init', 'searchNeighbours', 'dispose'] as const;

/** Rejects a created backend that does not implement the SPI, naming its package. */
function checkBackend(backend: Backend, from: string): Backend {
  const o = backend as unknown as Record<PropertyKey, unknown>;
  const missing = [
    ...BACKEND_METHODS.filter((m) => typeof o[m] !== 'function'),
    ...(typeof o[Symbol.asyncDispose] === 'function' ? [] : ['[Symbol.asyncDispose]']),
  ];
  if (typeof o.name !== 'string') missing.unshift('name');
  if (o.capabilities === null || typeof o.capabilities !== 'object') missing.push('capabilities');
  if (missing.length > 0) {
    throw new BackendInitError(
      String(o.name),
      `The backend from ${from} does not implement the Backend interface: missing ${missing.join(', ')}; ${DOC}.`,
    );
  }
  return backend;
}

/** Options of {@link selectBackend}. */
export interface SelectBackendOptions extends BackendSearchOptions {
  /** Cancels initialisation. */
  readonly signal?: AbortSignal;
  /** Catalogue size: `'auto'` chooses exact or approximate search by it (see `resolveBackend`). */
  readonly numItems?: number;
  /** Forces exact search: an approximate backend is never chosen, nor accepted by name. */
  readonly exact?: boolean;
}

/**
 * Returns an initialised backend for a user's choice, the way the `vi-mmrec` command line and
 * `vi-mmrec eval` read `--backend`:
 * - `'auto'`: every installed backend package is loaded ({@link loadInstalledBackends}); the
 *   registered backend of highest priority that initialises is used;
 * - a registered backend name (`'cpu'`, or the name an installed package registers);
 * - an npm package name or a path: that package is loaded and its backend used.
 *
 * Rejects with `BackendNotFoundError` when the choice names nothing installed,
 * `BackendInitError` for an invalid package, and `NoBackendAvailableError` when the backend
 * does not initialise (as `resolveBackend` does).
 */
export async function selectBackend(choice: string, options: SelectBackendOptions = {}): Promise<Backend> {
  const resolveOptions = {
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.numItems === undefined ? {} : { numItems: options.numItems }),
    ...(options.exact === undefined ? {} : { exact: options.exact }),
  };
  // A named backend that cannot be used rejects with the reason; the registry's "skipped"
  // warning would only repeat it.
  const namedOptions = { ...resolveOptions, logger: undefined };
  const origin = new Map<string, string>();
  // A plain word may be a backend name (of any installed package); a path or scoped name is a package.
  const word = !isPath(choice) && !choice.includes('/');
  let installed: InstalledBackends | undefined;
  if (word) {
    installed = await loadInstalledBackends(options);
    for (const l of installed.loaded) origin.set(l.factory.name, `package '${l.name}'`);
  }
  if (choice === 'auto') {
    const backend = await resolveBackend(undefined, resolveOptions);
    return checkBackend(backend, origin.get(backend.name) ?? `backend '${backend.name}'`);
  }
  if (listBackends().some((b) => b.name === choice)) {
    return checkBackend(await resolveBackend([choice], namedOptions), origin.get(choice) ?? `backend '${choice}'`);
  }
  // An installed package named by its package name: already loaded and registered above.
  const hit = installed?.loaded.find((l) => l.name === choice);
  if (hit !== undefined) return checkBackend(await resolveBackend([hit.factory.name], namedOptions), `package '${hit.name}'`);
  let pkg: LoadedBackendPackage;
  try {
    pkg = await loadBackendPackage(choice, options);
  } catch (e) {
    if (isViMmrecError(e, 'BACKEND_NOT_FOUND') && word) {
      const known =
        listBackends()
          .map((b) => b.name)
          .join(', ') || 'none';
      throw new BackendNotFoundError(
        choice,
        `Unknown backend '${choice}' (installed: ${known}): no backend has that name and no package '${choice}' is installed in ${options.cwd ?? process.cwd()}.`,
      );
    }
    throw e;
  }
  try {
    registerBackend(pkg.factory);
  } catch (e) {
    throw new BackendInitError(
      pkg.factory.name,
      `Backend package '${pkg.name}' registers the name '${pkg.factory.name}', which another backend already uses; rename it.`,
      { cause: e },
    );
  }
  return checkBackend(await resolveBackend([pkg.factory.name], namedOptions), `package '${pkg.name}'`);
}
