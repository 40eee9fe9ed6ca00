// Helpers for end-to-end tests that run the real `vi-mmrec` bin in a subprocess.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
export const REPO_ROOT = resolve(PACKAGE_DIR, '../..');
export const BIN = join(PACKAGE_DIR, 'bin', 'vi-mmrec.js');
/** The shared real datasets: `../shared/data/<name>` relative to the repository root. */
export const dataDir = (name: string): string => resolve(REPO_ROOT, '../shared/data', name);

function newestMtime(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

/**
 * Builds the CLI (and what it depends on) with `tsc -b` when dist/bin.js is missing or older
 * than the sources of cli, io, core or backend-cpu.
 */
export function ensureBuilt(): void {
  const bin = join(PACKAGE_DIR, 'dist', 'bin.js');
  const sources = ['cli', 'io', 'core', 'backend-cpu'].map((p) => newestMtime(join(REPO_ROOT, 'packages', p, 'src')));
  if (existsSync(bin) && statSync(bin).mtimeMs >= Math.max(...sources)) return;
  const r = spawnSync('npx', ['--no-install', 'tsc', '-b', 'packages/cli/tsconfig.build.json'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (r.status !== 0) throw new Error(`tsc -b failed:\n${r.stdout}\n${r.stderr}`);
}

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node bin/vi-mmrec.js …args`. */
export function runCli(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): RunResult {
  const env: Record<string, string | undefined> = { ...process.env, VI_MMREC_DEBUG: undefined, ...options.env };
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 240_000, cwd: options.cwd ?? REPO_ROOT, env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Also builds `@vi-mmrec/eval` (which the bin imports from its dist for `augment --strategy
 * auto`) when its dist is missing or older than the sources it is built from.
 */
export function ensureEvalBuilt(): void {
  ensureBuilt();
  const dist = join(REPO_ROOT, 'packages', 'eval', 'dist');
  const sources = ['eval', 'integration-loader', 'io', 'core', 'backend-cpu'].map((p) =>
    newestMtime(join(REPO_ROOT, 'packages', p, 'src')),
  );
  // tsc -b rewrites only changed outputs but always its .tsbuildinfo: compare the newest file.
  if (existsSync(join(dist, 'index.js')) && newestMtime(dist) >= Math.max(...sources)) return;
  const r = spawnSync('npx', ['--no-install', 'tsc', '-b', 'packages/eval/tsconfig.build.json'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (r.status !== 0) throw new Error(`tsc -b packages/eval failed:\n${r.stdout}\n${r.stderr}`);
}
