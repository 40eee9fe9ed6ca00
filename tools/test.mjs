#!/usr/bin/env node
// `npm test`: build (typechecks sources), typecheck tests, lint, then every vitest project.
// Ends with the line CI reads: "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
const run = (label, cmd, args) => {
  process.stdout.write(`\n== ${label}: ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env });
  return r.status === 0;
};

const failures = [];
if (!run('build', 'npx', ['--no-install', 'tsc', '-b'])) failures.push('build');
if (!run('typecheck tests', 'npx', ['--no-install', 'nx', 'run-many', '-t', 'typecheck', '--outputStyle=static'])) failures.push('typecheck');
if (!run('lint', 'npx', ['--no-install', 'eslint', '.'])) failures.push('lint');

const dir = mkdtempSync(join(tmpdir(), 'vi-mmrec-test-'));
const out = join(dir, 'results.json');
const extra = process.argv.slice(2);
run('tests', 'npx', ['--no-install', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...extra]);
let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const results = JSON.parse(readFileSync(out, 'utf8'));
  passed = results.numPassedTests;
  failed = results.numFailedTests;
  skipped = results.numPendingTests + results.numTodoTests;
  // A suite that fails to load has no tests but must count as a failure.
  failed += results.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length;
} catch {
  failures.push('vitest (no results file)');
}
rmSync(dir, { recursive: true, force: true });
// Lint, typecheck and build failures count as failed checks too.
failed += failures.length;
if (failures.length > 0) process.stdout.write(`\nfailed checks: ${failures.join(', ')}\n`);
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`);
process.exitCode = failed > 0 ? 1 : 0;
