// End-to-end: a backend written outside the repo as a third party would write it — plain
// JavaScript, no import from us, the SPI implemented by hand (float64 brute-force cosine top-k)
// — is packed, installed with npm (offline, from the tarball) into a fresh project, and used by
// the real `vi-mmrec` bin run from that project with `--backend <its package name>`. Its
// output must be byte for byte what `--backend cpu` writes, and `vi-mmrec backends` must list it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeDataset, writeDataset } from '@vi-mmrec/io';
import { lines, tempDir } from './helpers.js';
import { ensureBuilt, runCli } from './subprocess.js';

const PLUGIN = 'vi-mmrec-backend-brute';

/** The plugin's whole source, as its author would publish it. */
const PLUGIN_INDEX = `// ${PLUGIN}: exact cosine top-k by brute force in float64, for vi-mmrec (no dependencies).

function abortError() {
  const e = new Error('The operation was aborted.');
  e.name = 'AbortError';
  return e;
}

class BruteBackend {
  name = 'brute';
  capabilities = { device: 'cpu', floatPrecision: 64 };
  #disposed = false;

  async init() {
    if (this.#disposed) throw new Error("backend 'brute' was used after dispose()");
  }

  async searchNeighbours(request, options = {}) {
    if (this.#disposed) throw new Error("backend 'brute' was used after dispose()");
    if (options.signal?.aborted) throw abortError();
    const { numItems, parts, outputs } = request;
    // 1 / |x_i| per part (0 for an all-zero row, which then contributes nothing).
    const inv = parts.map(({ data, dim }) => {
      const out = new Float64Array(numItems);
      for (let i = 0; i < numItems; i++) {
        let ss = 0;
        for (let c = 0; c < dim; c++) ss += data[i * dim + c] ** 2;
        out[i] = ss > 0 ? 1 / Math.sqrt(ss) : 0;
      }
      return out;
    });
    const cosine = (p, i, j) => {
      const { data, dim } = parts[p];
      let dot = 0;
      for (let c = 0; c < dim; c++) dot += data[i * dim + c] * data[j * dim + c];
      return dot * inv[p][i] * inv[p][j];
    };
    const tables = outputs.map(({ parts: use, k }) => {
      const indices = new Int32Array(numItems * k).fill(-1);
      const scores = new Float32Array(numItems * k).fill(-Infinity);
      const valid = (i) => use.some((p) => inv[p][i] > 0);
      for (let i = 0; i < numItems; i++) {
        if (!valid(i)) continue;
        const candidates = [];
        for (let j = 0; j < numItems; j++) {
          if (j === i || !valid(j)) continue;
          let s = 0;
          for (const p of use) s += cosine(p, i, j);
          candidates.push([j, s]);
        }
        candidates.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
        for (let t = 0; t < Math.min(k, candidates.length); t++) {
          indices[i * k + t] = candidates[t][0];
          scores[i * k + t] = candidates[t][1];
        }
      }
      return { k, indices, scores };
    });
    if (options.signal?.aborted) throw abortError();
    options.onProgress?.(numItems, numItems);
    return tables;
  }

  async dispose() {
    this.#disposed = true;
  }

  async [Symbol.asyncDispose]() {
    await this.dispose();
  }
}

export const backendFactory = {
  name: 'brute',
  priority: -1, // opt-in: only used when asked for
  description: 'float64 brute force in plain JavaScript (a test plugin)',
  create: () => new BruteBackend(),
};
`;

const tmp = tempDir('vi-mmrec-e2e-plugin-');
const project = join(tmp.dir, 'project');
const data = join(tmp.dir, 'syn');

function npm(args: readonly string[], cwd: string): string {
  const r = spawnSync('npm', [...args, '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd, encoding: 'utf8', timeout: 180_000 });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

beforeAll(async () => {
  ensureBuilt();
  // The plugin package, written and packed outside the repository.
  const src = join(tmp.dir, PLUGIN);
  mkdirSync(src);
  writeFileSync(
    join(src, 'package.json'),
    `${JSON.stringify(
      {
        name: PLUGIN,
        version: '1.2.3',
        type: 'module',
        exports: './index.js',
        peerDependencies: { '@vi-mmrec/core': '^0.1.0' },
        peerDependenciesMeta: { '@vi-mmrec/core': { optional: true } },
      },
      null,
      2,
    )}\n`,
  );
  writeFileSync(join(src, 'index.js'), PLUGIN_INDEX);
  const tarball = lines(npm(['pack', '--pack-destination', tmp.dir], src)).at(-1)!;
  // A fresh project that installs it, as a user would.
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'my-project', private: true, type: 'module' }, null, 2)}\n`);
  npm(['install', join(tmp.dir, tarball)], project);
  await writeDataset(
    data,
    synthesizeDataset({ name: 'syn', numUsers: 300, numItems: 400, interactions: 4000, modalities: [{ name: 'image', dim: 16 }, { name: 'text', dim: 8 }], seed: 11 }),
  );
}, 300_000);
afterAll(() => tmp.cleanup());

describe('a third-party backend package installed in the working directory', () => {
  it('vi-mmrec backends lists it with its package and version', () => {
    const r = runCli(['backends'], { cwd: project });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^brute +-1 +${PLUGIN}@1\\.2\\.3 +available$`, 'm'));
    expect(r.stdout).toMatch(/^cpu +100 +@vi-mmrec\/backend-cpu@\d+\.\d+\.\d+ +available$/m);
    // Opt-in (negative priority): auto never picks it.
    expect(r.stdout).not.toMatch(/--backend auto uses: brute/);
  }, 120_000);

  it.each([
    ['overlay', '5', '0.1'],
    ['synergistic', '3', '0.2'],
  ])(`augment --strategy %s --k %s --lambda %s --backend ${PLUGIN} writes exactly what --backend cpu writes`, (strategy, k, lambda) => {
    const run = (backend: string, name: string): { tsv: string; summary: { options: { backend: string }; groups: unknown; counts: { virtualOnly: number } } } => {
      const out = join(tmp.dir, `${name}-${strategy}.tsv`);
      const summary = join(tmp.dir, `${name}-${strategy}.json`);
      const r = runCli(['augment', data, '--strategy', strategy, '--k', k, '--lambda', lambda, '--out', out, '--summary', summary, '--backend', backend, '--quiet'], { cwd: project });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      return { tsv: readFileSync(out, 'utf8'), summary: JSON.parse(readFileSync(summary, 'utf8')) };
    };
    const plugin = run(PLUGIN, 'plugin');
    const cpu = run('cpu', 'cpu');
    expect(plugin.summary.options.backend).toBe('brute');
    expect(cpu.summary.options.backend).toBe('cpu');
    expect(plugin.summary.counts.virtualOnly).toBeGreaterThan(0);
    expect(plugin.tsv === cpu.tsv).toBe(true);
    expect(plugin.summary.counts).toEqual(cpu.summary.counts);
    expect(plugin.summary.groups).toEqual(cpu.summary.groups);
    // The registry name works as well once the package is installed.
    expect(run('brute', 'by-name').tsv === cpu.tsv).toBe(true);
  }, 240_000);

  it('a module that is not a backend fails with one line naming it and what is wrong', () => {
    writeFileSync(join(project, 'not-a-backend.mjs'), 'export const factory = {};\n');
    const r = runCli(['augment', data, '--strategy', 'overlay', '--k', '3', '--lambda', '0.1', '--out', join(tmp.dir, 'x.tsv'), '--backend', './not-a-backend.mjs'], { cwd: project });
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([
      `vi-mmrec: Backend package './not-a-backend.mjs' (${join(project, 'not-a-backend.mjs')}) does not export backendFactory; see "Shipping a backend as a package" in docs/contributing/writing-a-backend.md.`,
    ]);
  }, 120_000);
});
