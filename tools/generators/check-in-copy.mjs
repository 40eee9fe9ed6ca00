#!/usr/bin/env node
// CI check of the generators: in a scratch copy of the repository (the files git tracks or would
// track, plus the built dist/ folders, modification times kept so `tsc -b` finds them up to date;
// node_modules shared through symlinks, the workspace links pointing into the copy), run
// `nx g @vi-mmrec/tools:backend <name> --skipInstall` and `nx g @vi-mmrec/tools:integration …`,
// link the new packages as `npm install` would, then build, typecheck and lint them, and run
// their tests (the backend's conformance suite included).
// Needs a built repository (`tsc -b`, as npm test's first step). The repository itself is not
// touched; the scratch copy is removed.
//
//   node tools/generators/check-in-copy.mjs [--keep]
//
// Ends with "N passed, N failed" (one per step).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const keep = process.argv.includes('--keep');
const NAME = 'generated-probe';
const env = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_'))),
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  NX_TUI: 'false',
};
const scratch = mkdtempSync(join(tmpdir(), 'vi-mmrec-generator-'));
const results = [];

const step = (label, cmd, args, cwd = scratch) => {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ok = r.status === 0;
  results.push(ok);
  process.stdout.write(`${ok ? 'PASS' : 'FAIL'}  ${label} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
  if (!ok)
    process.stdout.write(
      `${`$ ${cmd} ${args.join(' ')}\n${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trimEnd().replace(/^/gm, '      ')}\n`,
    );
  return ok;
};

try {
  // 1. The copy: tracked files and dist/ folders, through tar (keeps modification times).
  const tracked = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' });
  if (tracked.status !== 0) throw new Error(`git ls-files failed: ${tracked.stderr}`);
  const files = tracked.stdout.split('\0').filter((f) => f !== '' && existsSync(join(root, f)));
  const dists = readdirSync(join(root, 'packages'))
    .filter((d) => files.includes(`packages/${d}/package.json`) && existsSync(join(root, 'packages', d, 'dist')))
    .map((d) => `packages/${d}/dist`);
  const list = [...files, ...dists].join('\0');
  const pack = spawnSync('sh', ['-c', `tar -C "${root}" --null -T - -cf - | tar -C "${scratch}" -xf -`], { input: list, encoding: 'utf8' });
  if (pack.status !== 0) throw new Error(`copying the repository failed: ${pack.stderr}`);
  // 2. node_modules: every entry a symlink to ours, except the workspace links, which point into the copy.
  const modules = join(scratch, 'node_modules');
  mkdirSync(join(modules, '@vi-mmrec'), { recursive: true });
  for (const e of readdirSync(join(root, 'node_modules')))
    if (e !== '@vi-mmrec') symlinkSync(join(root, 'node_modules', e), join(modules, e));
  const link = (name, target) => symlinkSync(join('../..', target), join(modules, '@vi-mmrec', name));
  for (const e of readdirSync(join(root, 'node_modules/@vi-mmrec'))) {
    const target = e === 'tools' ? 'tools' : `packages/${e}`;
    if (existsSync(join(scratch, target))) link(e, target);
  }
  process.stdout.write(`scratch copy: ${scratch}\n`);

  const nx = join(root, 'node_modules/.bin/nx');
  const bin = (tool) => join(root, 'node_modules/.bin', tool);
  const made = [];
  for (const kind of ['backend', 'integration']) {
    if (
      step(`nx g @vi-mmrec/tools:${kind} ${NAME} --skipInstall`, nx, [
        'g',
        `@vi-mmrec/tools:${kind}`,
        NAME,
        '--skipInstall',
        '--no-interactive',
      ])
    ) {
      const folder = `${kind}-${NAME}`;
      link(folder, `packages/${folder}`); // what npm install does for a new workspace package
      made.push(folder);
    }
  }
  if (made.length > 0) {
    step('tsc -b (the root references include the new packages)', bin('tsc'), ['-b']);
    step(
      'lint the new packages',
      bin('eslint'),
      made.map((f) => `packages/${f}`),
    );
    step('format of the new packages (prettier --check)', bin('prettier'), ['--check', ...made.map((f) => `packages/${f}`)]);
    for (const folder of made) {
      const pkg = join(scratch, 'packages', folder);
      step(`typecheck packages/${folder} (src and tests)`, bin('tsc'), ['-p', 'tsconfig.json'], pkg);
      step(`test packages/${folder}${folder.startsWith('backend-') ? ' (unit + conformance suite)' : ''}`, bin('vitest'), ['run'], pkg);
    }
    if (existsSync(join(scratch, 'tools/repo-check.mjs'))) {
      // It asks git which files are tracked: make the copy a repository with everything added.
      spawnSync('sh', ['-c', 'git init -q && git add -A'], { cwd: scratch });
      step('repository consistency (references, nx inputs)', 'node', ['tools/repo-check.mjs']);
    }
  }
} catch (e) {
  results.push(false);
  process.stdout.write(`FAIL  ${e instanceof Error ? e.message : String(e)}\n`);
} finally {
  if (keep) process.stdout.write(`kept ${scratch}\n`);
  else rmSync(scratch, { recursive: true, force: true });
}
const passed = results.filter(Boolean).length;
process.stdout.write(
  `\ngenerator check: ${passed === results.length ? 'PASS' : 'FAIL'}\n${passed} passed, ${results.length - passed} failed\n`,
);
process.exitCode = passed === results.length ? 0 : 1;
