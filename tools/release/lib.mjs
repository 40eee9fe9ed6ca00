// What `npm run pack` and the publish test share: which @vi-mmrec packages a user must install
// together (tarballs bring no peers from a registry), and packing them with `npm pack`.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { run, workspacePackages } from '../publish/lib.mjs';

/** `integration-loader`, `@vi-mmrec/integration-loader` → the public package, or an Error naming the choices. */
export function publicPackage(pkgs, name) {
  const full = name.startsWith('@') ? name : `@vi-mmrec/${name}`;
  const p = pkgs.find((q) => q.name === full && !q.private);
  if (p === undefined) {
    const names = pkgs.filter((q) => !q.private).map((q) => q.name.slice('@vi-mmrec/'.length));
    throw new Error(`no public package '${name}'; one of: ${names.join(', ')}`);
  }
  return p;
}

/**
 * The packages to install for `wanted` (names): each one, and recursively every @vi-mmrec
 * package it depends on or has as a required peer (optional peers, such as the CLI's backends,
 * only when named). The order is the wanted ones first, then their dependencies by name.
 */
export function installSet(pkgs, wanted) {
  const chosen = wanted.map((n) => publicPackage(pkgs, n));
  const out = new Map(chosen.map((p) => [p.name, p]));
  const queue = [...chosen];
  while (queue.length > 0) {
    const p = queue.shift();
    const optional = p.json.peerDependenciesMeta ?? {};
    const needed = [
      ...Object.keys(p.json.dependencies ?? {}),
      ...Object.keys(p.json.peerDependencies ?? {}).filter((n) => optional[n]?.optional !== true),
    ];
    for (const n of needed.filter((d) => d.startsWith('@vi-mmrec/')).sort()) {
      if (out.has(n)) continue;
      const dep = publicPackage(pkgs, n);
      out.set(n, dep);
      queue.push(dep);
    }
  }
  const first = new Set(chosen.map((p) => p.name));
  return [...out.values()].sort(
    (a, b) => Number(first.has(b.name)) - Number(first.has(a.name)) || (first.has(a.name) ? 0 : a.name.localeCompare(b.name)),
  );
}

/** `npm pack`'s file name for a package: `@vi-mmrec/core` 0.1.0 → `vi-mmrec-core-0.1.0.tgz`. */
export const tarballName = (p) => `${p.name.replace(/^@/, '').replace('/', '-')}-${p.version}.tgz`;

/**
 * Packs every public package of the workspace at `root` with `npm pack` into `outDir` (its old
 * `vi-mmrec-*.tgz` files removed first). Expects the packages built. Resolves with the
 * packages, each with `tarball` (absolute path).
 */
export async function packAll(root, outDir, { env = process.env } = {}) {
  const pkgs = workspacePackages(root).filter((p) => !p.private);
  mkdirSync(outDir, { recursive: true });
  for (const f of readdirSync(outDir)) if (/^vi-mmrec-.*\.tgz$/.test(f)) rmSync(join(outDir, f));
  const args = ['pack', '--pack-destination', outDir, '--json', ...pkgs.flatMap((p) => ['-w', p.name])];
  const r = await run('npm', args, { cwd: root, env });
  if (r.code !== 0) throw new Error(`npm ${args.join(' ')} exited with ${r.code}:\n${r.stderr.split('\n').slice(-20).join('\n')}`);
  const packed = new Set(JSON.parse(r.stdout).map((e) => e.filename));
  const missing = pkgs.filter((p) => !packed.has(tarballName(p)));
  if (missing.length > 0) throw new Error(`npm pack did not write ${missing.map(tarballName).join(', ')}`);
  return pkgs.map((p) => ({ ...p, tarball: join(outDir, tarballName(p)) }));
}
