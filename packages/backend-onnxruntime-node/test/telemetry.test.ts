// onnxruntime-node 1.30 (Linux) starts a telemetry client with a process's first session, which
// leaves an empty /tmp/mat-debug-<pid>.log behind; the backend turns it off.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { onnxruntimeNodeBackend } from '../src/index.js';
import { disableOrtTelemetry } from '../src/runtime.js';

const debugLog = (pid: number): string => `/tmp/mat-debug-${pid}.log`;
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

/** A fresh node process that creates one onnxruntime session (from bytes it cannot parse: enough). */
function bareSession(env: NodeJS.ProcessEnv): number {
  const script = `const ort = require('onnxruntime-node');
ort.InferenceSession.create(Uint8Array.of(1, 2, 3)).catch(() => {}).finally(() => console.log(process.pid));`;
  const r = spawnSync(process.execPath, ['-e', script], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return Number(r.stdout.trim());
}

describe('onnxruntime telemetry', () => {
  it.runIf(linux)(
    'control: a bare onnxruntime-node session leaves /tmp/mat-debug-<pid>.log; ORT_DISABLE_TELEMETRY=1 does not',
    { timeout: 60_000 },
    () => {
      const env = { ...process.env };
      for (const v of ['ORT_DISABLE_TELEMETRY', ...CI_VARS]) delete env[v];
      const pid = bareSession(env);
      // If a later onnxruntime-node stops writing it, this fails: drop disableOrtTelemetry then.
      expect(existsSync(debugLog(pid))).toBe(true);
      rmSync(debugLog(pid), { force: true });
      const quiet = bareSession({ ...env, ORT_DISABLE_TELEMETRY: '1' });
      expect(existsSync(debugLog(quiet))).toBe(false);
    },
  );

  it.runIf(linux)('a backend run leaves no /tmp/mat-debug-<pid>.log', { timeout: 60_000 }, async () => {
    for (const v of ['ORT_DISABLE_TELEMETRY', ...CI_VARS]) delete process.env[v];
    const before = existsSync(debugLog(process.pid));
    const b = onnxruntimeNodeBackend();
    const data = Float32Array.from({ length: 30 }, (_, i) => Math.cos(i));
    const [table] = await b.searchNeighbours({ numItems: 10, parts: [{ data, dim: 3 }], outputs: [{ parts: [0], k: 2 }] });
    await b.dispose();
    expect(table?.k).toBe(2);
    expect(process.env['ORT_DISABLE_TELEMETRY']).toBe('1');
    // This test file runs in its own process (vitest's forks pool), whose first session is the backend's.
    expect(before).toBe(false);
    expect(existsSync(debugLog(process.pid))).toBe(false);
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
