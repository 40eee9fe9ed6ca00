import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeDataset, writeDataset } from '@vi-mmrec/io';
import { evalCommand } from '../src/command.js';
import { chooseSettings } from '../src/auto.js';
import { augmentFor, loaderFor, prepareData, runOnce } from '../src/experiment.js';

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(c, _e, cb) {
      chunks.push(String(c));
      cb();
    },
  });
  return { stream, text: () => chunks.join('') };
}

let dir: string;
const ds = synthesizeDataset({
  numUsers: 80,
  numItems: 50,
  interactions: 900,
  modalities: [
    { name: 'image', dim: 8 },
    { name: 'text', dim: 6 },
  ],
  seed: 5,
  name: 'tiny',
});

// Where the BPR-MF proxy picks an augmentation (so the second stage runs).
const picked = synthesizeDataset({
  numUsers: 120,
  numItems: 80,
  interactions: 900,
  modalities: [
    { name: 'image', dim: 8 },
    { name: 'text', dim: 6 },
  ],
  seed: 5,
  name: 'picked',
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vi-mmrec-eval-'));
  await writeDataset(join(dir, 'tiny'), ds);
  await writeDataset(join(dir, 'picked'), picked);
  await import('@vi-mmrec/backend-cpu/register');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('evalCommand stops on a signal (Ctrl-C, SIGTERM)', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    '%s after the first epoch of seed 2: keeps the finished run, replaces nothing, exits %d',
    async (reason, code) => {
      const json = join(dir, `stop-${reason}.json`);
      const html = join(dir, `stop-${reason}.html`);
      await writeFile(json, 'previous json');
      await writeFile(html, 'previous html');
      const controller = new AbortController();
      const out = sink();
      const chunks: string[] = [];
      let epochs = 0;
      const err = new Writable({
        write(c, _e, cb) {
          const line = String(c);
          chunks.push(line);
          // The signal lands during seed 2 of the baseline: seed 1 is finished.
          if (line.includes('baseline seed 2/3 epoch 1/') && !controller.signal.aborted) controller.abort(reason);
          if (/ epoch \d+\/\d+ loss /.test(line)) epochs++;
          cb();
        },
      });
      const result = await evalCommand(
        [
          join(dir, 'tiny'),
          '--model',
          'bpr',
          '--seeds',
          '3',
          '--strategy',
          'overlay',
          '--k',
          '2',
          '--lambda',
          '0.1',
          '--max-epochs',
          '3',
          '--json',
          json,
          '--report',
          html,
        ],
        { stdout: out.stream, stderr: err, isTTY: false, signal: controller.signal },
      );
      expect(result).toBe(code);
      // Seed 1 ran its 3 epochs; seed 2 stopped after the epoch in progress.
      expect(epochs).toBe(4);
      expect(chunks.at(-1)).toBe(
        `vi-mmrec eval: stopped by ${reason} after 1 finished run(s); no output was replaced; the 1 finished run(s) are in ${json}.partial (continue with --resume ${json}.partial)\n`,
      );
      expect(await readFile(json, 'utf8')).toBe('previous json');
      expect(await readFile(html, 'utf8')).toBe('previous html');
      const partial = JSON.parse(await readFile(`${json}.partial`, 'utf8'));
      expect(partial.complete).toBe(false);
      expect(partial.runs.map((r: { variant: string; seed: number }) => [r.variant, r.seed])).toEqual([['baseline', 1]]);
      expect(out.text()).toBe('');
    },
    120_000,
  );

  it('--seeds above 1000 is a usage error before any work', async () => {
    const err = sink();
    const code = await evalCommand([join(dir, 'tiny'), '--seeds', '1000000000'], {
      stdout: sink().stream,
      stderr: err.stream,
      isTTY: false,
    });
    expect(code).toBe(2);
    expect(err.text().split('\n')[0]).toBe('vi-mmrec eval: --seeds must be at most 1000, got 1000000000.');
  });

  it('--json naming a dataset input is refused before any work', async () => {
    const err = sink();
    const inter = join(dir, 'tiny', 'tiny.inter');
    const before = await readFile(inter, 'utf8');
    const code = await evalCommand([join(dir, 'tiny'), '--json', inter], { stdout: sink().stream, stderr: err.stream, isTTY: false });
    expect(code).toBe(2);
    expect(err.text()).toContain(`refusing to write --json ${inter}: it is the dataset's input`);
    expect(await readFile(inter, 'utf8')).toBe(before);
  });
});

describe('evalCommand end to end', () => {
  it('runs baseline and augmented, writes valid JSON and a self-contained HTML report', async () => {
    const out = sink();
    const err = sink();
    const json = join(dir, 'r.json');
    const html = join(dir, 'r.html');
    const code = await evalCommand(
      [
        join(dir, 'tiny'),
        '--model',
        'lightgcn',
        '--seeds',
        '2',
        '--strategy',
        'synergistic',
        '--k',
        '2,4',
        '--lambda',
        '0.1',
        '--max-epochs',
        '2',
        '--json',
        json,
        '--report',
        html,
      ],
      { stdout: out.stream, stderr: err.stream, isTTY: false },
    );
    expect(code).toBe(0);
    // Not a TTY: progress as plain lines, one per epoch of every run, and nothing else.
    const lines = err
      .text()
      .split('\n')
      .filter((l) => l !== '');
    expect(lines.filter((l) => / epoch \d+\/\d+ loss /.test(l))).toHaveLength(3 * 2 * 2);
    expect(
      lines.every(
        (l) =>
          / epoch \d+\/\d+ loss /.test(l) ||
          l.startsWith('augment (') ||
          l.startsWith('measuring one lightgcn epoch') ||
          l.startsWith('plan: ') ||
          l.startsWith('  '),
      ),
    ).toBe(true);
    expect(out.text()).toMatch(/recall@20/);
    const j = JSON.parse(await readFile(json, 'utf8'));
    // The per-run checkpoint is removed once the complete JSON is written.
    await expect(readFile(`${json}.partial`, 'utf8')).rejects.toThrow(/ENOENT/);
    for (const variant of ['baseline', 'augmented']) {
      for (const m of ['recall@20', 'ndcg@20', 'recall@10', 'ndcg@10']) {
        expect(typeof j.summary[variant][m].mean).toBe('number');
        expect(typeof j.summary[variant][m].std).toBe('number');
      }
    }
    expect(j.runs).toHaveLength(2 * 3); // baseline + two k values, two seeds each
    for (const r of j.runs) {
      expect(r.bestEpoch).toBeGreaterThanOrEqual(1);
      expect(r.epochs).toBe(2);
      expect(r.secondsPerEpoch).toBeGreaterThan(0);
    }
    expect(j.variants.map((v: { settings: { k: number } }) => v.settings.k)).toEqual([2, 4]);
    expect(j.variants[0].pairsPerEpoch).toBeGreaterThan(j.baseline.pairsPerEpoch);
    const page = await readFile(html, 'utf8');
    expect(page.startsWith('<!doctype html>')).toBe(true);
    expect(page).toMatch(/<svg/);
    expect(page).toMatch(/vs k/);
    expect(page).not.toMatch(/<script|src="http/);
  }, 60_000);

  it('auto mode chooses on validation data and says why', async () => {
    const out = sink();
    const code = await evalCommand(
      [
        join(dir, 'picked'),
        '--model',
        'lightgcn',
        '--seeds',
        '2',
        '--k',
        '3',
        '--lambda',
        '0.1',
        '--negatives',
        'non-real',
        '--strategy',
        'auto',
        '--proxy-epochs',
        '30',
        '--max-epochs',
        '5',
        '--json',
        join(dir, 'a.json'),
      ],
      {
        stdout: out.stream,
        stderr: sink().stream,
        isTTY: false,
      },
    );
    expect(code).toBe(0);
    expect(out.text()).toMatch(/^auto: /m);
    const j = JSON.parse(await readFile(join(dir, 'a.json'), 'utf8'));
    expect(j.settings.mode).toBe('auto');
    expect(j.choice.candidates.length).toBe(3); // none + 2 strategies
    expect(typeof j.choice.reason).toBe('string');
    // Second stage: the evaluated model's own validation runs confirm or reject the proxy's pick.
    const meanValid = (variant: string): number => {
      const v = j.runs
        .filter((r: { variant: string }) => r.variant === variant)
        .map((r: { valid: Record<string, number> }) => r.valid['recall@20']);
      return v.reduce((a: number, b: number) => a + b, 0) / v.length;
    };
    const c = j.choice.confirmation;
    expect(c).toBeDefined();
    expect(c.baselineValidRecall20).toBeCloseTo(meanValid('baseline'), 12);
    expect(c.augmentedValidRecall20).toBeCloseTo(meanValid(j.variants[0].label), 12);
    expect(c.accepted).toBe(c.augmentedValidRecall20 / c.baselineValidRecall20 - 1 >= 0.02);
    expect(j.choice.settings).toEqual(c.accepted ? c.settings : null);
    expect(j.summary.augmented).toEqual(c.accepted ? j.variants[0].summary : j.summary.baseline);
    expect(out.text()).toContain(`auto: ${j.choice.reason}`);
  }, 60_000);

  it('--help prints the usage on stdout and exits 0 without reading anything', async () => {
    for (const flag of ['--help', '-h']) {
      const out = sink();
      const err = sink();
      expect(await evalCommand([flag], { stdout: out.stream, stderr: err.stream, isTTY: false })).toBe(0);
      expect(out.text()).toMatch(/^Usage: vi-mmrec eval <datasetDir>/);
      expect(err.text()).toBe('');
    }
  });

  it('usage errors exit 2 and data errors exit 1, each with one line and no stack', async () => {
    for (const [argv, exit] of [
      [['--model', 'bpr'], 2],
      [[join(dir, 'tiny'), '--model', 'svd'], 2],
      [[join(dir, 'tiny'), '--bogus'], 2],
      [[join(dir, 'tiny'), '--proxy-model', 'svd'], 2],
      [[join(dir, 'missing'), '--strategy', 'overlay'], 1],
    ] as const) {
      const err = sink();
      expect(await evalCommand([...argv], { stdout: sink().stream, stderr: err.stream, isTTY: false })).toBe(exit);
      expect(err.text().split('\n')[0]).toMatch(/^vi-mmrec eval: /);
      expect(err.text()).not.toMatch(/\n\s+at /);
    }
  });
});

describe('--backend', () => {
  const searches = (): number => (globalThis as { __viMmrecSearches?: number }).__viMmrecSearches ?? 0;

  it('takes a path (or package or name) as vi-mmrec augment does, for the runs and the auto proxies', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/counting-backend.mjs', import.meta.url));
    const before = searches();
    const code = await evalCommand(
      [
        join(dir, 'tiny'),
        '--model',
        'bpr',
        '--seeds',
        '1',
        '--strategy',
        'overlay',
        '--k',
        '3',
        '--lambda',
        '0.1',
        '--max-epochs',
        '1',
        '--quiet',
        '--backend',
        fixture,
      ],
      { stdout: sink().stream, stderr: sink().stream, isTTY: false },
    );
    expect(code).toBe(0);
    expect(searches()).toBe(before + 1); // one augment, on the module's backend
    // The module is registered now: its name works, and chooseSettings' proxy runs use it.
    await chooseSettings(ds, {
      epochs: 1,
      ks: [3],
      lambdas: [0.1],
      strategies: ['overlay'],
      negatives: ['non-real'],
      minGain: -1,
      backend: 'counting-cpu',
    });
    expect(searches()).toBe(before + 2);
  }, 60_000);

  it('an unknown backend is a usage error (exit 2) naming the installed ones', async () => {
    const err = sink();
    expect(
      await evalCommand([join(dir, 'tiny'), '--backend', 'quantum'], { stdout: sink().stream, stderr: err.stream, isTTY: false }),
    ).toBe(2);
    expect(err.text()).toMatch(
      /^vi-mmrec eval: Unknown backend 'quantum' \(installed: [^)]*\bcpu\b[^)]*\): no backend has that name and no package 'quantum' is installed in [^\n]+\.\n$/,
    );
  });
});

describe('determinism', () => {
  it('the same seed gives identical metrics, baseline and augmented', async () => {
    const data = prepareData(ds);
    const train = { model: 'bpr' as const, maxEpochs: 2, patience: 20, learningRate: 1e-3, ks: [10, 20] };
    const settings = {
      strategy: 'overlay' as const,
      k: 3,
      lambda: 0.1,
      oAvg: 'modality-mean' as const,
      inject: 'both' as const,
      negatives: 'non-real' as const,
    };
    const result = await augmentFor(data, settings);
    const a = await runOnce(data, train, 4, loaderFor(data, 4, { result, settings }));
    const b = await runOnce(data, train, 4, loaderFor(data, 4, { result, settings }));
    expect(a.test).toEqual(b.test);
    expect(a.history.map((h) => h.loss)).toEqual(b.history.map((h) => h.loss));
    const c = await runOnce(data, train, 5, loaderFor(data, 5));
    const d = await runOnce(data, train, 5, loaderFor(data, 5));
    expect(c.history.map((h) => h.loss)).toEqual(d.history.map((h) => h.loss));
    expect(c.history.map((h) => h.loss)).not.toEqual(a.history.map((h) => h.loss));
  }, 60_000);

  it('chooseSettings never looks at test: permuting test labels does not change the choice', async () => {
    const labels = Uint8Array.from(ds.interactions.labels, (l) => l);
    const testIdx = [...labels.keys()].filter((p) => labels[p] === 2);
    // Replace the test items by other items: a choice that read test would move.
    const items = Int32Array.from(ds.interactions.items);
    for (const p of testIdx) items[p] = (items[p]! + 17) % ds.numItems;
    const shuffled = { ...ds, interactions: { ...ds.interactions, items } };
    const opts = { epochs: 1, ks: [3], lambdas: [0.1], strategies: ['overlay' as const], negatives: ['non-real' as const] };
    const x = await chooseSettings(ds, opts);
    const y = await chooseSettings(shuffled, opts);
    expect(y.candidates.map((c) => c.validRecall20)).toEqual(x.candidates.map((c) => c.validRecall20));
    expect(y.settings).toEqual(x.settings);
  }, 60_000);

  it('chooseSettings tries every combination of strategy and negatives policy, and reports its proxy', async () => {
    const c = await chooseSettings(ds, { epochs: 2, patience: 1, ks: [3], lambdas: [0.1], minGain: -1 });
    const tried = c.candidates.map((x) => (x.settings === null ? 'none' : `${x.settings.strategy}/${x.settings.negatives}`)).sort();
    expect(tried).toEqual(['none', 'overlay/non-interacted', 'overlay/non-real', 'synergistic/non-interacted', 'synergistic/non-real']);
    expect(c.proxy).toEqual({ model: 'bpr', epochs: 2, patience: 1, seed: 0, minGain: -1 });
    // Best first, and the best augmented candidate is the one chosen (minGain -1).
    const scores = c.candidates.map((x) => x.validRecall20);
    expect(scores).toEqual([...scores].sort((p, q) => q - p));
    expect(c.settings).toEqual(c.candidates.find((x) => x.settings !== null)!.settings);
  }, 60_000);

  it('chooseSettings uses the proxy model it is given, and eval passes --proxy-model to it', async () => {
    const opts = {
      epochs: 2,
      patience: 2,
      ks: [3],
      lambdas: [0.1],
      strategies: ['overlay' as const],
      negatives: ['non-real' as const],
      minGain: -1,
    };
    const bpr = await chooseSettings(ds, opts);
    const vbpr = await chooseSettings(ds, { ...opts, model: 'vbpr' });
    expect(vbpr.proxy.model).toBe('vbpr');
    expect(vbpr.reason).toMatch(/of a VBPR proxy/);
    expect(bpr.reason).toMatch(/of a BPR-MF proxy/);
    // A different model scores the same candidates differently.
    expect(vbpr.candidates.map((c) => c.validRecall20)).not.toEqual(bpr.candidates.map((c) => c.validRecall20));
    const code = await evalCommand(
      [
        join(dir, 'tiny'),
        '--model',
        'bpr',
        '--seeds',
        '1',
        '--k',
        '3',
        '--lambda',
        '0.1',
        '--negatives',
        'non-real',
        '--proxy-model',
        'vbpr',
        '--proxy-epochs',
        '1',
        '--max-epochs',
        '1',
        '--quiet',
        '--json',
        join(dir, 'pm.json'),
      ],
      { stdout: sink().stream, stderr: sink().stream, isTTY: false },
    );
    expect(code).toBe(0);
    const j = JSON.parse(await readFile(join(dir, 'pm.json'), 'utf8')) as { choice: { proxy: { model: string } } };
    expect(j.choice.proxy.model).toBe('vbpr');
  }, 60_000);

  it('chooseSettings skips a negatives policy the data cannot support instead of failing', async () => {
    // k = numItems - 1: every item is a neighbour of every item, so each user has every item
    // real or virtual and 'non-interacted' has no negative to draw.
    const opts = {
      epochs: 1,
      ks: [ds.numItems - 1],
      lambdas: [0.1],
      strategies: ['overlay' as const],
      negatives: ['non-interacted' as const, 'non-real' as const],
    };
    const c = await chooseSettings(ds, { ...opts, minGain: -1 });
    const skipped = c.candidates.filter((x) => x.skipped !== undefined);
    expect(skipped.map((x) => x.settings?.negatives)).toEqual(['non-interacted']);
    expect(skipped[0]!.skipped).toMatch(/no negative can be drawn/);
    expect(Number.isNaN(skipped[0]!.validRecall20)).toBe(true);
    // The policy that works was tried and chosen (minGain -1 accepts any candidate).
    expect(c.settings?.negatives).toBe('non-real');
    expect(c.candidates.at(-1)!.skipped).toBeDefined();
  }, 60_000);
});
