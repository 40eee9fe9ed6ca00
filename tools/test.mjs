#!/usr/bin/env node
// `npm test`: every check CI runs, then every vitest project. Ends with the line CI reads:
// "N passed, N failed" (vitest tests plus one per whole-repo check below).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
const run = (label, cmd, args) => {
  process.stdout.write(`\n== ${label}: ${cmd} ${args.join(' ')}\n`);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { stdio: 'inherit', env });
  process.stdout.write(`== ${label}: ${r.status === 0 ? 'ok' : 'FAILED'} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
  return r.status === 0;
};

const checks = [
  ['build', 'npx', ['--no-install', 'tsc', '-b']],
  ['typecheck tests', 'npx', ['--no-install', 'nx', 'run-many', '-t', 'typecheck', '--outputStyle=static', '--skip-nx-cache']],
  ['lint', 'npx', ['--no-install', 'eslint', '.']],
  ['format (prettier --check; fix with npm run format)', 'npx', ['--no-install', 'prettier', '--check', '.']],
  ['repository consistency (references, nx inputs, ignored files)', 'node', ['tools/repo-check.mjs']],
  ['changesets', 'node', ['tools/publish/changeset-check.mjs']],
  ['docs site (guides + API reference, links)', 'node', ['tools/docs/build.mjs']],
  ['package hygiene (publint, attw, READMEs, declarations compile for a consumer)', 'node', ['tools/publish/package-check.mjs']],
  [
    'publish to a local registry, install, run the quickstart, compile a TypeScript consumer; the same from npm run pack tarballs',
    'node',
    ['tools/publish/run.mjs'],
  ],
  [
    'generators (backend, integration) in a copy of the repo: nx g, build, typecheck, lint, tests',
    'node',
    ['tools/generators/check-in-copy.mjs'],
  ],
];
const only = process.env.VI_MMREC_TEST_ONLY; // e.g. "vitest" to skip the whole-repo checks
const failures = [];
let checksPassed = 0;
for (const [label, cmd, args] of checks) {
  if (only === 'vitest' && label !== 'build') continue;
  if (run(label, cmd, args)) checksPassed++;
  else failures.push(label);
}

const dir = mkdtempSync(join(tmpdir(), 'vi-mmrec-test-'));
const out = join(dir, 'results.json');
// The conformance suite records each backend's per-case outcomes here; the matrix is checked against them.
const conformance = join(dir, 'conformance');
env.VI_MMREC_CONFORMANCE_RESULTS = conformance;
run('tests', 'npx', [
  '--no-install',
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${out}`,
  ...process.argv.slice(2),
]);
let passed = checksPassed;
let failed = failures.length;
let skipped = 0;
try {
  const results = JSON.parse(readFileSync(out, 'utf8'));
  passed += results.numPassedTests;
  failed += results.numFailedTests;
  skipped = results.numPendingTests + results.numTodoTests;
  // A test file that fails to load has no tests but must count as a failure.
  failed += results.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length;
} catch {
  failures.push('vitest (no results file)');
  failed++;
}
// Only a full run has every backend's results (arguments filter the tests).
if (process.argv.length <= 2) {
  const label = 'conformance matrix = the suite results';
  if (run(label, 'node', ['tools/docs/conformance-matrix.mjs', `--results=${conformance}`, '--check'])) passed++;
  else {
    failures.push(label);
    failed++;
  }
}
rmSync(dir, { recursive: true, force: true });
if (failures.length > 0) process.stdout.write(`\nfailed checks: ${failures.join(', ')}\n`);
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`);
process.exitCode = failed > 0 ? 1 : 0;
