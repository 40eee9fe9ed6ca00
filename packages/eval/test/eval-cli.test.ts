// `vi-mmrec eval` as a researcher meets it: --help, the plan and its estimate, the run i/N +
// ETA counter, --quick, --config, --dry-run and --resume.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeDataset, writeDataset } from '@vi-mmrec/io';
import { evalCommand } from '../src/command.js';
import { DEFAULT_CHOOSE } from '../src/auto.js';
import { EVAL_HELP, MAX_SEEDS, OPTIONS, QUICK_PRESET, parseEvalArgs } from '../src/options.js';
import { Eta, boundSeconds, formatDuration, type PlannedRun } from '../src/plan.js';

function sink(onLine?: (line: string) => void): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(c, _e, cb) {
      chunks.push(String(c));
      onLine?.(String(c));
      cb();
    },
  });
  return { stream, text: () => chunks.join('') };
}

let dir: string;
let data: string;
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

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vi-mmrec-eval-cli-'));
  data = join(dir, 'tiny');
  await writeDataset(data, ds);
  await import('@vi-mmrec/backend-cpu/register');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The JSON without wall-clock fields and `meta` (date, command line): they differ between any two runs. */
function stable(text: string): unknown {
  return JSON.parse(text, (k, v: unknown) => (k === 'secondsPerEpoch' || k === 'augmentSeconds' || k === 'meta' ? undefined : v));
}

async function run(
  argv: string[],
  signal?: AbortSignal,
  onErr?: (line: string) => void,
): Promise<{ code: number; out: string; err: string }> {
  const out = sink();
  const err = sink(onErr);
  const code = await evalCommand(argv, {
    stdout: out.stream,
    stderr: err.stream,
    isTTY: false,
    ...(signal === undefined ? {} : { signal }),
  });
  return { code, out: out.text(), err: err.text() };
}

describe('eval --help', () => {
  it('names every option, with the defaults the code uses', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(EVAL_HELP);
    for (const name of Object.keys(OPTIONS)) expect(EVAL_HELP).toMatch(new RegExp(`^  (-\\w, )?${name} `, 'm'));
    expect(EVAL_HELP).toContain('-q, --quiet');
    expect(EVAL_HELP).toContain(`at most ${MAX_SEEDS}`);
    expect(EVAL_HELP).toContain(`epoch cap of each proxy run (default ${DEFAULT_CHOOSE.epochs})`);
    const quick = Object.entries(QUICK_PRESET).map(([k, v]) => `${k} ${v}`);
    // The preset as the help states it, in one run of text.
    expect(EVAL_HELP.replace(/\s+/g, ' ')).toContain(`sets ${quick.join(' ')}`);
    // Every default the parser applies is the one the help states.
    const d = await parseEvalArgs(['x']);
    expect(EVAL_HELP).toContain(`bpr (default`);
    expect(EVAL_HELP).toContain(`(default ${d.seeds}, at most`);
    expect(EVAL_HELP).toContain(`(default ${d.maxEpochs}, MMRec's)`);
    expect(EVAL_HELP).toContain(`(default ${d.patience})`);
    expect(EVAL_HELP).toContain(`(default ${d.topK.join(',')};`);
    expect(EVAL_HELP).toContain(`${d.inject} (default)`);
    expect(EVAL_HELP).toContain(`${d.oAvg} (default)`);
    expect(d.strategies).toBe('auto');
    expect(d.proxyEpochs).toBe(DEFAULT_CHOOSE.epochs);
    for (const line of EVAL_HELP.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
  });
});

describe('--quick and --config', () => {
  it('--quick sets exactly its preset; flags and the config file override it', async () => {
    const q = await parseEvalArgs(['d', '--quick']);
    expect({
      seeds: q.seeds,
      maxEpochs: q.maxEpochs,
      patience: q.patience,
      proxyEpochs: q.proxyEpochs,
      ks: q.ks,
      negatives: q.negatives,
    }).toEqual({
      seeds: 1,
      maxEpochs: 50,
      patience: 5,
      proxyEpochs: 20,
      ks: [3],
      negatives: ['non-real'],
    });
    // Everything else stays at its default.
    const d = await parseEvalArgs(['d']);
    expect({ ...q, seeds: d.seeds, maxEpochs: d.maxEpochs, patience: d.patience, proxyEpochs: d.proxyEpochs }).toEqual({
      ...d,
      ks: [3],
      negatives: ['non-real'],
    });
    expect((await parseEvalArgs(['d', '--quick', '--seeds', '2'])).seeds).toBe(2);
    const cfg = join(dir, 'q.json');
    await writeFile(cfg, JSON.stringify({ quick: true, 'max-epochs': 7 }));
    const f = await parseEvalArgs(['d', '--config', cfg]);
    expect([f.seeds, f.maxEpochs]).toEqual([1, 7]);
  });

  it('a config file mirrors the flags; flags override it', async () => {
    const cfg = join(dir, 'exp.json');
    await writeFile(
      cfg,
      JSON.stringify({
        dataset: 'data/baby',
        model: 'lightgcn',
        seeds: 2,
        k: [3, 10],
        lambda: 0.05,
        strategy: 'overlay',
        topk: [10, 20, 50],
        quiet: true,
        json: 'r.json',
      }),
    );
    const a = await parseEvalArgs(['--config', cfg]);
    expect(a).toMatchObject({
      dir: 'data/baby',
      model: 'lightgcn',
      seeds: 2,
      ks: [3, 10],
      lambdas: [0.05],
      strategies: ['overlay'],
      topK: [10, 20, 50],
      quiet: true,
      json: 'r.json',
    });
    const b = await parseEvalArgs(['other', '--config', cfg, '--seeds', '4', '--k=5']);
    expect(b).toMatchObject({ dir: 'other', model: 'lightgcn', seeds: 4, ks: [5] });
  });

  it.each([
    [
      { 'max-epoch': 3 },
      (f: string) =>
        `vi-mmrec eval: unknown key "max-epoch" in config file ${f} (keys are the option names without '--', e.g. "max-epochs"; see vi-mmrec eval --help).`,
    ],
    [
      { config: 'x.json' },
      (f: string) =>
        `vi-mmrec eval: unknown key "config" in config file ${f} (keys are the option names without '--', e.g. "max-epochs"; see vi-mmrec eval --help).`,
    ],
    [{ seeds: 0 }, (f: string) => `vi-mmrec eval: "seeds" in config file ${f} expects a positive integer, got '0'.`],
    [{ quick: 'yes' }, (f: string) => `vi-mmrec eval: "quick" in config file ${f} must be true or false.`],
    [{ k: [3, {}] }, (f: string) => `vi-mmrec eval: "k" in config file ${f} must be a string, a number or a list of them.`],
    [[1, 2], (f: string) => `vi-mmrec eval: config file ${f} must hold a JSON object of options.`],
  ])('config %j is one line, exit 2, before any work', async (content, message) => {
    const cfg = join(dir, 'bad.json');
    await writeFile(cfg, JSON.stringify(content));
    const r = await run([data, '--config', cfg, '--json', join(dir, 'never.json')]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`${message(cfg)}\n`);
    expect(r.out).toBe('');
  });

  it('an unreadable or invalid config file is one line, exit 2', async () => {
    const missing = await run([data, '--config', join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toBe(`vi-mmrec eval: cannot read config file ${join(dir, 'nope.json')}: ENOENT.\n`);
    const cfg = join(dir, 'broken.json');
    await writeFile(cfg, '{"seeds": 2,');
    const broken = await run([data, '--config', cfg]);
    expect(broken.code).toBe(2);
    expect(broken.err).toMatch(
      new RegExp(`^vi-mmrec eval: config file ${cfg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid JSON: [^\\n]+\\.\\n$`),
    );
  });
});

describe('the plan', () => {
  const runsIn = (text: string): number => Number(/, (\d+) runs\n/.exec(text)?.[1]);

  it.each([
    // default auto mode: 9 proxy runs (none + 2 strategies × 2 k × 2 policies), 3 seeds × 2 variants
    [
      [],
      9 + 6,
      /9 proxy runs of bpr .*≤ 60 epochs each, patience 5/,
      /6 runs of bpr: 3 seed\(s\) × 2 variant\(s\).*≤ 1000 epochs each, patience 20/,
    ],
    // --quick: 3 proxy runs, 1 seed × 2 variants, 50 epochs
    [
      ['--quick', '--model', 'lightgcn'],
      3 + 2,
      /3 proxy runs of bpr .*≤ 20 epochs each/,
      /2 runs of lightgcn: 1 seed\(s\) × 2 variant\(s\).*≤ 50 epochs each, patience 5/,
    ],
    // manual sensitivity analysis: baseline + 2 k values, 2 seeds
    [
      ['--strategy', 'overlay', '--k', '2,4', '--seeds', '2', '--max-epochs', '7'],
      6,
      /^(?![\s\S]*proxy)/,
      /6 runs of bpr: 2 seed\(s\) × 3 variant\(s\) \(baseline; overlay k=2 [^;]*; overlay k=4 [^)]*\), ≤ 7 epochs each/,
    ],
  ] as const)(
    '--dry-run %j lists the runs and estimates, trains nothing, exits 0',
    async (extra, runs, proxy, main) => {
      const json = join(dir, 'dry.json');
      const r = await run([data, ...extra, '--json', json, '--dry-run']);
      expect(r.code).toBe(0);
      expect(runsIn(r.out)).toBe(runs);
      expect(r.out).toMatch(proxy);
      expect(r.out).toMatch(main);
      expect(r.out).toMatch(/^ {2}measured bpr: [\d.]+ (s|min) per epoch \(training 727 pairs [\d.]+ s \+ ranking [\d.]+ s\)$/m);
      expect(r.out).toMatch(
        /^ {2}estimated time: at most [\d.]+ (s|min|h \d+ min) for \d+ run\(s\)( \([\d.]+ (s|min|h \d+ min) if the proxies keep no augmentation\))? at the speed measured now, each to its epoch cap/m,
      );
      // Auto mode also bounds the time without the pick's runs.
      expect(/if the proxies keep no augmentation/.test(r.out)).toBe(!(extra as readonly string[]).includes('overlay'));
      expect(r.err).not.toMatch(/ epoch \d+\/\d+ /);
      await expect(readFile(json, 'utf8')).rejects.toThrow(/ENOENT/);
      await expect(readFile(`${json}.partial`, 'utf8')).rejects.toThrow(/ENOENT/);
    },
    60_000,
  );

  it('prints the plan on stderr before training, then run i/N and an ETA on every epoch; --quiet prints none of it', async () => {
    const argv = [data, '--strategy', 'overlay,synergistic', '--k', '3', '--seeds', '2', '--max-epochs', '2'];
    const r = await run([...argv, '--json', join(dir, 'loud.json')]);
    expect(r.code).toBe(0);
    const lines = r.err.split('\n').filter((l) => l !== '');
    const first = lines.findIndex((l) => / epoch \d+\/\d+ /.test(l));
    expect(lines.findIndex((l) => l.startsWith('plan: '))).toBeLessThan(first);
    expect(lines.findIndex((l) => l.startsWith('  estimated time: at most'))).toBeLessThan(first);
    const epochs = lines.filter((l) => / epoch \d+\/\d+ /.test(l));
    expect(epochs).toHaveLength(6 * 2);
    // Runs counted 1..6 in order, two epochs each, every line with an ETA.
    expect(epochs.map((l) => Number(/^run (\d+)\/6 /.exec(l)?.[1]))).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]);
    for (const l of epochs) expect(l).toMatch(/ · ETA (≤ |~)[\d.]+ (s|min)( \(≤ [\d.]+ (s|min)\))?$/);
    const quiet = await run([...argv, '--quiet', '--json', join(dir, 'quiet.json')]);
    expect(quiet.code).toBe(0);
    expect(quiet.err).toBe('');
    // The measurement (skipped by --quiet) trains a throw-away model: the results do not move.
    expect(stable(await readFile(join(dir, 'quiet.json'), 'utf8'))).toEqual(stable(await readFile(join(dir, 'loud.json'), 'utf8')));
  }, 60_000);
});

describe('Eta and formatDuration', () => {
  const runs: PlannedRun[] = [
    { kind: 'proxy', model: 'bpr', variant: 'no augmentation', seed: 0, maxEpochs: 10 },
    { kind: 'proxy', model: 'bpr', variant: 'overlay', seed: 0, maxEpochs: 10 },
    { kind: 'run', model: 'lightgcn', variant: 'baseline', seed: 1, maxEpochs: 100 },
    { kind: 'run', model: 'lightgcn', variant: 'overlay', seed: 1, maxEpochs: 100 },
  ];
  const costs = new Map([
    ['bpr', 2],
    ['lightgcn', 5],
  ] as const);

  it('bounds each run by its cap at the measured cost, then learns epochs and costs as runs finish', () => {
    expect(boundSeconds(runs, costs)).toBe(2 * 10 * 2 + 2 * 100 * 5);
    const eta = new Eta(runs, costs);
    expect(eta.remaining(0, 0)).toEqual({ bound: 1040 });
    // Proxy 0 measured at 3 s/epoch: the rest of the proxies use it, the runs keep theirs.
    eta.epoch(0, 3);
    expect(eta.remaining(0, 4)).toEqual({ bound: 6 * 3 + 10 * 3 + 1000 });
    // Proxy 0 stopped after 6 epochs: the other proxy likely stops there too.
    eta.done(0, 6);
    expect(eta.remaining(1, 0)).toEqual({ bound: 30 + 1000, likely: 18 + 1000 });
    expect(eta.text(1, 0)).toBe('ETA ~17 min'); // likely and bound read the same
    expect(new Eta(runs, costs).text(0, 0)).toBe('ETA ≤ 17 min');
    // The augmented run falls back on the baseline's measured cost until it has its own.
    eta.epoch(2, 4);
    expect(eta.remaining(2, 50)).toEqual({ bound: 50 * 4 + 100 * 4 });
    eta.done(2, 60);
    eta.epoch(3, 6);
    expect(eta.remaining(3, 10)).toEqual({ bound: 90 * 6, likely: 50 * 6 });
    // Past the typical length: one more epoch is likely.
    expect(eta.remaining(3, 70)).toEqual({ bound: 30 * 6, likely: 6 });
    eta.replace(runs.slice(0, 3));
    expect(eta.remaining(2, 100)).toEqual({ bound: 0, likely: 0 });
  });

  it('formats durations', () => {
    expect([4.24, 37.4, 150, 3599, 3600 + 5 * 60, 2 * 86400 + 4 * 3600].map(formatDuration)).toEqual([
      '4.2 s',
      '37 s',
      '3 min',
      '60 min',
      '1 h 5 min',
      '2 d 4 h',
    ]);
  });
});

describe('--resume', () => {
  it.each([
    // manual: interrupted in the baseline's seed 2
    ['manual', ['--strategy', 'overlay', '--k', '2', '--seeds', '3', '--max-epochs', '3'], 'baseline seed 2/3 epoch 1/', 1],
    // auto: interrupted after the choice, in the baseline's seed 1 (the proxies are kept)
    [
      'auto',
      [
        '--k',
        '3',
        '--lambda',
        '0.1',
        '--negatives',
        'non-real',
        '--proxy-epochs',
        '4',
        '--seeds',
        '2',
        '--max-epochs',
        '3',
        '--patience',
        '2',
      ],
      'baseline seed 2/2 epoch 1/',
      1,
    ],
    // auto: interrupted in the first run after the choice: only the choice is kept
    [
      'auto',
      [
        '--k',
        '3',
        '--lambda',
        '0.1',
        '--negatives',
        'non-real',
        '--proxy-epochs',
        '4',
        '--seeds',
        '2',
        '--max-epochs',
        '3',
        '--patience',
        '2',
      ],
      'baseline seed 1/2 epoch 1/',
      0,
    ],
  ] as const)(
    '%s: an interrupted run resumed from its .partial file gives the uninterrupted JSON',
    async (name, options, stopAt, finished) => {
      const full = join(dir, `${name}-${finished}-full.json`);
      const a = await run([data, ...options, '--json', full]);
      expect(a.code).toBe(0);

      const cut = join(dir, `${name}-${finished}-cut.json`);
      const controller = new AbortController();
      const b = await run([data, ...options, '--json', cut], controller.signal, (line) => {
        if (line.includes(stopAt) && !controller.signal.aborted) controller.abort('SIGINT');
      });
      expect(b.code).toBe(130);
      expect(b.err.split('\n').at(-2)).toBe(
        `vi-mmrec eval: stopped by SIGINT after ${finished} finished run(s); no output was replaced; the ${finished} finished run(s)${name === 'auto' ? " and auto mode's choice" : ''} are in ${cut}.partial (continue with --resume ${cut}.partial)`,
      );
      const partial = JSON.parse(await readFile(`${cut}.partial`, 'utf8'));
      expect(partial.runs).toHaveLength(finished);
      if (name === 'auto') expect(partial.choice.candidates).toHaveLength(3);

      const c = await run([data, ...options, '--json', cut, '--resume', `${cut}.partial`]);
      expect(c.code).toBe(0);
      // The finished runs and auto mode's proxies are not trained again.
      if (finished > 0) expect(c.err).toContain(`resumed from ${cut}.partial: ${finished} finished run(s) kept`);
      if (name === 'auto') expect(c.err).toContain(`auto mode: the choice is kept from ${cut}.partial: `);
      expect(c.err).not.toMatch(/proxy/);
      const trained = new Set(c.err.split('\n').flatMap((l) => /^run (\d+)\/\d+ .* epoch \d+\//.exec(l)?.[1] ?? []));
      expect(trained.size).toBe(JSON.parse(await readFile(full, 'utf8')).runs.length - finished);
      expect(stable(await readFile(cut, 'utf8'))).toEqual(stable(await readFile(full, 'utf8')));
      // The printed table too, but for its wall-clock figures.
      const mask = (t: string): string => t.replace(/augment: [\d.]+ s once/g, 'augment: s once').replace(/^s\/epoch.*$/gm, 's/epoch');
      expect(mask(c.out)).toBe(mask(a.out));
      await expect(readFile(`${cut}.partial`, 'utf8')).rejects.toThrow(/ENOENT/);
    },
    180_000,
  );

  it('refuses a .partial file made with other options, or not a .partial file: one line, exit 2, before any work', async () => {
    const json = join(dir, 'mismatch.json');
    const options = [data, '--strategy', 'overlay', '--k', '2', '--seeds', '2', '--max-epochs', '2'];
    const controller = new AbortController();
    const b = await run([...options, '--json', json], controller.signal, (line) => {
      if (line.includes('baseline seed 2/2 epoch 1/') && !controller.signal.aborted) controller.abort('SIGINT');
    });
    expect(b.code).toBe(130);
    const p = `${json}.partial`;
    const before = await readFile(p, 'utf8');
    const other = await run([...options, '--max-epochs', '5', '--json', json, '--resume', p]);
    expect(other.code).toBe(2);
    expect(other.err).toBe(
      `vi-mmrec eval: --resume ${p} was made with max-epochs 2, not 5: resume with the options listed under "options" in that file.\n`,
    );
    const k = await run([...options, '--k', '3', '--resume', p]);
    expect(k.err).toBe(
      `vi-mmrec eval: --resume ${p} was made with k 2, not 3: resume with the options listed under "options" in that file.\n`,
    );
    expect(await readFile(p, 'utf8')).toBe(before);
    const notPartial = join(dir, 'not-partial.json');
    await writeFile(notPartial, '{"complete": false, "runs": []}');
    const np = await run([...options, '--resume', notPartial]);
    expect(np.code).toBe(2);
    expect(np.err).toBe(
      `vi-mmrec eval: --resume ${notPartial} is not a .partial file of this version of vi-mmrec eval (no "options", "runs" and "augments").\n`,
    );
    const missing = await run([...options, '--resume', join(dir, 'gone.partial')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toBe(`vi-mmrec eval: cannot read --resume file ${join(dir, 'gone.partial')}: ENOENT.\n`);
  }, 60_000);
});
