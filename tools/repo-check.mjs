#!/usr/bin/env node
// Repository consistency: the lists a new package or a new shared file would otherwise need
// someone to remember to edit, checked against what they are derived from. Each failure says
// what to add or remove.
//  1. root tsconfig.json `references` = every packages/*/tsconfig.build.json (for `tsc -b`);
//  2. a package's tsconfig.build.json `references` cover the workspace packages its src/ imports,
//     and name only its dependencies (dependencies, peer or optional);
//  3. nx.json `sharedGlobals` holds every root file a package's config extends or imports
//     (tsconfig.base.json, vitest.shared.ts, …), so nx's cache sees their changes;
//  4. no tracked file is one .gitignore ignores (scratch files, Python bytecode, build output).
//  5. every doc that tells a user to install a @vi-mmrec package from the npm registry
//     (`npm install …@vi-mmrec/…`, `npm i …`, `npx @vi-mmrec/…`) says which route applies: the
//     same section (heading to heading) links to docs/guide/installing.md, which explains that
//     the packages are not on the registry before the first release and how to install them
//     from a clone. README.md, docs/**/*.md and packages/*/README.md are checked;
//  6. the release workflow is the changesets one: .github/workflows/release.yml runs
//     changesets/action with `publish: npm run release`, npm provenance and `id-token: write`,
//     gated on the NPM_TOKEN secret, and package.json's `release` script publishes with changesets.
// typedoc.json's entry points are checked by tools/docs/build.mjs (it builds the API reference).
//
//   node tools/repo-check.mjs
//
// Ends with "N passed, N failed" (one check per item above).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workspacePackages } from './publish/lib.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const results = [];
const record = (name, problems) => {
  results.push({ name, ok: problems.length === 0 });
  process.stdout.write(`${problems.length === 0 ? 'PASS' : 'FAIL'}  ${name}${problems.map((p) => `\n      ${p}`).join('')}\n`);
};
/** tsconfig files are JSON with comments and trailing commas. */
const readJsonc = (file) =>
  JSON.parse(
    readFileSync(file, 'utf8')
      .replace(/("(?:\\.|[^"\\])*")|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (m, str) => str ?? '')
      .replace(/,(\s*[}\]])/g, '$1'),
  );
const refPaths = (config, from) =>
  (config.references ?? []).map((r) => posix.normalize(posix.join(from, r.path.replace(/\/?$/, '')).replace(/\/tsconfig\.json$/, '')));

const pkgs = workspacePackages(root);
const built = pkgs.filter((p) => existsSync(join(p.dir, 'tsconfig.build.json')));

// 1. root references
{
  const want = built.map((p) => `packages/${p.folder}/tsconfig.build.json`);
  const have = refPaths(readJsonc(join(root, 'tsconfig.json')), '.');
  record('tsconfig.json references every package build (tsc -b)', [
    ...want.filter((w) => !have.includes(w)).map((w) => `tsconfig.json: add { "path": "${w}" } to "references"`),
    ...have.filter((h) => !want.includes(h)).map((h) => `tsconfig.json: remove the reference to ${h} (no such package build)`),
  ]);
}

// 2. per-package references
{
  const byName = new Map(pkgs.map((p) => [p.name, p]));
  const sources = (dir) =>
    readdirSync(dir, { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && /\.[cm]?tsx?$/.test(e.name) && !/\.test\.[cm]?tsx?$/.test(e.name))
      .map((e) => join(e.parentPath, e.name));
  const problems = [];
  for (const p of built) {
    const file = `packages/${p.folder}/tsconfig.build.json`;
    const have = refPaths(readJsonc(join(root, file)), `packages/${p.folder}`);
    const imported = new Set();
    for (const f of sources(join(p.dir, 'src'))) {
      for (const m of readFileSync(f, 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*['"](@vi-mmrec\/[a-z0-9-]+)/g)) {
        if (m[1] !== p.name && byName.has(m[1])) imported.add(m[1]);
      }
    }
    const deps = new Set(Object.keys({ ...p.json.dependencies, ...p.json.peerDependencies, ...p.json.optionalDependencies }));
    for (const name of [...imported].sort()) {
      const target = `packages/${byName.get(name).folder}/tsconfig.build.json`;
      if (!have.includes(target))
        problems.push(`${file}: src imports ${name}; add { "path": "../${byName.get(name).folder}/tsconfig.build.json" } to "references"`);
      if (!deps.has(name))
        problems.push(`packages/${p.folder}/package.json: src imports ${name}; add it to "dependencies" or "peerDependencies"`);
    }
    for (const h of have) {
      const dep = pkgs.find((q) => `packages/${q.folder}/tsconfig.build.json` === h);
      if (dep === undefined) problems.push(`${file}: remove the reference to ${h} (no such package build)`);
      else if (!deps.has(dep.name)) problems.push(`${file}: references ${dep.name}, which is not a dependency; remove it`);
    }
  }
  record('package tsconfig.build.json references follow their imports and dependencies', problems);
}

// 3. nx shared globals
{
  const shared = new Set(JSON.parse(readFileSync(join(root, 'nx.json'), 'utf8')).namedInputs?.sharedGlobals ?? []);
  const needed = new Map(); // root file -> who uses it
  const use = (file, by) => {
    if (!needed.has(file)) needed.set(file, by);
  };
  use('package.json', 'every package');
  use('eslint.config.js', 'every lint');
  use('vitest.config.ts', 'the vitest workspace');
  for (const p of pkgs) {
    for (const f of readdirSync(p.dir).filter((n) => /^(tsconfig.*\.json|vitest.*\.config\.[cm]?[jt]s)$/.test(n))) {
      const text = readFileSync(join(p.dir, f), 'utf8');
      const specs = f.endsWith('.json')
        ? [readJsonc(join(p.dir, f)).extends].flat().filter(Boolean)
        : [...text.matchAll(/from\s*['"](\.[^'"]+)['"]/g)].map((m) => m[1]);
      for (const spec of specs) {
        let target = relative(root, resolve(p.dir, spec)).split('\\').join('/');
        if (target.startsWith('..') || target.startsWith('packages/')) continue; // outside, or inside a package
        if (!existsSync(join(root, target)) && /\.js$/.test(target) && existsSync(join(root, target.replace(/\.js$/, '.ts'))))
          target = target.replace(/\.js$/, '.ts');
        use(target, `packages/${p.folder}/${f}`);
      }
    }
  }
  record(
    'nx.json sharedGlobals holds every shared root config file',
    [...needed]
      .filter(([f]) => !shared.has(`{workspaceRoot}/${f}`))
      .map(([f, by]) => `nx.json: add "{workspaceRoot}/${f}" to namedInputs.sharedGlobals (used by ${by})`),
  );
}

// 4. tracked files that .gitignore ignores
{
  const r = spawnSync('git', ['ls-files', '-z', '--cached', '--ignored', '--exclude-standard'], { cwd: root, encoding: 'utf8' });
  const problems =
    r.status !== 0
      ? [`git ls-files failed: ${r.stderr.trim()}`]
      : r.stdout
          .split('\0')
          .filter(Boolean)
          .map((f) => `${f} is tracked but ignored (scratch, bytecode or build output?): git rm --cached it`);
  record('no tracked file is ignored by .gitignore', problems);
}

// 5. registry install lines carry the route note
{
  const ROUTES = 'docs/guide/installing.md';
  const registryLine = /\bnpm\s+(?:install|i|add)\b[^\n]*?@vi-mmrec\/|\bnpx\s+(?:-\S+\s+)*@vi-mmrec\//;
  const mdFiles = (dir) =>
    readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && e.name.endsWith('.md') && !e.name.startsWith('CHANGELOG'))
      .map((e) => relative(root, join(e.parentPath, e.name)).split('\\').join('/'))
      .filter((f) => !f.startsWith('docs/reference/api/'));
  const files = [
    'README.md',
    ...mdFiles('docs'),
    ...pkgs.map((p) => `packages/${p.folder}/README.md`).filter((f) => existsSync(join(root, f))),
  ];
  const problems = [];
  for (const file of files) {
    const lines = readFileSync(join(root, file), 'utf8').split('\n');
    // Sections: heading to heading (a `#` line outside fenced code).
    let fence = false;
    const section = [];
    let n = 0;
    for (const l of lines) {
      if (/^(```|~~~)/.test(l)) fence = !fence;
      if (!fence && /^#{1,6}\s/.test(l)) n += 1;
      section.push(n);
    }
    const linksRoutes = new Set();
    const target = relative(dirname(join(root, file)), join(root, ROUTES))
      .split('\\')
      .join('/');
    lines.forEach((l, i) => {
      if (l.includes(`](${target}`) || (file === ROUTES && /\]\(#/.test(l))) linksRoutes.add(section[i]);
    });
    if (file === ROUTES) continue; // the page that explains the routes
    lines.forEach((l, i) => {
      if (registryLine.test(l) && !linksRoutes.has(section[i])) {
        problems.push(
          `${file}:${i + 1}: '${l.trim()}' installs from the npm registry, which has no @vi-mmrec package before the first release; link [installing](${target}) in the same section (today's route from a clone)`,
        );
      }
    });
  }
  record('docs that install @vi-mmrec packages from the registry link the install routes', problems);
}

// 6. the release workflow
{
  const file = '.github/workflows/release.yml';
  const problems = [];
  const text = existsSync(join(root, file)) ? readFileSync(join(root, file), 'utf8') : null;
  if (text === null) problems.push(`${file} is missing`);
  else {
    const want = [
      [/uses:\s*changesets\/action@v\d/, 'a step `uses: changesets/action@v1`'],
      [/^\s*publish:\s*npm run release\s*$/m, '`publish: npm run release`'],
      [/^\s*NPM_CONFIG_PROVENANCE:\s*true\s*$/m, '`NPM_CONFIG_PROVENANCE: true`'],
      [/^\s*id-token:\s*write\b/m, '`id-token: write` in permissions'],
      [/secrets\.NPM_TOKEN/, 'the NPM_TOKEN secret'],
    ];
    for (const [re, what] of want) if (!re.test(text)) problems.push(`${file}: needs ${what}`);
  }
  const release = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts?.release ?? '';
  if (!/changeset publish/.test(release))
    problems.push(`package.json: the "release" script must run \`changeset publish\` (it is "${release}")`);
  record('release workflow: changesets/action, npm run release, provenance, NPM_TOKEN', problems);
}

const passed = results.filter((r) => r.ok).length;
process.stdout.write(`\n${passed} passed, ${results.length - passed} failed\n`);
process.exitCode = passed === results.length ? 0 : 1;
