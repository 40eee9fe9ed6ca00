#!/usr/bin/env node
// Package hygiene of every public package, on the built dist (run `tsc -b` first):
//   publint --strict, attw --pack --profile esm-only, and our own checks of the packed file list
//   (README present, no build info or tests shipped, every export target packed) and of the
//   manifest (peer ranges of workspace packages, ESM-only, engines); then, for all public packages
//   at once, that their declarations compile for a consumer: every entry of every package plus the
//   consumer in tools/publish/consumer/, with that folder's tsconfig (`strict`,
//   `skipLibCheck: false`). The publish test compiles the same consumer against the published
//   packages; this catches a broken declaration (e.g. `stripInternal` removing an exported
//   symbol) in every package, before publishing.
//
//   node tools/publish/package-check.mjs [package-folder …] [--json=<file>]
//
// Ends with "N passed, N failed" (one check per package and tool).
import { writeFileSync, existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, workspacePackages } from './lib.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const jsonOut = args.find((a) => a.startsWith('--json='))?.slice(7);
const only = args.filter((a) => !a.startsWith('--'));
const bin = (n) => join(root, 'node_modules/.bin', n);
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')));

const all = workspacePackages(root);
const pkgs = all.filter((p) => !p.private && (only.length === 0 || only.includes(p.folder)));
const results = [];
const record = (pkg, check, ok, detail = '') => {
  results.push({ package: pkg, check, ok, detail });
  process.stdout.write(`${ok ? 'PASS' : 'FAIL'}  ${pkg.padEnd(36)} ${check}${detail ? `\n${detail.replace(/^/gm, '        ')}` : ''}\n`);
};

/** Every file path an `exports` map points at (all conditions but the source one). */
function exportTargets(exp, out = []) {
  if (typeof exp === 'string') out.push(exp);
  else if (exp && typeof exp === 'object') {
    for (const [k, v] of Object.entries(exp)) if (k !== '@vi-mmrec/source') exportTargets(v, out);
  }
  return out;
}

for (const p of pkgs) {
  const name = p.name;
  if (!existsSync(join(p.dir, 'dist', 'index.js'))) {
    record(name, 'built', false, 'no dist/index.js: run `npx tsc -b` at the root first');
    continue;
  }
  const pub = await run(bin('publint'), ['--strict'], { cwd: p.dir, env });
  const pubOut = `${pub.stdout}${pub.stderr}`.trim();
  record(
    name,
    'publint --strict',
    pub.code === 0 && !/\b(error|warning)s?\b/i.test(pubOut.replace(/All good!/, '')),
    pub.code === 0 && /All good/.test(pubOut) ? '' : pubOut,
  );

  const attw = await run(bin('attw'), ['--pack', '--profile', 'esm-only', '--format', 'table-flipped'], { cwd: p.dir, env });
  record(name, 'attw --pack --profile esm-only', attw.code === 0, attw.code === 0 ? '' : `${attw.stdout}${attw.stderr}`.trim());

  // What `npm pack` would ship.
  const pack = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: p.dir, env });
  let files = [];
  try {
    files = JSON.parse(pack.stdout)[0].files.map((f) => f.path);
  } catch {
    record(name, 'npm pack file list', false, `${pack.stdout}${pack.stderr}`.trim());
    continue;
  }
  const problems = [];
  if (!files.some((f) => /^readme(\.md)?$/i.test(f))) problems.push('no README.md');
  const junk = files.filter((f) => /\.tsbuildinfo$|(^|\/)(test|__tests__)\/|\.test\.[cm]?[jt]s$/.test(f));
  if (junk.length > 0) problems.push(`ships build info or tests: ${junk.join(', ')}`);
  const missing = exportTargets(p.json.exports).filter((t) => !files.includes(t.replace(/^\.\//, '')));
  if (missing.length > 0) problems.push(`export targets not packed: ${missing.join(', ')}`);
  if (p.json.type !== 'module') problems.push('"type" is not "module"');
  if (!p.json.engines?.node) problems.push('no engines.node');
  for (const [dep, range] of Object.entries({ ...p.json.dependencies, ...p.json.peerDependencies })) {
    if (/^(workspace:|file:|link:|\*)/.test(range)) problems.push(`${dep}: non-publishable range ${range}`);
  }
  if (p.json.dependencies?.['@vi-mmrec/core'] && p.folder.startsWith('backend-'))
    problems.push('a backend must take @vi-mmrec/core as a peer, not a dependency');
  record(name, `packed files (${files.length})`, problems.length === 0, problems.join('\n'));
}

if (only.length === 0 && pkgs.every((p) => existsSync(join(p.dir, 'dist', 'index.js')))) await checkDeclarations();

/**
 * Compiles an `export * as` of every entry of every public package, plus the consumer files, as
 * a consumer would (types resolved through `exports`, from dist). Errors inside third-party
 * declarations (tfjs's own, which fail `strict` whatever we do) are reported, not counted.
 */
async function checkDeclarations() {
  const consumer = join(root, 'tools/publish/consumer');
  const dir = mkdtempSync(join(tmpdir(), 'vi-mmrec-types-'));
  try {
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    const entries = pkgs.flatMap((p) =>
      Object.keys(p.json.exports ?? { '.': null })
        .filter((k) => k !== './package.json')
        .map((k) => `${p.name}${k.slice(1)}`),
    );
    writeFileSync(join(dir, 'entries.ts'), entries.map((e, i) => `export * as entry${i} from '${e}';\n`).join(''));
    const files = [
      'entries.ts',
      ...readdirSync(consumer)
        .filter((f) => f.endsWith('.ts'))
        .map((f) => join(consumer, f)),
    ];
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: join(consumer, 'tsconfig.json'), files }));
    const r = await run(bin('tsc'), ['-p', join(dir, 'tsconfig.json'), '--pretty', 'false'], { cwd: root, env });
    // One diagnostic = a "file(line,col): error" line and its indented continuation lines.
    const diagnostics = `${r.stdout}${r.stderr}`
      .split(/\n(?=\S)/)
      .filter((d) => /: error TS\d+/.test(d))
      .map((d) => d.trimEnd());
    const thirdParty = diagnostics.filter((d) => /^[^(]*node_modules\//.test(d) && !/^[^(]*node_modules\/@vi-mmrec\//.test(d));
    const ours = diagnostics.filter((d) => !thirdParty.includes(d));
    const ok = r.code === 0 || (ours.length === 0 && thirdParty.length > 0);
    if (!ok && ours.length === 0) ours.push(`tsc exited with ${r.code}: ${r.stdout}${r.stderr}`.trim());
    const note =
      thirdParty.length > 0
        ? `(not counted: ${thirdParty.length} errors inside third-party declarations: ${[...new Set(thirdParty.map((d) => d.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1]))].join(', ')})`
        : '';
    record(
      `${entries.length} entries + tools/publish/consumer`,
      'declarations compile for a consumer (strict, skipLibCheck: false)',
      ok,
      [
        ours.length > 0
          ? `${ours.join('\n')}\nfix the declaration (an @internal tag on an exported symbol is removed by stripInternal) or the consumer`
          : '',
        note,
      ]
        .filter(Boolean)
        .join('\n'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify({ passed, failed, results }, null, 2)}\n`);
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exitCode = failed > 0 ? 1 : 0;
