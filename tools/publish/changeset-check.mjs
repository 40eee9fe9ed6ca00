#!/usr/bin/env node
// CI gate: a change to a published package must come with a changeset.
//
//   node tools/publish/changeset-check.mjs [--since=<ref>] [--verbose]
//
// Which commits are "the change" (the base passed to `changeset status --since`):
//  1. --since=<ref> or $CHANGESET_SINCE, when given (e.g. a PR's target branch);
//  2. else, when a remote-tracking base branch exists (origin/<baseBranch> from
//     .changeset/config.json) and HEAD is not on it: the merge base with it (a feature branch);
//  3. else — on main itself, e.g. CI's fresh clone where main is the only branch, where
//     `--since=main` would compare main with itself and check nothing — the last release: the
//     newest commit that changed a packages/*/CHANGELOG.md (what `changeset version` writes). Every
//     change since then is unreleased and must be covered by a pending changeset. Before the first
//     release there is no such commit and the base is the root commit: everything is unreleased.
//     A shallow clone without that history is deepened (`git fetch --unshallow`) when it has a
//     remote, else the check fails and says so, rather than pass on a guess.
//
// Checks, both against that base:
//  a. `changeset status --since=<base>` (changesets' own rule: some package changed and no
//     changeset added → fail);
//  b. stricter, per package: every published (non-private, non-ignored) package with a changed file
//     (matching the config's changedFilePatterns, default every file) is named by a changeset added
//     since the base — unless such a changeset is empty (`changeset add --empty`: "no release
//     needed"), which is the explicit opt-out changesets documents.
// Ends with "N passed, N failed".
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, workspacePackages } from './lib.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const verbose = args.includes('--verbose');
const config = JSON.parse(readFileSync(join(root, '.changeset/config.json'), 'utf8'));
const baseBranch = config.baseBranch ?? 'main';
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')));
const git = async (...a) => {
  const r = await run('git', a, { cwd: root, env });
  return r.code === 0 ? r.stdout.trim() : null;
};
const out = (s) => process.stdout.write(`${s}\n`);
let passed = 0;
let failed = 0;
const check = (ok, msg) => {
  out(`${ok ? 'PASS' : 'FAIL'}  ${msg}`);
  if (ok) passed += 1;
  else failed += 1;
};

async function findBase() {
  const explicit = args.find((a) => a.startsWith('--since='))?.slice(8) ?? process.env.CHANGESET_SINCE;
  if (explicit) return { ref: explicit, why: 'given' };
  if ((await git('rev-parse', '--is-shallow-repository')) === 'true') {
    const remote = await git('remote');
    if (remote) await git('fetch', '--unshallow', '--quiet');
    if ((await git('rev-parse', '--is-shallow-repository')) === 'true') {
      throw new Error('shallow clone without history: clone with full history or pass --since=<ref>');
    }
  }
  const head = await git('rev-parse', 'HEAD');
  const remoteBase = await git('rev-parse', '--verify', '--quiet', `refs/remotes/origin/${baseBranch}`);
  if (remoteBase) {
    const mb = await git('merge-base', remoteBase, 'HEAD');
    if (mb && mb !== head) return { ref: mb, why: `merge base with origin/${baseBranch}` };
  }
  const release = await git('log', '-1', '--format=%H', '--', 'packages/*/CHANGELOG.md');
  if (release) return { ref: release, why: 'last release (newest commit changing a CHANGELOG.md)' };
  const roots = (await git('rev-list', '--max-parents=0', 'HEAD'))?.split('\n') ?? [];
  return { ref: roots.at(-1), why: 'no release yet: the root commit' };
}

function matches(file, patterns) {
  // The subset of micromatch that changedFilePatterns use in practice: **, *, literal paths.
  return patterns.some((p) => {
    const body = p
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*\*\//g, '\uE000')
      .replace(/\*\*/g, '\uE001')
      .replace(/\*/g, '[^/]*')
      .replace(/\uE000/g, '(?:.*/)?')
      .replace(/\uE001/g, '.*');
    const re = new RegExp(`^${body}$`);
    return re.test(file);
  });
}

try {
  const base = await findBase();
  const short = (await git('rev-parse', '--short', base.ref)) ?? base.ref;
  out(`changeset check since ${short} (${base.why})`);

  // a. changesets' own rule, and its release plan as JSON.
  const dir = mkdtempSync(join(tmpdir(), 'vi-mmrec-changeset-'));
  let plan = null;
  try {
    const status = await run(
      join(root, 'node_modules/.bin/changeset'),
      ['status', `--since=${base.ref}`, `--output=${join(dir, 'plan.json')}`],
      { cwd: root, env },
    );
    const text = `${status.stdout}${status.stderr}`.trim();
    check(status.code === 0, `changeset status --since=${short}${status.code === 0 ? '' : `\n${text}`}`);
    if (verbose && text) out(text);
    if (status.code === 0) plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // b. per package.
  const changed = ((await git('diff', '--name-only', `${base.ref}...HEAD`)) ?? '').split('\n').filter(Boolean);
  const patterns = config.changedFilePatterns ?? ['**'];
  const ignore = new Set(config.ignore ?? []);
  const published = workspacePackages(root).filter((p) => !p.private && !ignore.has(p.name));
  const touched = published.filter((p) => {
    const prefix = `packages/${p.folder}/`;
    return changed.some((f) => f.startsWith(prefix) && !f.endsWith('CHANGELOG.md') && matches(f.slice(prefix.length), patterns));
  });
  const changesets = plan?.changesets ?? [];
  const named = new Set(changesets.flatMap((c) => c.releases.map((r) => r.name)));
  const empty = changesets.filter((c) => c.releases.length === 0);
  const uncovered = touched.filter((p) => !named.has(p.name));
  if (uncovered.length === 0 || empty.length > 0) {
    check(
      true,
      `${touched.length} changed published package(s), ${changesets.length} changeset(s) since ${short}` +
        (uncovered.length > 0
          ? `; not named but covered by an empty changeset (${empty.map((c) => c.id).join(', ')}): ${uncovered.map((p) => p.name).join(', ')}`
          : ''),
    );
  } else {
    check(
      false,
      `changed without a changeset: ${uncovered.map((p) => p.name).join(', ')}.\n` +
        '      Run `npx changeset` and pick these packages (or `npx changeset --empty` if users see no change).',
    );
  }
  if (plan && verbose) for (const r of plan.releases) out(`      ${r.name}: ${r.oldVersion} → ${r.newVersion} (${r.type})`);
} catch (error) {
  check(false, error instanceof Error ? error.message : String(error));
}
out(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
