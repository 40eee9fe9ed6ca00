import { rm } from 'node:fs/promises';
import { AbortedError, isViMmrecError } from '@vi-mmrec/core';
import type { Logger, OAvgMode, Strategy } from '@vi-mmrec/core';
import { selectBackend } from '@vi-mmrec/core/node';
import { checkOutputFile, createOutputTransaction, readDataset, writeTextAtomic } from '@vi-mmrec/io';
import type { InjectMode, NegativePolicy } from '@vi-mmrec/integration-loader';
import { type Choice, DEFAULT_CHOOSE, RECOMMENDED_SETTINGS, chooseSettings, confirmChoice } from './auto.js';
import type { EvalDataset } from './dataset.js';
import {
  type AugmentSettings,
  type TrainSettings,
  activityGroups,
  augmentFor,
  loaderFor,
  meanStd,
  prepareData,
  runOnce,
  summarise,
} from './experiment.js';
import type { ModelName } from './models/types.js';
import { type EvalMeta, renderReport, runMeta } from './report.js';
import type { RunResult } from './train.js';

/** Streams and terminal facts `evalCommand` writes to. */
export interface EvalIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly isTTY: boolean;
  /**
   * Stops the run after the current epoch (the bin wires it to Ctrl-C and SIGTERM, with the
   * signal's name as the reason): finished runs are kept in `--json`'s `.partial` file.
   */
  readonly signal?: AbortSignal;
}

/** Most `--seeds`: each seed trains every variant in full; the bound keeps memory sized by use. */
export const MAX_SEEDS = 1000;

type Stat = { mean: number; std: number };

/** The JSON `vi-mmrec eval --json FILE` writes. */
export interface EvalJson {
  readonly settings: {
    readonly dataset: string;
    readonly model: ModelName;
    readonly seeds: number;
    readonly maxEpochs: number;
    readonly patience: number;
    readonly topK: readonly number[];
    readonly mode: 'auto' | 'manual';
    readonly augment: readonly (AugmentSettings | null)[];
  };
  /**
   * Auto mode only: what was chosen on validation data, and why — by the proxy, then
   * confirmed (or rejected) with the evaluated model's own validation runs.
   */
  readonly choice?: Choice;
  /**
   * Test metrics over seeds. `augmented` is the first variant's, except in auto mode when the
   * evaluated model rejected the proxy's pick on validation: then it is the baseline's (the
   * default trains without augmentation) and the pick's own numbers stay in `variants`.
   */
  readonly summary: { readonly baseline: Record<string, Stat>; readonly augmented: Record<string, Stat> };
  readonly baseline: { readonly secondsPerEpoch: number; readonly pairsPerEpoch: number };
  readonly variants: ReadonlyArray<{
    readonly label: string;
    readonly settings: AugmentSettings | null;
    readonly augmentSeconds: number;
    readonly virtualPairs: number;
    readonly summary: Record<string, Stat>;
    readonly secondsPerEpoch: number;
    readonly pairsPerEpoch: number;
  }>;
  readonly runs: ReadonlyArray<{
    readonly variant: string;
    readonly seed: number;
    readonly test: Record<string, number>;
    readonly valid: Record<string, number>;
    readonly bestEpoch: number;
    readonly epochs: number;
    readonly secondsPerEpoch: number;
    readonly pairsPerEpoch: number;
  }>;
  readonly activityGroups: ReadonlyArray<{ readonly label: string; readonly users: number; readonly baseline: number; readonly augmented: number }>;
  /** How the result was made: versions, date, command line, backend (absent in older files). */
  readonly meta?: EvalMeta;
}

class UsageError extends Error {}

const MODELS: readonly ModelName[] = ['bpr', 'lightgcn', 'vbpr', 'freedom'];

const USAGE = `usage: vi-mmrec eval <datasetDir> --model bpr|lightgcn|vbpr|freedom [--seeds N]
  [--strategy auto|overlay|synergistic[,…]] [--k 3,5,10] [--lambda 0.05,0.1] [--o-avg modality-mean|density]
  [--inject pairs|graph|both] [--negatives non-real|non-interacted] [--max-epochs N] [--patience N]
  [--topk 10,20] [--proxy-epochs N] [--proxy-model bpr|lightgcn|vbpr|freedom] [--backend auto|NAME|PACKAGE|PATH]
  [--json FILE] [--report FILE.html] [--quiet] [--help]`;

interface Args {
  dir: string;
  model: ModelName;
  seeds: number;
  strategies: Strategy[] | 'auto';
  ks?: number[];
  lambdas?: number[];
  oAvg: OAvgMode;
  inject: InjectMode;
  negatives?: NegativePolicy[];
  maxEpochs: number;
  patience: number;
  topK: number[];
  proxyEpochs: number;
  proxyModel: ModelName;
  backend: string;
  json?: string;
  report?: string;
  quiet: boolean;
}

function parseList(flag: string, v: string, kind: 'int' | 'float'): number[] {
  const out = v.split(',').map((s) => Number(s.trim()));
  for (const x of out) {
    if (!Number.isFinite(x) || (kind === 'int' && (!Number.isInteger(x) || x < 1)) || x < 0) {
      throw new UsageError(`${flag} expects a comma-separated list of ${kind === 'int' ? 'positive integers' : 'numbers ≥ 0'}, got '${v}'.`);
    }
  }
  return out;
}

function nonEmpty(flag: string, v: string): string {
  if (v === '') throw new UsageError(`${flag} needs a value.`);
  return v;
}

function oneOf<T extends string>(flag: string, v: string, allowed: readonly T[]): T {
  if (!allowed.includes(v as T)) throw new UsageError(`${flag} must be one of ${allowed.join(', ')}, got '${v}'.`);
  return v as T;
}

/** Parses `eval`'s arguments; throws `UsageError` with a one-line message. */
function parseArgs(argv: readonly string[]): Args {
  const pos: string[] = [];
  const opts = new Map<string, string>();
  const flags = new Set(['--quiet']);
  const valued = new Set(['--model', '--seeds', '--strategy', '--k', '--lambda', '--o-avg', '--inject', '--negatives', '--max-epochs', '--patience', '--topk', '--proxy-epochs', '--proxy-model', '--backend', '--json', '--report']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(0, eq) : a;
      if (flags.has(name)) {
        opts.set(name, 'true');
      } else if (valued.has(name)) {
        const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined) throw new UsageError(`${name} needs a value.`);
        opts.set(name, v);
      } else throw new UsageError(`unknown option ${name}.`);
    } else pos.push(a);
  }
  if (pos.length !== 1) throw new UsageError(pos.length === 0 ? 'missing <datasetDir>.' : `expected one <datasetDir>, got ${pos.length}.`);
  const int = (flag: string, d: number): number => {
    const v = opts.get(flag);
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} expects a positive integer, got '${v}'.`);
    return n;
  };
  const seeds = int('--seeds', 3);
  if (seeds > MAX_SEEDS) throw new UsageError(`--seeds must be at most ${MAX_SEEDS}, got ${seeds}.`);
  const strategyArg = opts.get('--strategy') ?? 'auto';
  const strategies = strategyArg === 'auto' ? 'auto' : strategyArg.split(',').map((s) => oneOf('--strategy', s, ['overlay', 'synergistic'] as const));
  const kArg = opts.get('--k');
  const lArg = opts.get('--lambda');
  const nArg = opts.get('--negatives');
  const json = opts.get('--json');
  const report = opts.get('--report');
  return {
    dir: pos[0]!,
    model: oneOf('--model', opts.get('--model') ?? 'bpr', MODELS),
    seeds,
    strategies,
    ...(kArg === undefined ? {} : { ks: parseList('--k', kArg, 'int') }),
    ...(lArg === undefined ? {} : { lambdas: parseList('--lambda', lArg, 'float') }),
    oAvg: oneOf('--o-avg', opts.get('--o-avg') ?? 'modality-mean', ['modality-mean', 'density'] as const),
    inject: oneOf('--inject', opts.get('--inject') ?? RECOMMENDED_SETTINGS.inject, ['pairs', 'graph', 'both'] as const),
    ...(nArg === undefined ? {} : { negatives: nArg.split(',').map((s) => oneOf('--negatives', s, ['non-real', 'non-interacted'] as const)) }),
    maxEpochs: int('--max-epochs', 1000),
    patience: int('--patience', 20),
    topK: parseList('--topk', opts.get('--topk') ?? '10,20', 'int'),
    proxyEpochs: int('--proxy-epochs', DEFAULT_CHOOSE.epochs),
    proxyModel: oneOf('--proxy-model', opts.get('--proxy-model') ?? 'bpr', MODELS),
    backend: nonEmpty('--backend', opts.get('--backend') ?? 'auto'),
    ...(json === undefined ? {} : { json }),
    ...(report === undefined ? {} : { report }),
    quiet: opts.has('--quiet'),
  };
}

const label = (s: AugmentSettings | null): string => (s === null ? 'no augmentation' : `${s.strategy} k=${s.k} λ=${s.lambda} ${s.negatives} ${s.inject}`);
const fmt = (s: Stat | undefined): string => (s === undefined ? '–' : `${s.mean.toFixed(4)} ± ${s.std.toFixed(4)}`);

/**
 * `vi-mmrec eval <datasetDir> …`: trains the chosen model on the baseline and the augmented
 * data with identical seeds, evaluates both by the MMRec protocol, prints a table (mean ± std
 * over seeds, relative gain, seconds and pairs per epoch) and optionally writes JSON and an
 * HTML report. Without `--strategy` (or with `--strategy auto`) the augmentation settings are
 * chosen on validation data by {@link chooseSettings} — possibly "no augmentation".
 * Returns the exit code: 0 ok, 1 failure, 2 usage error, 130 (143 for SIGTERM) when
 * `io.signal` stops it after an epoch; errors are one line on stderr.
 */
export async function evalCommand(argv: string[], io: EvalIo): Promise<number> {
  const say = (s: string): void => void io.stdout.write(`${s}\n`);
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    io.stderr.write(`vi-mmrec eval: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const progress = (s: string): void => {
    if (args.quiet) return;
    // A terminal gets one rewritten status line; logs (not a TTY) get plain lines.
    io.stderr.write(io.isTTY ? `\r\x1b[2K${s}` : `${s}\n`);
  };
  const logger: Logger = { info: () => {}, warn: (m) => void io.stderr.write(args.quiet ? '' : `${io.isTTY ? '\r\x1b[2K' : ''}warning: ${m}\n`) };
  const { signal } = io;
  const stopIfAborted = (): void => {
    if (signal?.aborted === true) throw new AbortedError();
  };
  const runs: Array<EvalJson['runs'][number]> = [];
  try {
    for (const [option, file] of [['--json', args.json], ['--report', args.report]] as const) {
      if (file !== undefined) await checkOutputFile(file, { option, datasetDir: args.dir });
    }
    // --backend as vi-mmrec augment reads it: auto, a name, or a backend package's name or path,
    // resolved from the working directory first, then beside this package.
    const backend = await selectBackend(args.backend, { cwd: process.cwd(), fallback: [import.meta.url], logger });
    const dataset = (await readDataset(args.dir)) as EvalDataset;
    stopIfAborted();
    const data = prepareData(dataset, args.topK);
    const train: TrainSettings = { model: args.model, maxEpochs: args.maxEpochs, patience: args.patience, learningRate: 1e-3, ks: args.topK };
    let choice: Choice | undefined;
    let variants: (AugmentSettings | null)[];
    if (args.strategies === 'auto') {
      choice = await chooseSettings(dataset, {
        prepared: data,
        epochs: args.proxyEpochs,
        model: args.proxyModel,
        inject: args.inject,
        oAvg: args.oAvg,
        ...(args.ks === undefined ? {} : { ks: args.ks }),
        ...(args.lambdas === undefined ? {} : { lambdas: args.lambdas }),
        ...(args.negatives === undefined ? {} : { negatives: args.negatives }),
        logger,
        backend,
        ...(signal === undefined ? {} : { signal }),
        onCandidate: (i, n, s) => {
          stopIfAborted();
          progress(`auto: proxy ${i + 1}/${n} (${label(s)})`);
        },
      });
      if (!args.quiet) say(`auto: ${choice.reason}`);
      variants = [choice.settings];
    } else {
      variants = [];
      for (const strategy of args.strategies) {
        for (const k of args.ks ?? [RECOMMENDED_SETTINGS.k]) {
          for (const lambda of args.lambdas ?? [RECOMMENDED_SETTINGS.lambda]) {
            variants.push({ strategy, k, lambda, oAvg: args.oAvg, inject: args.inject, negatives: args.negatives?.[0] ?? RECOMMENDED_SETTINGS.negatives });
          }
        }
      }
    }
    const seeds = Array.from({ length: args.seeds }, (_, i) => i + 1);
    const runVariant = async (name: string, make: (seed: number) => ReturnType<typeof loaderFor>): Promise<RunResult[]> => {
      const out: RunResult[] = [];
      for (const seed of seeds) {
        const r = await runOnce(data, train, seed, make(seed), (e) =>
          progress(`${args.model} ${name} seed ${seed}/${seeds.length} epoch ${e.epoch} loss ${e.loss.toFixed(4)} valid R@20 ${e.validRecall20.toFixed(4)} (${e.trainSeconds.toFixed(1)} s)`),
          signal,
        );
        // A run cut short by a signal is not a result: keep only the finished ones.
        stopIfAborted();
        out.push(r);
        runs.push({ variant: name, seed, test: r.test, valid: r.valid, bestEpoch: r.bestEpoch, epochs: r.epochs, secondsPerEpoch: r.secondsPerEpoch, pairsPerEpoch: r.pairsPerEpoch });
        // Long experiments lose nothing when interrupted: the finished runs so far.
        if (args.json !== undefined) await writeTextAtomic(`${args.json}.partial`, `${JSON.stringify({ complete: false, variants, runs }, null, 2)}\n`);
      }
      return out;
    };
    const baseRuns = await runVariant('baseline', (seed) => loaderFor(data, seed));
    const baseSummary = summarise(baseRuns);
    const baseline = { secondsPerEpoch: meanStd(baseRuns.map((r) => r.secondsPerEpoch)).mean, pairsPerEpoch: meanStd(baseRuns.map((r) => r.pairsPerEpoch)).mean };
    const variantOut: Array<EvalJson['variants'][number]> = [];
    let firstAugRuns: RunResult[] | undefined;
    for (const s of variants) {
      if (s === null) {
        variantOut.push({ label: label(s), settings: null, augmentSeconds: 0, virtualPairs: 0, summary: baseSummary, ...baseline });
        firstAugRuns ??= baseRuns;
        continue;
      }
      progress(`augment (${label(s)})`);
      const result = await augmentFor(data, s, logger, backend);
      const augRuns = await runVariant(label(s), (seed) => loaderFor(data, seed, { result, settings: s }));
      firstAugRuns ??= augRuns;
      variantOut.push({
        label: label(s),
        settings: s,
        augmentSeconds: result.summary.seconds.total,
        virtualPairs: result.summary.counts.virtualOnly,
        summary: summarise(augRuns),
        secondsPerEpoch: meanStd(augRuns.map((r) => r.secondsPerEpoch)).mean,
        pairsPerEpoch: meanStd(augRuns.map((r) => r.pairsPerEpoch)).mean,
      });
    }
    if (io.isTTY && !args.quiet) io.stderr.write('\r\x1b[2K');
    // The default's second stage: the evaluated model itself must confirm the proxy's pick on
    // validation; otherwise the default is no augmentation.
    let chosenRuns = firstAugRuns ?? baseRuns;
    let chosenSummary = variantOut[0]?.summary ?? baseSummary;
    if (choice !== undefined && choice.settings !== null && firstAugRuns !== undefined) {
      choice = confirmChoice(choice, args.model, baseRuns, firstAugRuns);
      if (choice.settings === null) {
        chosenRuns = baseRuns;
        chosenSummary = baseSummary;
      }
    }
    // Gain by user-activity group (test Recall@20 averaged over seeds, the variant summarised).
    const testUsers = Int32Array.from(Array.from(data.evaluator.users).filter((u) => data.splits.test.rowPtr[u + 1]! > data.splits.test.rowPtr[u]!));
    const groupMean = (rs: RunResult[], users: Int32Array): number =>
      meanStd(rs.map((r) => (users.length === 0 ? 0 : Array.from(users, (u) => r.perUserTestRecall[u] ?? 0).reduce((a, b) => a + b, 0) / users.length))).mean;
    const groups = activityGroups(data.splits.train, testUsers).map((g) => ({
      label: g.label,
      users: g.users.length,
      baseline: groupMean(baseRuns, g.users),
      augmented: groupMean(chosenRuns, g.users),
    }));
    const json: EvalJson = {
      settings: { dataset: dataset.name, model: args.model, seeds: args.seeds, maxEpochs: args.maxEpochs, patience: args.patience, topK: data.evaluator.ks, mode: args.strategies === 'auto' ? 'auto' : 'manual', augment: variants },
      ...(choice === undefined ? {} : { choice }),
      summary: { baseline: baseSummary, augmented: chosenSummary },
      baseline,
      variants: variantOut,
      runs,
      activityGroups: groups,
      meta: runMeta(argv, { backend: backend.name }),
    };
    if (!args.quiet) {
      say(`dataset ${dataset.name} (${dataset.numUsers} users, ${dataset.numItems} items), model ${args.model}, ${args.seeds} seed(s), test metrics at the best validation epoch`);
      for (const v of variantOut) {
        say(`\n${v.label}${v.settings === null ? '' : ` (augment: ${v.augmentSeconds.toFixed(2)} s once, ${v.virtualPairs} virtual pairs)`}`);
        say(`${'metric'.padEnd(12)}${'baseline'.padEnd(20)}${'augmented'.padEnd(20)}gain`);
        for (const m of Object.keys(baseSummary)) {
          const b = baseSummary[m];
          const a = v.summary[m];
          const gain = b !== undefined && a !== undefined && b.mean > 0 ? `${a.mean >= b.mean ? '+' : ''}${((a.mean / b.mean - 1) * 100).toFixed(1)} %` : '–';
          say(`${m.padEnd(12)}${fmt(b).padEnd(20)}${fmt(a).padEnd(20)}${gain}`);
        }
        say(`${'s/epoch'.padEnd(12)}${baseline.secondsPerEpoch.toFixed(2).padEnd(20)}${v.secondsPerEpoch.toFixed(2).padEnd(20)}×${(v.secondsPerEpoch / baseline.secondsPerEpoch).toFixed(2)}`);
        say(`${'pairs/epoch'.padEnd(12)}${String(Math.round(baseline.pairsPerEpoch)).padEnd(20)}${String(Math.round(v.pairsPerEpoch)).padEnd(20)}×${(v.pairsPerEpoch / baseline.pairsPerEpoch).toFixed(2)}`);
      }
      if (choice?.confirmation !== undefined) say(`\nauto: ${choice.reason}`);
    }
    // --json and --report are replaced together, or neither.
    const tx = createOutputTransaction();
    try {
      if (args.json !== undefined) await writeTextAtomic(args.json, `${JSON.stringify(json, null, 2)}\n`, { transaction: tx });
      if (args.report !== undefined) await writeTextAtomic(args.report, renderReport([json]), { transaction: tx });
      stopIfAborted();
      tx.commit();
    } finally {
      tx.rollback();
    }
    if (args.json !== undefined) await rm(`${args.json}.partial`, { force: true });
    return 0;
  } catch (e) {
    if (io.isTTY && !args.quiet) io.stderr.write('\r\x1b[2K');
    if (isViMmrecError(e, 'ABORTED')) {
      const reason: unknown = signal?.reason;
      const kept = args.json !== undefined && runs.length > 0 ? `; the ${runs.length} finished run(s) are in ${args.json}.partial` : '';
      io.stderr.write(`vi-mmrec eval: stopped by ${typeof reason === 'string' ? reason : 'abort'} after ${runs.length} finished run(s); no output was replaced${kept}\n`);
      return reason === 'SIGTERM' ? 143 : reason === 'SIGHUP' ? 129 : 130;
    }
    const msg = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    io.stderr.write(`vi-mmrec eval: ${msg}\n`);
    return isViMmrecError(e, 'INVALID_ARGUMENT') || isViMmrecError(e, 'BACKEND_NOT_FOUND') ? 2 : 1;
  }
}
