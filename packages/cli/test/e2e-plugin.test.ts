// End-to-end: a backend written outside the repo from the guide alone — the example of
// docs/contributing/writing-a-backend.md §7: plain JavaScript, no import from us, the SPI
// implemented by hand (float64 brute-force cosine top-k) — is packed, installed with npm
// (offline, from the tarball) into a fresh project, and used by the real `vi-mmrec` bin run
// from that project with `--backend <its package name>`. Its output must be byte for byte what
// `--backend cpu` writes, and `vi-mmrec backends` must list it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeDataset, writeDataset } from '@vi-mmrec/io';
import { lines, tempDir } from './helpers.js';
import { REPO_ROOT, ensureBuilt, runCli } from './subprocess.js';

/**
 * The plugin is the example of docs/contributing/writing-a-backend.md, §7 "Shipping a backend as
 * a package", taken verbatim from the guide: its package.json (the first json block) and its
 * index.js (the first js block).
 */
function guideExample(): { manifest: string; index: string } {
  const guide = readFileSync(join(REPO_ROOT, 'docs', 'contributing', 'writing-a-backend.md'), 'utf8');
  const section = guide.slice(guide.indexOf('## 7. Shipping a backend as a package'));
  const block = (lang: string): string => {
    const m = new RegExp(`\n\`\`\`${lang}\n([\\s\\S]*?)\n\`\`\`\n`).exec(section);
    if (m === null) throw new Error(`no ${lang} block in §7 of writing-a-backend.md`);
    return `${m[1]}\n`;
  };
  return { manifest: block('json'), index: block('js') };
}
const example = guideExample();
const manifest = JSON.parse(example.manifest) as { name: string; version: string };
const PLUGIN = manifest.name;

const tmp = tempDir('vi-mmrec-e2e-plugin-');
const project = join(tmp.dir, 'project');
const data = join(tmp.dir, 'syn');

function npm(args: readonly string[], cwd: string): string {
  const r = spawnSync('npm', [...args, '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], {
    cwd,
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

beforeAll(async () => {
  ensureBuilt();
  // The plugin package, written and packed outside the repository.
  const src = join(tmp.dir, PLUGIN);
  mkdirSync(src);
  writeFileSync(join(src, 'package.json'), example.manifest);
  writeFileSync(join(src, 'index.js'), example.index);
  const tarball = lines(npm(['pack', '--pack-destination', tmp.dir], src)).at(-1)!;
  // A fresh project that installs it, as a user would.
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'my-project', private: true, type: 'module' }, null, 2)}\n`);
  npm(['install', join(tmp.dir, tarball)], project);
  await writeDataset(
    data,
    synthesizeDataset({
      name: 'syn',
      numUsers: 300,
      numItems: 400,
      interactions: 4000,
      modalities: [
        { name: 'image', dim: 16 },
        { name: 'text', dim: 8 },
      ],
      seed: 11,
    }),
  );
}, 300_000);
afterAll(() => tmp.cleanup());

describe('a third-party backend package installed in the working directory', () => {
  it('vi-mmrec backends lists it with its package and version', () => {
    const r = runCli(['backends'], { cwd: project });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(manifest.version).toBe('1.0.0');
    expect(r.stdout).toMatch(new RegExp(`^brute +-1 +${PLUGIN}@1\\.0\\.0 +available$`, 'm'));
    expect(r.stdout).toMatch(/^cpu +100 +@vi-mmrec\/backend-cpu@\d+\.\d+\.\d+ +available$/m);
    // Opt-in (negative priority): auto never picks it.
    expect(r.stdout).not.toMatch(/--backend auto uses: brute/);
  }, 120_000);

  it.each([
    ['overlay', '5', '0.1'],
    ['synergistic', '3', '0.2'],
  ])(
    `augment --strategy %s --k %s --lambda %s --backend ${PLUGIN} writes exactly what --backend cpu writes`,
    (strategy, k, lambda) => {
      const run = (
        backend: string,
        name: string,
      ): { tsv: string; summary: { options: { backend: string }; groups: unknown; counts: { virtualOnly: number } } } => {
        const out = join(tmp.dir, `${name}-${strategy}.tsv`);
        const summary = join(tmp.dir, `${name}-${strategy}.json`);
        const r = runCli(
          [
            'augment',
            data,
            '--strategy',
            strategy,
            '--k',
            k,
            '--lambda',
            lambda,
            '--out',
            out,
            '--summary',
            summary,
            '--backend',
            backend,
            '--quiet',
          ],
          { cwd: project },
        );
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
      // The registry name works as well once the package is installed, and so does a path to the
      // package folder (relative to the working directory).
      expect(run('brute', 'by-name').tsv === cpu.tsv).toBe(true);
      expect(run(`../${PLUGIN}`, 'by-path').summary.options.backend).toBe('brute');
    },
    240_000,
  );

  it('a module that is not a backend fails with one line naming it and what is wrong', () => {
    writeFileSync(join(project, 'not-a-backend.mjs'), 'export const factory = {};\n');
    const r = runCli(
      [
        'augment',
        data,
        '--strategy',
        'overlay',
        '--k',
        '3',
        '--lambda',
        '0.1',
        '--out',
        join(tmp.dir, 'x.tsv'),
        '--backend',
        './not-a-backend.mjs',
      ],
      { cwd: project },
    );
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([
      `vi-mmrec: Backend package './not-a-backend.mjs' (${join(project, 'not-a-backend.mjs')}) does not export backendFactory; see "Shipping a backend as a package" in docs/contributing/writing-a-backend.md.`,
    ]);
  }, 120_000);
});
