// `vi-mmrec eval`'s options: the help text, the flags, the config file that mirrors them and
// the --quick preset. One table (OPTIONS) drives the parser, the config file's keys and the
// help's completeness test.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { OAvgMode, Strategy } from '@vi-mmrec/core';
import type { InjectMode, NegativePolicy } from '@vi-mmrec/integration-loader';
import { DEFAULT_CHOOSE, RECOMMENDED_SETTINGS } from './auto.js';
import type { ModelName } from './models/types.js';

/** A usage error: one line, exit 2. */
export class UsageError extends Error {}

/** Most `--seeds`: each seed trains every variant in full; the bound keeps memory sized by use. */
export const MAX_SEEDS = 1000;

const MODELS: readonly ModelName[] = ['bpr', 'lightgcn', 'vbpr', 'freedom'];

/**
 * Every option: `true` for a valued option, `false` for a flag. The config file's keys are
 * these names without `--` (plus `dataset`); `--config` and `--help` are command line only.
 */
export const OPTIONS: Readonly<Record<string, boolean>> = {
  '--model': true,
  '--seeds': true,
  '--max-epochs': true,
  '--patience': true,
  '--topk': true,
  '--strategy': true,
  '--k': true,
  '--lambda': true,
  '--negatives': true,
  '--inject': true,
  '--o-avg': true,
  '--backend': true,
  '--proxy-model': true,
  '--proxy-epochs': true,
  '--quick': false,
  '--config': true,
  '--resume': true,
  '--dry-run': false,
  '--json': true,
  '--report': true,
  '--quiet': false,
};

const SHORT: Readonly<Record<string, string>> = { '-q': '--quiet' };

/**
 * What `--quick` sets, for the options neither the command line nor the config file gives:
 * one seed, short runs, a three-candidate proxy grid (no augmentation, overlay and
 * synergistic, k = 3, λ = 0.1, negatives non-real).
 */
export const QUICK_PRESET: Readonly<Record<string, string>> = {
  '--seeds': '1',
  '--max-epochs': '50',
  '--patience': '5',
  '--proxy-epochs': '20',
  '--k': '3',
  '--negatives': 'non-real',
};

/** `vi-mmrec eval --help`. */
export const EVAL_HELP = `Usage: vi-mmrec eval <datasetDir> [--model bpr|lightgcn|vbpr|freedom] [options]
       vi-mmrec eval <datasetDir> --model lightgcn --quick        a first look: minutes, not hours
       vi-mmrec eval --config experiment.json [options]          options from a file; flags win
       vi-mmrec eval <datasetDir> [options] --dry-run            print the plan and estimate only
       vi-mmrec eval <datasetDir> [same options] --json r.json --resume r.json.partial

Trains a recommender on <datasetDir> (MMRec layout, as 'vi-mmrec augment' reads it) without
and with virtual interactions, same seeds, and prints the test metrics of the best validation
epoch (mean ± std over seeds, relative gain) and the seconds and pairs per epoch. Protocol,
models and the auto mode: docs/evaluation.md.

Cost. A run trains one model with one seed until validation Recall@20 has not improved for
--patience epochs, at most --max-epochs; every epoch ends with a full ranking of all items.
The defaults are the paper's protocol and can take hours on a 20k-user dataset: 9 proxy runs
of up to 60 epochs (auto mode), then 3 seeds × 2 variants (baseline, augmented) of up to 1000
epochs. Before training, eval prints its plan (every run and its epoch cap) and an estimated
time from a short measurement (a few training batches and one ranking of each model): an
upper bound at that speed, each run to its cap. During the runs, stderr shows 'run i/N' and
the ETA (it follows the machine's load).

Model and training:
  --model <m>          bpr (default, the cheapest epoch), lightgcn, vbpr or freedom (lightgcn
                       and freedom propagate over the interaction graph at every batch: several
                       times bpr's epoch; the plan measures it)
  --seeds <n>          seeds 1..n per variant (default 3, at most ${MAX_SEEDS}); cost: n runs per variant
  --max-epochs <n>     epoch cap of every run (default 1000, MMRec's); the estimate's bound
  --patience <n>       stop a run after n epochs without a better validation Recall@20 (default 20)
  --topk <list>        cut-offs of Recall@K and NDCG@K, e.g. 10,20,50 (default 10,20; 20 is
                       always computed: early stopping uses it); cost: negligible

Augmentation:
  --strategy <s>       auto (default): choose the settings on validation data (below);
                       overlay, synergistic or overlay,synergistic: every combination of
                       --strategy × --k × --lambda is one variant, each trained with every seed
                       (cost: one baseline + one run set per variant)
  --k <list>           neighbours per item (auto default ${DEFAULT_CHOOSE.ks.join(',')}; otherwise ${RECOMMENDED_SETTINGS.k})
  --lambda <list>      strength λ of virtual interactions (auto default ${DEFAULT_CHOOSE.lambdas.join(',')}; otherwise ${RECOMMENDED_SETTINGS.lambda})
  --negatives <list>   loader negatives: non-real, non-interacted (auto default both; otherwise
                       the first of the list, default ${RECOMMENDED_SETTINGS.negatives})
  --inject <mode>      ${RECOMMENDED_SETTINGS.inject} (default), graph or both: where virtual interactions enter training
                       (graph/both make graph models propagate over R̄: slower epochs)
  --o-avg <mode>       modality-mean (default) or density: what group overlaps are divided by
  --backend <x>        neighbour search of augment: auto (default), a backend name, or a backend
                       package's name or path (as 'vi-mmrec augment --backend'); one augment per
                       setting, usually seconds next to training

Auto mode (--strategy auto): no augmentation and every (strategy, k, λ, negatives) candidate
are tried with a proxy model on the validation split (patience ${DEFAULT_CHOOSE.patience}, seed 0); the best is
kept only if it gains ≥ ${DEFAULT_CHOOSE.minGain * 100} % and the evaluated model confirms it. Cost: (1 + candidates)
proxy runs (default 9) of up to --proxy-epochs epochs, before the seeds.
  --proxy-model <m>    proxy model (default bpr, the cheapest; the evaluated model's family
                       chooses better for it, at its cost per epoch)
  --proxy-epochs <n>   epoch cap of each proxy run (default ${DEFAULT_CHOOSE.epochs})

Presets, files, resuming:
  --quick              a first look: sets --seeds ${QUICK_PRESET['--seeds']} --max-epochs ${QUICK_PRESET['--max-epochs']} --patience ${QUICK_PRESET['--patience']} --proxy-epochs ${QUICK_PRESET['--proxy-epochs']}
                       --k ${QUICK_PRESET['--k']} --negatives ${QUICK_PRESET['--negatives']} (auto: 3 proxy runs), for each of them not
                       given on the command line or in --config; one seed has no std
  --config <file>      a JSON object of options: keys are the option names without '--'
                       ("max-epochs": 100, "k": [3, 10], "quick": true, "dataset": "data/baby"),
                       paths as on the command line; command-line flags override the file
  --resume <file>      the .partial file of an interrupted run with the same options: its
                       finished runs (and auto mode's choice) are kept, not trained again
  --dry-run            measure, print the plan and the estimate on stdout, train nothing

Output:
  --json <file>        results as JSON; while running, <file>.partial keeps the finished runs
  --report <file>      a self-contained HTML report (written with --json: both or neither)
  -q, --quiet          no plan, progress or informational lines (errors still print)
  -h, --help           show this help

Ctrl-C (or SIGTERM) stops after the current epoch: the finished runs stay in <file>.partial
(with --json), nothing else is replaced; exit 130 (143). Exit codes: 0 success, 1 failure,
2 usage error (bad option, config file or --resume file).

Examples:
  vi-mmrec eval data/baby --model lightgcn --quick --json baby.json
  vi-mmrec eval data/baby --model lightgcn --dry-run
  vi-mmrec eval data/baby --strategy overlay --k 3,10 --lambda 0.05,0.1 --seeds 5 --report baby.html
`;

/** Parsed and checked options of `vi-mmrec eval`. */
export interface EvalArgs {
  readonly dir: string;
  readonly model: ModelName;
  readonly seeds: number;
  readonly strategies: Strategy[] | 'auto';
  readonly ks?: number[];
  readonly lambdas?: number[];
  readonly oAvg: OAvgMode;
  readonly inject: InjectMode;
  readonly negatives?: NegativePolicy[];
  readonly maxEpochs: number;
  readonly patience: number;
  readonly topK: number[];
  readonly proxyEpochs: number;
  readonly proxyModel: ModelName;
  readonly backend: string;
  readonly json?: string;
  readonly report?: string;
  readonly resume?: string;
  readonly dryRun: boolean;
  readonly quiet: boolean;
}

/**
 * The options that decide the results (not where they go): what a `--resume` file must match.
 * Keys are the config file's.
 */
export function resultOptions(a: EvalArgs): Record<string, unknown> {
  return {
    dataset: resolve(a.dir),
    model: a.model,
    seeds: a.seeds,
    'max-epochs': a.maxEpochs,
    patience: a.patience,
    topk: a.topK,
    strategy: a.strategies,
    k: a.ks ?? null,
    lambda: a.lambdas ?? null,
    negatives: a.negatives ?? null,
    inject: a.inject,
    'o-avg': a.oAvg,
    backend: a.backend,
    'proxy-model': a.strategies === 'auto' ? a.proxyModel : null,
    'proxy-epochs': a.strategies === 'auto' ? a.proxyEpochs : null,
  };
}

type Source = { value: string; from: 'flag' | 'file' | 'quick' };

/** A config file's value as the flag's text: numbers and strings as written, lists joined by commas. */
function configValue(file: string, key: string, v: unknown, flag: boolean): string {
  const where = `"${key}" in config file ${file}`;
  if (flag) {
    if (typeof v !== 'boolean') throw new UsageError(`${where} must be true or false.`);
    return String(v);
  }
  const scalar = (x: unknown): string => {
    if (typeof x === 'number' || (typeof x === 'string' && x !== '')) return String(x);
    throw new UsageError(`${where} must be a string, a number or a list of them.`);
  };
  return Array.isArray(v) && v.length > 0 ? v.map(scalar).join(',') : scalar(v);
}

async function readConfig(file: string): Promise<Map<string, string>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read config file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`config file ${file} is not valid JSON: ${(e as Error).message.split('\n')[0]}.`);
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
    throw new UsageError(`config file ${file} must hold a JSON object of options.`);
  const out = new Map<string, string>();
  for (const [key, v] of Object.entries(obj)) {
    if (key === 'dataset') {
      out.set('dataset', configValue(file, key, v, false));
      continue;
    }
    const name = `--${key}`;
    if (!(name in OPTIONS) || name === '--config') {
      throw new UsageError(
        `unknown key "${key}" in config file ${file} (keys are the option names without '--', e.g. "max-epochs"; see vi-mmrec eval --help).`,
      );
    }
    out.set(name, configValue(file, key, v, !OPTIONS[name]));
  }
  return out;
}

/**
 * Parses `eval`'s command line (and its `--config` file and `--quick` preset); throws
 * {@link UsageError} with a one-line message. Precedence: flags, then the config file, then
 * `--quick`, then the defaults.
 */
export async function parseEvalArgs(argv: readonly string[]): Promise<EvalArgs> {
  const pos: string[] = [];
  const opts = new Map<string, Source>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('-') && a !== '-') {
      const eq = a.indexOf('=');
      const raw = eq >= 0 ? a.slice(0, eq) : a;
      const name = SHORT[raw] ?? raw;
      const valued = OPTIONS[name];
      if (valued === undefined) throw new UsageError(`unknown option ${raw}.`);
      if (!valued) {
        if (eq >= 0) throw new UsageError(`${name} does not take a value.`);
        opts.set(name, { value: 'true', from: 'flag' });
      } else {
        const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined) throw new UsageError(`${name} needs a value.`);
        opts.set(name, { value: v, from: 'flag' });
      }
    } else pos.push(a);
  }
  const configFile = opts.get('--config')?.value;
  let datasetFromFile: string | undefined;
  if (configFile !== undefined) {
    for (const [name, value] of await readConfig(configFile)) {
      if (name === 'dataset') datasetFromFile = value;
      else if (!opts.has(name)) opts.set(name, { value, from: 'file' });
    }
  }
  const label = (flag: string): string => {
    const from = opts.get(flag)?.from;
    return from === 'file' ? `"${flag.slice(2)}" in config file ${configFile}` : from === 'quick' ? `${flag} (of --quick)` : flag;
  };
  const isOn = (flag: string): boolean => {
    const v = opts.get(flag)?.value;
    return v === 'true';
  };
  if (isOn('--quick'))
    for (const [name, value] of Object.entries(QUICK_PRESET)) if (!opts.has(name)) opts.set(name, { value, from: 'quick' });
  if (pos.length > 1) throw new UsageError(`expected one <datasetDir>, got ${pos.length}.`);
  const dir = pos[0] ?? datasetFromFile;
  if (dir === undefined) throw new UsageError('missing <datasetDir> (or "dataset" in the --config file).');
  const get = (flag: string): string | undefined => opts.get(flag)?.value;
  const int = (flag: string, d: number): number => {
    const v = get(flag);
    if (v === undefined) return d;
    const n = /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${label(flag)} expects a positive integer, got '${v}'.`);
    return n;
  };
  const list = (flag: string, kind: 'int' | 'float'): number[] | undefined => {
    const v = get(flag);
    if (v === undefined) return undefined;
    const out = v.split(',').map((s) => (s.trim() === '' ? NaN : Number(s.trim())));
    for (const x of out) {
      if (!Number.isFinite(x) || (kind === 'int' && (!Number.isInteger(x) || x < 1)) || x < 0) {
        throw new UsageError(
          `${label(flag)} expects a comma-separated list of ${kind === 'int' ? 'positive integers' : 'numbers ≥ 0'}, got '${v}'.`,
        );
      }
    }
    return out;
  };
  const oneOf = <T extends string>(flag: string, v: string, allowed: readonly T[]): T => {
    if (!allowed.includes(v as T)) throw new UsageError(`${label(flag)} must be one of ${allowed.join(', ')}, got '${v}'.`);
    return v as T;
  };
  const seeds = int('--seeds', 3);
  if (seeds > MAX_SEEDS) throw new UsageError(`${label('--seeds')} must be at most ${MAX_SEEDS}, got ${seeds}.`);
  const strategyArg = get('--strategy') ?? 'auto';
  const strategies =
    strategyArg === 'auto'
      ? 'auto'
      : [...new Set(strategyArg.split(',').map((s) => oneOf('--strategy', s, ['overlay', 'synergistic'] as const)))];
  const ks = list('--k', 'int');
  const lambdas = list('--lambda', 'float');
  const nArg = get('--negatives');
  const backend = get('--backend') ?? 'auto';
  if (backend === '') throw new UsageError(`${label('--backend')} needs a value.`);
  const json = get('--json');
  const report = get('--report');
  const resume = get('--resume');
  return {
    dir,
    model: oneOf('--model', get('--model') ?? 'bpr', MODELS),
    seeds,
    strategies,
    ...(ks === undefined ? {} : { ks }),
    ...(lambdas === undefined ? {} : { lambdas }),
    oAvg: oneOf('--o-avg', get('--o-avg') ?? 'modality-mean', ['modality-mean', 'density'] as const),
    inject: oneOf('--inject', get('--inject') ?? RECOMMENDED_SETTINGS.inject, ['pairs', 'graph', 'both'] as const),
    ...(nArg === undefined
      ? {}
      : { negatives: nArg.split(',').map((s) => oneOf('--negatives', s, ['non-real', 'non-interacted'] as const)) }),
    maxEpochs: int('--max-epochs', 1000),
    patience: int('--patience', 20),
    topK: list('--topk', 'int') ?? [10, 20],
    proxyEpochs: int('--proxy-epochs', DEFAULT_CHOOSE.epochs),
    proxyModel: oneOf('--proxy-model', get('--proxy-model') ?? 'bpr', MODELS),
    backend,
    ...(json === undefined ? {} : { json }),
    ...(report === undefined ? {} : { report }),
    ...(resume === undefined ? {} : { resume }),
    dryRun: isOn('--dry-run'),
    quiet: isOn('--quiet'),
  };
}
