// Backend packages on disk: discovery by naming convention, entry resolution, validation of
// the `backendFactory` export, and `selectBackend`'s reading of --backend. Every package here is
// plain JavaScript written into a temporary folder, as a third party would ship it.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { findBackendPackages, loadBackendPackage, loadInstalledBackends, selectBackend } from '../src/node.js';
import { listBackends, resetRegistryForTests } from '../src/registry.js';
import { isViMmrecError } from '../src/errors.js';

const root = mkdtempSync(join(tmpdir(), 'vi-mmrec-backend-packages-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeEach(() => resetRegistryForTests());

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** A module whose backendFactory makes a do-nothing backend (the loader is under test, not the numerics). */
const factoryModule = (name: string, priority: number, extra = ''): string => `
export const backendFactory = {
  name: ${JSON.stringify(name)},
  priority: ${priority},
  description: 'test backend ${name}',
  create() {
    return {
      name: ${JSON.stringify(name)},
      capabilities: { device: 'cpu', floatPrecision: 64 },
      async init() {},
      async searchNeighbours() { return []; },
      async dispose() {},
      async [Symbol.asyncDispose]() {},
      ${extra}
    };
  },
};
`;

/** Writes `node_modules/<name>` under `base` with a package.json and files. */
function pkg(base: string, name: string, manifest: Record<string, unknown>, files: Record<string, string>): void {
  const dir = join(base, 'node_modules', name);
  write(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', type: 'module', ...manifest }));
  for (const [f, text] of Object.entries(files)) write(join(dir, f), text);
}

// The user's project, in a sub-folder of a folder that has node_modules too (Node searches both).
const parent = join(root, 'parent');
const project = join(parent, 'project');
const tool = join(root, 'tool', 'lib'); // where "the calling tool" is installed
pkg(project, 'vi-mmrec-backend-alpha', { version: '2.0.0', exports: './main.js' }, { 'main.js': factoryModule('alpha', 150) });
pkg(
  project,
  '@acme/vi-mmrec-backend-beta',
  { exports: { '.': { types: './x.d.ts', require: './missing.cjs', import: './esm/index.js' }, './package.json': './package.json' } },
  { 'esm/index.js': factoryModule('beta', -1) },
);
pkg(project, 'vi-mmrec-backend-nofactory', { main: 'lib/index.js' }, { 'lib/index.js': 'export const helper = 1;\n' });
pkg(project, 'vi-mmrec-backend-nocreate', {}, { 'index.js': "export const backendFactory = { name: 'nocreate', priority: 1 };\n" });
pkg(project, 'vi-mmrec-backend-throws', {}, { 'index.js': "throw new Error('native binding missing');\n" });
pkg(project, 'vi-mmrec-backend-twin', {}, { 'index.js': factoryModule('alpha', 1) });
pkg(project, 'vi-mmrec-backend-unbuilt', { exports: './dist/index.js' }, { 'src/index.ts': '' });
pkg(project, 'not-a-backend', {}, { 'index.js': factoryModule('unrelated', 500) });
pkg(
  project,
  'vi-mmrec-backend-incomplete',
  {},
  { 'index.js': factoryModule('incomplete', -5).replace('async searchNeighbours() { return []; },', '') },
);
pkg(
  parent,
  '@vi-mmrec/backend-gamma',
  { exports: { '.': { default: './dist/index.js' } } },
  { 'dist/index.js': factoryModule('gamma', 120) },
);
// The tool's own copy of alpha is shadowed by the project's; delta is only beside the tool.
pkg(tool, 'vi-mmrec-backend-alpha', { version: '1.0.0' }, { 'index.js': factoryModule('alpha', 150) });
pkg(tool, 'vi-mmrec-backend-delta', { version: '3.1.4' }, { 'index.js': factoryModule('delta', 90) });
// Modules by path: a package folder outside node_modules and a lone file.
write(join(project, 'local', 'package.json'), JSON.stringify({ name: 'my-local-backend', version: '0.0.1', type: 'module' }));
write(join(project, 'local', 'index.js'), factoryModule('local', -1));
write(join(project, 'lone.mjs'), factoryModule('lone', -1));
write(join(project, 'plain', 'index.js'), factoryModule('plain', -1));

const toolUrl = pathToFileURL(join(tool, 'cli.js')).href;
const options = { cwd: project, fallback: [toolUrl] };

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('findBackendPackages', () => {
  it('finds packages named like backends from the project up, then beside the tool; the nearest copy wins', async () => {
    const found = await findBackendPackages(options);
    expect(found.map((p) => `${p.name}@${p.version}`)).toEqual([
      '@acme/vi-mmrec-backend-beta@1.0.0',
      'vi-mmrec-backend-alpha@2.0.0',
      'vi-mmrec-backend-incomplete@1.0.0',
      'vi-mmrec-backend-nocreate@1.0.0',
      'vi-mmrec-backend-nofactory@1.0.0',
      'vi-mmrec-backend-throws@1.0.0',
      'vi-mmrec-backend-twin@1.0.0',
      'vi-mmrec-backend-unbuilt@1.0.0',
      '@vi-mmrec/backend-gamma@1.0.0',
      'vi-mmrec-backend-delta@3.1.4',
    ]);
    const byName = new Map(found.map((p) => [p.name, p.path]));
    expect(byName.get('vi-mmrec-backend-alpha')).toBe(join(project, 'node_modules', 'vi-mmrec-backend-alpha'));
    expect(byName.get('@vi-mmrec/backend-gamma')).toBe(join(parent, 'node_modules', '@vi-mmrec', 'backend-gamma'));
    expect(byName.get('vi-mmrec-backend-delta')).toBe(join(tool, 'node_modules', 'vi-mmrec-backend-delta'));
  });

  it('finds nothing in a folder without node_modules (and no fallback)', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'vi-mmrec-empty-'));
    try {
      expect(await findBackendPackages({ cwd: empty })).toEqual([]);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('loadInstalledBackends', () => {
  it('registers every valid factory and reports each unusable package with its reason', async () => {
    const logger = { info: vi.fn<(m: string) => void>(), warn: vi.fn<(m: string) => void>() };
    const { loaded, failed } = await loadInstalledBackends({ ...options, logger });
    expect(loaded.map((l) => `${l.name}:${l.factory.name}`)).toEqual([
      '@acme/vi-mmrec-backend-beta:beta',
      'vi-mmrec-backend-alpha:alpha',
      'vi-mmrec-backend-incomplete:incomplete',
      '@vi-mmrec/backend-gamma:gamma',
      'vi-mmrec-backend-delta:delta',
    ]);
    expect(listBackends().map((b) => b.name)).toEqual(['alpha', 'gamma', 'delta', 'beta', 'incomplete']);
    // Each package's main entry: "exports" (conditions node/import/default), else main.
    const entries = new Map(loaded.map((l) => [l.name, l.entry]));
    expect(entries.get('vi-mmrec-backend-alpha')).toBe(join(project, 'node_modules', 'vi-mmrec-backend-alpha', 'main.js'));
    expect(entries.get('@acme/vi-mmrec-backend-beta')).toBe(
      join(project, 'node_modules', '@acme', 'vi-mmrec-backend-beta', 'esm', 'index.js'),
    );
    expect(entries.get('@vi-mmrec/backend-gamma')).toBe(join(parent, 'node_modules', '@vi-mmrec', 'backend-gamma', 'dist', 'index.js'));
    const reasons = Object.fromEntries(failed.map((f) => [f.package.name, f.error.message]));
    expect(Object.keys(reasons).sort()).toEqual([
      'vi-mmrec-backend-nocreate',
      'vi-mmrec-backend-nofactory',
      'vi-mmrec-backend-throws',
      'vi-mmrec-backend-twin',
      'vi-mmrec-backend-unbuilt',
    ]);
    expect(reasons['vi-mmrec-backend-unbuilt']).toBe(
      `Backend package 'vi-mmrec-backend-unbuilt' (${join(project, 'node_modules', 'vi-mmrec-backend-unbuilt')}) has no main module (./dist/index.js does not exist); is it built?`,
    );
    expect(reasons['vi-mmrec-backend-nofactory']).toBe(
      `Backend package 'vi-mmrec-backend-nofactory' (${join(project, 'node_modules', 'vi-mmrec-backend-nofactory', 'lib', 'index.js')}) does not export backendFactory; see "Shipping a backend as a package" in docs/contributing/writing-a-backend.md.`,
    );
    expect(reasons['vi-mmrec-backend-nocreate']).toMatch(
      /^Backend package 'vi-mmrec-backend-nocreate' \(.*index\.js\) backendFactory\.create must be a function; see "Shipping a backend as a package"/,
    );
    expect(reasons['vi-mmrec-backend-throws']).toMatch(
      /^Backend package 'vi-mmrec-backend-throws' failed to load \(.*\): native binding missing$/,
    );
    expect(reasons['vi-mmrec-backend-twin']).toBe(
      "Backend package 'vi-mmrec-backend-twin' registers the name 'alpha', which 'vi-mmrec-backend-alpha' already uses; skipped.",
    );
    // Problems are reported, except for a package that simply is no backend (a helper).
    const infos = logger.info.mock.calls.map((c) => c[0]).join('\n');
    expect(infos).toMatch(/vi-mmrec-backend-throws skipped/);
    expect(infos).toMatch(/vi-mmrec-backend-nocreate skipped/);
    expect(infos).not.toMatch(/nofactory/);
    // Calling it again changes nothing.
    const again = await loadInstalledBackends(options);
    expect(again.loaded.map((l) => l.factory)).toEqual(loaded.map((l) => l.factory));
  });
});

describe('loadBackendPackage', () => {
  it('loads by package name (from the project, else beside the tool) and by path', async () => {
    expect((await loadBackendPackage('vi-mmrec-backend-alpha', options)).version).toBe('2.0.0');
    expect((await loadBackendPackage('vi-mmrec-backend-delta', options)).factory.name).toBe('delta');
    const local = await loadBackendPackage('./local', options);
    expect([local.name, local.version, local.factory.name]).toEqual(['my-local-backend', '0.0.1', 'local']);
    const lone = await loadBackendPackage(join(project, 'lone.mjs'), options);
    expect([lone.name, lone.version, lone.factory.name]).toEqual([join(project, 'lone.mjs'), undefined, 'lone']);
    expect((await loadBackendPackage(pathToFileURL(join(project, 'lone.mjs')).href, options)).factory).toBe(lone.factory);
    // A plain folder (no package.json) loads its index.js.
    const plain = await loadBackendPackage('./plain', options);
    expect([plain.name, plain.version, plain.entry, plain.factory.name]).toEqual([
      './plain',
      undefined,
      join(project, 'plain', 'index.js'),
      'plain',
    ]);
    // A package without the naming convention loads too when named explicitly.
    expect((await loadBackendPackage('not-a-backend', options)).factory.name).toBe('unrelated');
  });

  it('rejects with one line naming the package and the fault', async () => {
    const missing = await rejection(loadBackendPackage('vi-mmrec-backend-nope', options));
    expect(isViMmrecError(missing, 'BACKEND_NOT_FOUND')).toBe(true);
    expect(missing.message).toBe(
      `Backend package 'vi-mmrec-backend-nope' not found: not installed in ${project} nor where the calling tool is installed.`,
    );
    const noPath = await rejection(loadBackendPackage('./nowhere', options));
    expect(noPath.message).toBe("Backend package './nowhere' not found: no such file or directory.");
    const invalid = await rejection(loadBackendPackage('vi-mmrec-backend-nocreate', options));
    expect(isViMmrecError(invalid, 'BACKEND_INIT')).toBe(true);
    expect(invalid.message).not.toContain('\n');
  });

  it.each([
    ['null', 'export const backendFactory = null;', 'exports backendFactory as null, not a BackendFactory object'],
    ['a function', 'export function backendFactory() {}', 'exports backendFactory as function, not a BackendFactory object'],
    [
      'no name',
      "export const backendFactory = { name: '', priority: 1, create() {} };",
      "backendFactory.name must be a non-empty string other than 'auto'",
    ],
    [
      'auto',
      "export const backendFactory = { name: 'auto', priority: 1, create() {} };",
      "backendFactory.name must be a non-empty string other than 'auto'",
    ],
    ['no priority', "export const backendFactory = { name: 'x', create() {} };", 'backendFactory.priority must be a finite number'],
    [
      'NaN priority',
      "export const backendFactory = { name: 'x', priority: NaN, create() {} };",
      'backendFactory.priority must be a finite number',
    ],
    [
      'bad isAvailable',
      "export const backendFactory = { name: 'x', priority: 1, isAvailable: true, create() {} };",
      'backendFactory.isAvailable must be a function when present',
    ],
    [
      'bad description',
      "export const backendFactory = { name: 'x', priority: 1, description: 3, create() {} };",
      'backendFactory.description must be a string when present',
    ],
  ])('rejects a factory export that is %s', async (label, source, problem) => {
    const file = join(root, 'invalid', `${label.replace(/\W/g, '-')}.mjs`);
    write(file, `${source}\n`);
    const e = await rejection(loadBackendPackage(file, options));
    expect(e.message).toBe(
      `Backend package '${file}' (${file}) ${problem}; see "Shipping a backend as a package" in docs/contributing/writing-a-backend.md.`,
    );
  });

  it('rejects a package whose exports have no entry for import', async () => {
    const dir = join(root, 'cjs-only');
    write(join(dir, 'package.json'), JSON.stringify({ name: 'cjs-only', exports: { require: './index.cjs' } }));
    const e = await rejection(loadBackendPackage(dir, options));
    expect(e.message).toMatch(/^Backend package 'cjs-only' \(.*cjs-only\) has no main entry for import in its "exports"/);
  });
});

describe('selectBackend', () => {
  it("'auto' loads every installed backend and initialises the one of highest non-negative priority", async () => {
    const backend = await selectBackend('auto', options);
    expect(backend.name).toBe('alpha');
  });

  it('takes a registered name, a package name or a path', async () => {
    expect((await selectBackend('delta', options)).name).toBe('delta');
    expect((await selectBackend('beta', options)).name).toBe('beta'); // opt-in (negative priority) by name
    resetRegistryForTests();
    expect((await selectBackend('@acme/vi-mmrec-backend-beta', options)).name).toBe('beta');
    expect(listBackends().map((b) => b.name)).toEqual(['beta']); // a package by name loads only itself
    expect((await selectBackend('./local', options)).name).toBe('local');
    expect((await selectBackend('vi-mmrec-backend-delta', options)).name).toBe('delta');
  });

  it('rejects an unknown name listing the installed backends, and a backend missing SPI methods', async () => {
    const unknown = await rejection(selectBackend('quantum', options));
    expect(isViMmrecError(unknown, 'BACKEND_NOT_FOUND')).toBe(true);
    expect(unknown.message).toBe(
      `Unknown backend 'quantum' (installed: alpha, gamma, delta, beta, incomplete): no backend has that name and no package 'quantum' is installed in ${project}.`,
    );
    const incomplete = await rejection(selectBackend('incomplete', options));
    expect(isViMmrecError(incomplete, 'BACKEND_INIT')).toBe(true);
    expect(incomplete.message).toBe(
      'The backend from package \'vi-mmrec-backend-incomplete\' does not implement the Backend interface: missing searchNeighbours; see "Shipping a backend as a package" in docs/contributing/writing-a-backend.md.',
    );
    const scoped = await rejection(selectBackend('@acme/vi-mmrec-backend-none', options));
    expect(scoped.message).toMatch(/^Backend package '@acme\/vi-mmrec-backend-none' not found: not installed in /);
  });
});
