#!/usr/bin/env node
import { stripVTControlCharacters } from 'node:util';
// Builds the docs site and checks it (`npm run docs`):
//  1. one site, guides and API reference in one navigation: TypeDoc (typedoc.json) into
//     docs/reference/api/ (HTML, gitignored; open its index.html). Its home page is docs/index.md
//     (`readme`), the guides are TypeDoc project documents (`projectDocuments`): every
//     docs/**/*.md except docs/index.md and docs/reference/ must be one (checked: each gets its
//     page under documents/). Entry
//     points = every public package's exported entries (the `@vi-mmrec/source` targets of its
//     `exports`, except side-effect-only entries such as `./register`); typedoc.json must list
//     exactly those (checked, so `npx typedoc` alone stays right). Every TypeDoc warning is an
//     error — an export without TSDoc, a broken {@link}, a type used but not exported — except an
//     undocumented *member* of a documented export (an interface property, a method), which is
//     listed and becomes an error with --strict.
//  2. links: every relative link and anchor in docs/**/*.md (the generated API excepted), in
//     packages/*/README.md and in the root README.md must resolve — the file exists, and a
//     `#fragment` names a heading (GitHub slugs) or an explicit id in that file. External links
//     (http:, https:, mailto:) are not fetched (CI is offline).
//
//   node tools/docs/build.mjs [--no-api] [--strict] [--json=<file>]
//
// Ends with "N passed, N failed" (one check per file plus the API build).
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, workspacePackages } from '../publish/lib.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const noApi = args.includes('--no-api');
const strictMembers = args.includes('--strict');
const jsonOut = args.find((a) => a.startsWith('--json='))?.slice(7);
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')));
const API_OUT = 'docs/reference/api';
const results = [];
const record = (name, ok, detail = '') => {
  results.push({ name, ok, detail });
  process.stdout.write(`${ok ? 'PASS' : 'FAIL'}  ${name}${detail ? `\n${detail.replace(/^/gm, '      ')}` : ''}\n`);
};

// ---------------------------------------------------------------------------------------------
// 1. API reference

/** The source files of a package's public entries (side-effect-only entries excluded). */
function entryPoints(pkg) {
  const side = Array.isArray(pkg.json.sideEffects) ? pkg.json.sideEffects.map((s) => s.replace(/^\.\//, '')) : [];
  const out = [];
  for (const target of Object.values(pkg.json.exports ?? {})) {
    const src = typeof target === 'object' && target ? target['@vi-mmrec/source'] : undefined;
    if (typeof src !== 'string' || !src.endsWith('.ts')) continue;
    const rel = src.replace(/^\.\//, '');
    if (side.includes(rel)) continue;
    out.push(`packages/${pkg.folder}/${rel}`);
  }
  return out;
}

if (!noApi) {
  const started = performance.now();
  const expected = workspacePackages(root)
    .filter((p) => !p.private)
    .flatMap(entryPoints)
    .sort();
  const config = JSON.parse(readFileSync(join(root, 'typedoc.json'), 'utf8'));
  const publicNames = workspacePackages(root)
    .filter((p) => !p.private)
    .map((p) => p.name)
    .sort();
  const diff = (want, have, what) => {
    const missing = want.filter((e) => !have.includes(e));
    const extra = have.filter((e) => !want.includes(e));
    if (missing.length > 0 || extra.length > 0) {
      record(
        `typedoc.json ${what}`,
        false,
        `${missing.length ? `missing: ${missing.join(', ')}\n` : ''}${extra.length ? `not public: ${extra.join(', ')}` : ''}`.trim(),
      );
    }
  };
  diff(expected, [...(config.entryPoints ?? [])].sort(), 'entryPoints = the public packages’ entries');
  diff(publicNames, [...(config.packagesRequiringDocumentation ?? [])].sort(), 'packagesRequiringDocumentation = the public packages');
  rmSync(join(root, API_OUT), { recursive: true, force: true });
  // Warnings are collected rather than fatal, to tell an undocumented export (an error) from an
  // undocumented member of a documented export (an error with --strict, else reported).
  const td = await run(
    join(root, 'node_modules/.bin/typedoc'),
    [
      '--options',
      'typedoc.json',
      '--entryPoints',
      ...expected,
      '--treatWarningsAsErrors',
      'false',
      '--treatValidationWarningsAsErrors',
      'false',
    ],
    { cwd: root, env },
  );
  const text = stripVTControlCharacters(`${td.stdout}${td.stderr}`).trim();
  const lines = text.split('\n').filter((l) => /^\[(warning|error)\]/.test(l) && !/^\[warning\] Found \d+ errors/.test(l));
  const undocumented = lines
    .map((l) => /^\[warning\] (\S+) \((\w+)\), defined in (\S+), does not have any documentation/.exec(l))
    .filter(Boolean);
  const other = lines.filter((l) => !/does not have any documentation/.test(l));
  // "@vi-mmrec/core.augment" is an export; "@vi-mmrec/core.Logger.info" a member of one.
  const isMember = (name) => name.slice(name.indexOf('.') + 1).includes('.');
  const exportsMissing = undocumented.filter((m) => !isMember(m[1]));
  const membersMissing = undocumented.filter((m) => isMember(m[1]));
  const built = td.code === 0 && existsSync(join(root, API_OUT, 'index.html'));
  record(
    `API reference (typedoc, ${expected.length} entry points → ${API_OUT}/, ${((performance.now() - started) / 1000).toFixed(1)} s)`,
    built && other.length === 0,
    built ? other.join('\n') : text.split('\n').slice(-20).join('\n'),
  );
  // Every guide is a page of the site (typedoc.json projectDocuments), the home page is docs/index.md.
  const guides = walk(join(root, 'docs'))
    .map((f) => relative(root, f).split('\\').join('/'))
    .filter((f) => f !== 'docs/index.md' && !f.startsWith('docs/reference/'));
  const pageOf = (f) => join(root, API_OUT, 'documents', `${f.slice('docs/'.length, -'.md'.length).replaceAll('/', '_')}.html`);
  const notInSite = guides.filter((f) => !existsSync(pageOf(f)));
  if (built) {
    record(
      `docs site: home = docs/index.md, ${guides.length - notInSite.length}/${guides.length} guides beside the API in one navigation`,
      config.readme === 'docs/index.md' && notInSite.length === 0,
      [
        config.readme === 'docs/index.md' ? '' : `typedoc.json: "readme" must be "docs/index.md" (it is ${JSON.stringify(config.readme)})`,
        ...notInSite.map((f) => `${f}: not in the site; add it to typedoc.json "projectDocuments"`),
      ]
        .filter(Boolean)
        .join('\n'),
    );
  }
  record(
    `TSDoc on every export (${exportsMissing.length} missing)`,
    exportsMissing.length === 0,
    exportsMissing.map((m) => `${m[1]} (${m[2]}) in ${m[3]}`).join('\n'),
  );
  const byPackage = new Map();
  for (const m of membersMissing) {
    const pkg = m[1].slice(0, m[1].indexOf('.'));
    byPackage.set(pkg, [...(byPackage.get(pkg) ?? []), `${m[1].slice(pkg.length + 1)} (${m[2]})`]);
  }
  const memberDetail = [...byPackage].map(([pkg, names]) => `${pkg}: ${names.length}: ${names.join(', ')}`).join('\n');
  if (strictMembers)
    record(`TSDoc on every member of an export (${membersMissing.length} missing)`, membersMissing.length === 0, memberDetail);
  else if (membersMissing.length > 0)
    process.stdout.write(
      `note  ${membersMissing.length} members of exports have no TSDoc (an error with --strict):\n${memberDetail.replace(/^/gm, '      ')}\n`,
    );
}

// ---------------------------------------------------------------------------------------------
// 2. links

function walk(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (relative(root, p) !== API_OUT && e.name !== 'node_modules') walk(p, out);
    } else if (e.name.endsWith('.md')) out.push(p);
  }
  return out;
}

/** Markdown without fenced code blocks and inline code spans (their brackets are not links). */
function stripCode(md) {
  return md
    .replace(/^(```+|~~~+)[^\n]*\n[\s\S]*?^\1[ \t]*$/gm, (m) => m.replace(/[^\n]/g, ' '))
    .replace(/(`+)(?!`)[\s\S]*?[^`]\1(?!`)/g, (m) => m.replace(/[^\n]/g, ' '));
}

/** GitHub's heading slugs (github-slugger), with -1, -2 … for repeats, plus explicit ids. */
function anchorsOfMarkdown(md) {
  const anchors = new Set();
  const seen = new Map();
  const plain = md.replace(/^(```+|~~~+)[^\n]*\n[\s\S]*?^\1[ \t]*$/gm, '');
  for (const m of plain.matchAll(/^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const text = m[1]
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images → their text
      .replace(/<[^>]+>/g, '') // inline html
      .replace(/[`*]/g, '');
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  for (const m of md.matchAll(/<a\s+(?:[^>]*?\s)?(?:id|name)=["']([^"']+)["']/gi)) anchors.add(m[1]);
  return anchors;
}

function anchorsOfHtml(html) {
  return new Set([...html.matchAll(/\s(?:id|name)=["']([^"']+)["']/g)].map((m) => m[1]));
}

const anchorCache = new Map();
function anchorsOf(file) {
  if (!anchorCache.has(file)) {
    const text = readFileSync(file, 'utf8');
    anchorCache.set(file, file.endsWith('.md') ? anchorsOfMarkdown(text) : anchorsOfHtml(text));
  }
  return anchorCache.get(file);
}

/** Every link target of a markdown file with its line: inline, reference definitions, html href/src. */
function linksOf(md) {
  const text = stripCode(md);
  const lineOf = (index) => text.slice(0, index).split('\n').length;
  const links = [];
  for (const m of text.matchAll(/!?\[(?:[^[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+["'(][^)]*)?\)/g))
    links.push({ target: m[1], line: lineOf(m.index) });
  for (const m of text.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)) links.push({ target: m[1], line: lineOf(m.index) });
  for (const m of text.matchAll(/<(?:a|img)\s[^>]*?(?:href|src)=["']([^"']+)["']/gi)) links.push({ target: m[1], line: lineOf(m.index) });
  return links;
}

const files = [
  ...walk(join(root, 'docs')),
  ...readdirSync(join(root, 'packages'))
    .map((d) => join(root, 'packages', d, 'README.md'))
    .filter((f) => existsSync(f)),
  ...(existsSync(join(root, 'README.md')) ? [join(root, 'README.md')] : []),
].sort();

let linkCount = 0;
for (const file of files) {
  const rel = relative(root, file);
  const broken = [];
  for (const { target, line } of linksOf(readFileSync(file, 'utf8'))) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue; // external
    linkCount += 1;
    const [pathPart, fragment] = target.split('#', 2);
    let path;
    try {
      path = decodeURIComponent(pathPart ?? '');
    } catch {
      broken.push(`${rel}:${line}: ${target} (bad URL encoding)`);
      continue;
    }
    if (path.startsWith('/')) {
      broken.push(`${rel}:${line}: ${target} (absolute path: use a relative link)`);
      continue;
    }
    const dest = path === '' ? file : resolve(dirname(file), path);
    if (!dest.startsWith(root)) {
      broken.push(`${rel}:${line}: ${target} (points outside the repository)`);
      continue;
    }
    if (!existsSync(dest)) {
      const hint = relative(root, dest).startsWith(API_OUT) && noApi ? ' — generated by typedoc; run without --no-api' : '';
      broken.push(`${rel}:${line}: ${target} (no such file: ${relative(root, dest)}${hint})`);
      continue;
    }
    if (fragment === undefined || fragment === '') continue;
    let anchorFile = dest;
    if (statSync(dest).isDirectory()) {
      anchorFile = ['README.md', 'index.md', 'index.html'].map((f) => join(dest, f)).find((f) => existsSync(f));
      if (!anchorFile) {
        broken.push(`${rel}:${line}: ${target} (anchor into a folder without README.md/index.md)`);
        continue;
      }
    }
    if (!/\.(md|html?)$/.test(anchorFile)) continue;
    let frag = fragment;
    try {
      frag = decodeURIComponent(fragment);
    } catch {
      /* compare as written */
    }
    if (!anchorsOf(anchorFile).has(frag)) {
      broken.push(`${rel}:${line}: ${target} (no heading or id "${frag}" in ${relative(root, anchorFile)})`);
    }
  }
  record(`links in ${rel}`, broken.length === 0, broken.join('\n'));
}

const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
process.stdout.write(`\nchecked ${linkCount} relative links in ${files.length} files\n`);
if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify({ passed, failed, results }, null, 2)}\n`);
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exitCode = failed > 0 ? 1 : 0;
