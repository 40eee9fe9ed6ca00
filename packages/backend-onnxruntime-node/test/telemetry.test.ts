// onnxruntime-node 1.30 (Linux) starts a telemetry client with a process's first session, which
// leaves an empty $TMPDIR/mat-debug-<pid>.log (/tmp by default) behind; the backend turns it off.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { onnxruntimeNodeBackend } from '../src/index.js';
import { disableOrtTelemetry } from '../src/runtime.js';

/**
 * The debug logs in a fresh TMPDIR (onnxruntime writes `$TMPDIR/mat-debug-<pid>.log`). A private
 * directory per process: a shared /tmp holds hundreds of logs left by earlier processes, and pids
 * are reused, so a stale log named by the pid under test would decide the test by chance.
 */
const freshTmp = (): string => mkdtempSync(join(tmpdir(), 'vi-mmrec-ort-telemetry-'));
const debugLogs = (dir: string): string[] => readdirSync(dir).filter((f) => f.startsWith('mat-debug-'));
// onnxruntime starts no telemetry on a CI machine (it reads these variables): remove them, or
// nothing here could fail under CI.
const CI_VARS = [
  'CI',
  'TF_BUILD',
  'GITHUB_ACTIONS',
  'GITLAB_CI',
  'CIRCLECI',
  'TRAVIS',
  'JENKINS_URL',
  'CODEBUILD_BUILD_ID',
  'BUILDKITE',
  'TEAMCITY_VERSION',
  'APPVEYOR',
  'BITBUCKET_BUILD_NUMBER',
];
const linux = process.platform === 'linux';

/**
 * The debug logs a fresh node process leaves after it creates one onnxruntime session (from
 * bytes it cannot parse: enough), with `env` and a private TMPDIR.
 */
function bareSessionLogs(env: NodeJS.ProcessEnv): string[] {
  const dir = freshTmp();
  const script = `const ort = require('onnxruntime-node');
ort.InferenceSession.create(Uint8Array.of(1, 2, 3)).catch(() => {}).finally(() => console.log(process.pid));`;
  const r = spawnSync(process.execPath, ['-e', script], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...env, TMPDIR: dir },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.status, r.stderr).toBe(0);
  const logs = debugLogs(dir);
  rmSync(dir, { recursive: true, force: true });
  return logs.map((f) => (f === `mat-debug-${r.stdout.trim()}.log` ? 'mat-debug-<pid>.log' : f));
}

describe('onnxruntime telemetry', () => {
  it.runIf(linux)(
    'control: a bare onnxruntime-node session leaves $TMPDIR/mat-debug-<pid>.log; ORT_DISABLE_TELEMETRY=1 does not',
    { timeout: 60_000 },
    () => {
      const env = { ...process.env };
      for (const v of ['ORT_DISABLE_TELEMETRY', ...CI_VARS]) delete env[v];
      // If a later onnxruntime-node stops writing it, this fails: drop disableOrtTelemetry then.
      expect(bareSessionLogs(env)).toEqual(['mat-debug-<pid>.log']);
      expect(bareSessionLogs({ ...env, ORT_DISABLE_TELEMETRY: '1' })).toEqual([]);
    },
  );

  it.runIf(linux)('a backend run leaves no $TMPDIR/mat-debug-<pid>.log', { timeout: 60_000 }, async () => {
    for (const v of ['ORT_DISABLE_TELEMETRY', ...CI_VARS]) delete process.env[v];
    // Read when the process's first session starts, as ORT_DISABLE_TELEMETRY is.
    const dir = freshTmp();
    process.env['TMPDIR'] = dir;
    const b = onnxruntimeNodeBackend();
    const data = Float32Array.from({ length: 30 }, (_, i) => Math.cos(i));
    const [table] = await b.searchNeighbours({ numItems: 10, parts: [{ data, dim: 3 }], outputs: [{ parts: [0], k: 2 }] });
    await b.dispose();
    expect(table?.k).toBe(2);
    // This test file runs in its own process (vitest's forks pool), whose first session is the backend's.
    const logs = debugLogs(dir);
    rmSync(dir, { recursive: true, force: true });
    expect(logs).toEqual([]);
    expect(process.env['ORT_DISABLE_TELEMETRY']).toBe('1');
  });

  it('keeps a value the user set', () => {
    const env: NodeJS.ProcessEnv = { ORT_DISABLE_TELEMETRY: '0' };
    disableOrtTelemetry(env);
    expect(env['ORT_DISABLE_TELEMETRY']).toBe('0');
    const unset: NodeJS.ProcessEnv = {};
    disableOrtTelemetry(unset);
    expect(unset['ORT_DISABLE_TELEMETRY']).toBe('1');
  });
});
