// End-to-end: `vi-mmrec augment --strategy auto` through the real bin on a small synthetic
// dataset. The choice printed and saved must be exactly what @vi-mmrec/eval's chooseSettings
// returns when called here with the same options (same seed ⇒ same choice), the matrix must be
// byte for byte what a plain `augment` with the chosen settings writes, and "no augmentation"
// must write no matrix.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CHOOSE, chooseSettings } from '@vi-mmrec/eval';
import { readDataset, synthesizeDataset, writeDataset } from '@vi-mmrec/io';
import type { AutoChoice, ChooseSettingsFn } from '../src/auto-augment.js';
import { AUGMENT_HELP } from '../src/help.js';
import { lines, tempDir } from './helpers.js';
import { ensureEvalBuilt, runCli } from './subprocess.js';

// Compile-time check: the CLI's structural view of chooseSettings matches the real one.
const choose: ChooseSettingsFn = chooseSettings;

const tmp = tempDir('vi-mmrec-e2e-auto-');
const data = join(tmp.dir, 'syn');
beforeAll(async () => {
  ensureEvalBuilt();
  await writeDataset(
    data,
    synthesizeDataset({
      name: 'syn',
      numUsers: 300,
      numItems: 200,
      interactions: 4000,
      modalities: [
        { name: 'image', dim: 16 },
        { name: 'text', dim: 8 },
      ],
      seed: 5,
    }),
  );
}, 300_000);
afterAll(() => tmp.cleanup());

/** Registers, in this process, the one backend the bin's `--backend auto` used. */
async function registerBackend(name: string): Promise<void> {
  if (name === 'cpu') await import('@vi-mmrec/backend-cpu/register');
  else if (name === 'onnxruntime-node') await import('@vi-mmrec/backend-onnxruntime-node/register');
  else throw new Error(`unexpected backend ${name}`);
}

interface AutoSummary {
  augmented: boolean;
  options?: { strategy: string; k: number; lambda: number; oAvg: string; backend: string };
  output: { matrix: string | null };
  run: { seconds: Record<string, number> };
  auto: AutoChoice & { settings: AutoChoice['settings']; recommendedLoaderOptions: { negatives: string; inject: string } | null };
}

const grid = ['--k', '3', '--lambda', '0.1', '--auto-epochs', '2', '--seed', '4'];
const options = { ks: [3], lambdas: [0.1], epochs: 2, seed: 4, oAvg: 'modality-mean' } as const;
let backend = '';
let augmented: AutoSummary | undefined;

describe('vi-mmrec augment --strategy auto (bin)', () => {
  it("states @vi-mmrec/eval's defaults in the help", () => {
    expect(AUGMENT_HELP).toContain(`k values to try, e.g. 3,10 (default ${DEFAULT_CHOOSE.ks.join(',')})`);
    expect(AUGMENT_HELP).toContain(`(default ${DEFAULT_CHOOSE.lambdas.join(',')})`);
    expect(AUGMENT_HELP).toContain(`most epochs per proxy run (default ${DEFAULT_CHOOSE.epochs})`);
    expect(AUGMENT_HELP).toContain(`stops improving for ${DEFAULT_CHOOSE.patience} epochs`);
    expect(AUGMENT_HELP).toContain(`(default ${DEFAULT_CHOOSE.minGain} = ${Number((100 * DEFAULT_CHOOSE.minGain).toFixed(6))} %;`);
    const runs =
      1 + DEFAULT_CHOOSE.strategies.length * DEFAULT_CHOOSE.ks.length * DEFAULT_CHOOSE.lambdas.length * DEFAULT_CHOOSE.negatives.length;
    expect(AUGMENT_HELP.replace(/\s+/g, ' ')).toContain(`(defaults: ${runs} runs × up to ${DEFAULT_CHOOSE.epochs} epochs)`);
  });

  it('augments with exactly the settings chooseSettings picks, as a plain augment would', async () => {
    const out = join(tmp.dir, 'auto.tsv');
    const summaryFile = join(tmp.dir, 'auto.json');
    // --min-gain=-1: take the best augmented candidate whatever its gain.
    const r = runCli(['augment', data, '--strategy', 'auto', ...grid, '--min-gain=-1', '--out', out, '--summary', summaryFile]);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as AutoSummary;
    augmented = summary;
    backend = summary.options!.backend;

    await registerBackend(backend);
    const direct = await choose(await readDataset(data), { ...options, minGain: -1 });
    expect(direct.settings).not.toBeNull();
    const s = direct.settings!;
    // Saved and printed choice = the direct call's.
    expect(summary.augmented).toBe(true);
    expect(summary.auto.settings).toEqual(s);
    expect(summary.auto.reason).toBe(direct.reason);
    expect(summary.auto.candidates).toEqual(direct.candidates);
    expect(summary.auto.proxy).toEqual({ model: 'bpr', epochs: 2, patience: DEFAULT_CHOOSE.patience, seed: 4, minGain: -1 });
    expect(summary.auto.recommendedLoaderOptions).toEqual({ negatives: s.negatives, inject: s.inject });
    expect(summary.options).toMatchObject({ strategy: s.strategy, k: s.k, lambda: s.lambda, oAvg: s.oAvg });
    expect(summary.run.seconds.choose).toBeGreaterThan(0);
    // No augmentation + 2 strategies × 2 negatives policies.
    expect(direct.candidates).toHaveLength(5);
    const err = lines(r.stderr);
    expect(err).toContain(`vi-mmrec: auto: ${direct.reason}`);
    expect(err.filter((l) => /^vi-mmrec: auto: proxy run \d\/5 \(.*\)…$/.test(l))).toHaveLength(5);
    expect(r.stdout).toContain(`options      strategy ${s.strategy}, k ${s.k}, lambda ${s.lambda}, O_avg modality-mean`);
    expect(r.stdout).toContain(
      `loader       use negatives: '${s.negatives}' (inject: '${s.inject}') in @vi-mmrec/integration-loader's withVirtualInteractions`,
    );
    expect(r.stdout).toMatch(/^confirm {6}check the pick with your own model's validation metrics/m);
    expect(r.stdout).toContain(`reason       ${direct.reason}`);

    // The matrix is what a plain augment with the chosen settings writes, byte for byte.
    const plain = join(tmp.dir, 'plain.tsv');
    const p = runCli([
      'augment',
      data,
      '--strategy',
      s.strategy,
      '--k',
      String(s.k),
      '--lambda',
      String(s.lambda),
      '--backend',
      backend,
      '--out',
      plain,
      '-q',
    ]);
    expect(p.code).toBe(0);
    const a = readFileSync(out);
    expect(a.length).toBeGreaterThan(100);
    expect(a.equals(readFileSync(plain))).toBe(true);
  }, 240_000);

  it('writes no matrix and exits 0 when no candidate gains enough', async () => {
    const out = join(tmp.dir, 'none.tsv');
    const summaryFile = join(tmp.dir, 'none.json');
    const r = runCli(['augment', data, '--strategy', 'auto', ...grid, '--min-gain', '10', '--out', out, '--summary', summaryFile]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(out)).toBe(false);
    expect(tmp.files().filter((f) => f.startsWith('.'))).toEqual([]); // no temporary file either

    if (backend === '') backend = 'cpu';
    await registerBackend(backend);
    const direct = await choose(await readDataset(data), { ...options, minGain: 10 });
    expect(direct.settings).toBeNull();
    const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as AutoSummary;
    expect(summary.augmented).toBe(false);
    expect(summary.options).toBeUndefined();
    expect(summary.output).toEqual({ matrix: null });
    expect(summary.auto.settings).toBeNull();
    expect(summary.auto.recommendedLoaderOptions).toBeNull();
    expect(summary.auto.reason).toBe(direct.reason);
    expect(summary.auto.reason).toMatch(/^no augmentation: /);
    expect(summary.auto.candidates).toEqual(direct.candidates);
    // Same seed and grid as the first run: the same proxy results, only the threshold differs.
    if (augmented !== undefined) expect(summary.auto.candidates).toEqual(augmented.auto.candidates);
    expect(lines(r.stderr)).toContain(`vi-mmrec: auto: ${direct.reason}`);
    expect(r.stdout).toContain(`output       none: no augmentation was chosen, so ${out} was not written`);
    expect(r.stdout).not.toContain('loader ');
    expect(r.stdout).not.toContain('confirm ');
  }, 240_000);

  it('--proxy-model chooses with that model, as chooseSettings with `model` does', async () => {
    const summaryFile = join(tmp.dir, 'lightgcn.json');
    const narrow = ['--k', '3', '--lambda', '0.1', '--negatives', 'non-real', '--auto-epochs', '1', '--seed', '4'];
    const r = runCli([
      'augment',
      data,
      '--strategy',
      'auto',
      ...narrow,
      '--proxy-model',
      'lightgcn',
      '--min-gain=-1',
      '--out',
      join(tmp.dir, 'lightgcn.tsv'),
      '--summary',
      summaryFile,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as AutoSummary;
    if (backend === '') backend = summary.options!.backend;
    await registerBackend(backend);
    const direct = await choose(await readDataset(data), {
      ks: [3],
      lambdas: [0.1],
      negatives: ['non-real'],
      epochs: 1,
      seed: 4,
      oAvg: 'modality-mean',
      model: 'lightgcn',
      minGain: -1,
    });
    expect(summary.auto.proxy.model).toBe('lightgcn');
    expect(summary.auto.candidates).toEqual(direct.candidates);
    expect(r.stdout).toMatch(/chosen on the validation split \(LightGCN proxy at its best epoch/);
  }, 240_000);
});
