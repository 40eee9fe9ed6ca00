import { readFile, rm } from 'node:fs/promises';
import { AbortedError, isViMmrecError } from '@vi-mmrec/core';
import type { AugmentResult, Logger } from '@vi-mmrec/core';
import { selectBackend } from '@vi-mmrec/core/node';
import { checkOutputFile, createOutputTransaction, readDataset, writeTextAtomic } from '@vi-mmrec/io';
import { type Choice, DEFAULT_CHOOSE, RECOMMENDED_SETTINGS, candidateGrid, chooseSettings, confirmChoice } from './auto.js';
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
import { EVAL_HELP, type EvalArgs, UsageError, parseEvalArgs, resultOptions } from './options.js';
import { Eta, type PlannedRun, boundSeconds, formatDuration, measureModel } from './plan.js';
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
  readonly activityGroups: ReadonlyArray<{
    readonly label: string;
    readonly users: number;
    readonly baseline: number;
    readonly augmented: number;
  }>;
  /** How the result was made: versions, date, command line, backend (absent in older files). */
  readonly meta?: EvalMeta;
}

const label = (s: AugmentSettings | null): string =>
  s === null ? 'no augmentation' : `${s.strategy} k=${s.k} λ=${s.lambda} ${s.negatives} ${s.inject}`;
const fmt = (s: Stat | undefined): string => (s === undefined ? '–' : `${s.mean.toFixed(4)} ± ${s.std.toFixed(4)}`);

/** A run as the `.partial` file keeps it: the JSON's run plus what the activity groups need. */
type PartialRun = EvalJson['runs'][number] & { readonly perUserTestRecall: (number | null)[] };

/** The `.partial` file: everything finished so far, and the options that made it. */
interface PartialFile {
  readonly complete: false;
  /** The options that decide the results (config file keys): `--resume` requires the same. */
  readonly options: Record<string, unknown>;
  /** Auto mode: the proxies' choice, before the evaluated model's confirmation. */
  readonly choice?: Choice;
  readonly variants: readonly (AugmentSettings | null)[] | null;
  readonly augments: Record<string, { readonly augmentSeconds: number; readonly virtualPairs: number }>;
  readonly runs: readonly PartialRun[];
}

/** Reads a `--resume` file and checks it was made with the same options; throws `UsageError`. */
async function readPartial(file: string, options: Record<string, unknown>): Promise<PartialFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read --resume file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
  }
  let p: Partial<PartialFile> | undefined;
  try {
    p = JSON.parse(text) as Partial<PartialFile>;
  } catch {
    p = undefined;
  }
  if (
    typeof p !== 'object' ||
    p === null ||
    typeof p.options !== 'object' ||
    p.options === null ||
    !Array.isArray(p.runs) ||
    typeof p.augments !== 'object'
  ) {
    throw new UsageError(`--resume ${file} is not a .partial file of this version of vi-mmrec eval (no "options", "runs" and "augments").`);
  }
  const show = (v: unknown): string =>
    v === null || v === undefined ? '(not given)' : Array.isArray(v) ? v.join(',') : typeof v === 'string' ? v : JSON.stringify(v);
  for (const [key, want] of Object.entries(options)) {
    const had = p.options[key];
    if (JSON.stringify(had ?? null) !== JSON.stringify(want)) {
      throw new UsageError(
        `--resume ${file} was made with ${key} ${show(had)}, not ${show(want)}: resume with the options listed under "options" in that file.`,
      );
    }
  }
  return p as PartialFile;
}

const runKey = (variant: string, seed: number): string => `${variant}\u0000${seed}`;

/**
 * `vi-mmrec eval <datasetDir> …`: trains the chosen model on the baseline and the augmented
 * data with identical seeds, evaluates both by the MMRec protocol, prints a table (mean ± std
 * over seeds, relative gain, seconds and pairs per epoch) and optionally writes JSON and an
 * HTML report. Without `--strategy` (or with `--strategy auto`) the augmentation settings are
 * chosen on validation data by {@link chooseSettings} — possibly "no augmentation". Before
 * training it prints the plan and an estimated time (stderr; stdout with `--dry-run`, which
 * stops there), then `run i/N` and the ETA with every epoch. `--resume FILE.partial` keeps
 * the finished runs of an interrupted run with the same options. Options: `vi-mmrec eval --help`.
 * Returns the exit code: 0 ok, 1 failure, 2 usage error, 130 (143 for SIGTERM) when
 * `io.signal` stops it after an epoch; errors are one line on stderr.
 */
export async function evalCommand(argv: string[], io: EvalIo): Promise<number> {
  const say = (s: string): void => void io.stdout.write(`${s}\n`);
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(EVAL_HELP);
    return 0;
  }
  let args: EvalArgs;
  let resumed: PartialFile | undefined;
  try {
    args = await parseEvalArgs(argv);
    if (args.resume !== undefined) resumed = await readPartial(args.resume, resultOptions(args));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`vi-mmrec eval: ${e.message}\n`);
    return 2;
  }
  const clear = io.isTTY ? '\r\x1b[2K' : '';
  const progress = (s: string): void => {
    if (args.quiet) return;
    // A terminal gets one rewritten status line; logs (not a TTY) get plain lines.
    io.stderr.write(io.isTTY ? `\r\x1b[2K${s}` : `${s}\n`);
  };
  const note = (s: string): void => {
    if (!args.quiet) io.stderr.write(`${clear}${s}\n`);
  };
  const logger: Logger = { info: () => {}, warn: (m) => void io.stderr.write(args.quiet ? '' : `${clear}warning: ${m}\n`) };
  const { signal } = io;
  const stopIfAborted = (): void => {
    if (signal?.aborted === true) throw new AbortedError();
  };
  const runs: Array<EvalJson['runs'][number]> = [];
  const partialRuns: PartialRun[] = [];
  const done = new Map<string, PartialRun>((resumed?.runs ?? []).map((r) => [runKey(r.variant, r.seed), r]));
  const augments: Record<string, { augmentSeconds: number; virtualPairs: number }> = { ...(resumed?.augments ?? {}) };
  let choice: Choice | undefined = resumed?.choice;
  const auto = args.strategies === 'auto';
  let variants: (AugmentSettings | null)[] | null = null;
  let partialWritten = false;
  const writePartial = async (): Promise<void> => {
    if (args.json === undefined) return;
    const p: PartialFile = {
      complete: false,
      options: resultOptions(args),
      ...(choice === undefined ? {} : { choice }),
      variants,
      augments,
      runs: partialRuns,
    };
    await writeTextAtomic(`${args.json}.partial`, `${JSON.stringify(p)}\n`);
    partialWritten = true;
  };
  try {
    for (const [option, file] of [
      ['--json', args.json],
      ['--report', args.report],
    ] as const) {
      if (file !== undefined) await checkOutputFile(file, { option, datasetDir: args.dir });
    }
    // --backend as vi-mmrec augment reads it: auto, a name, or a backend package's name or path,
    // resolved from the working directory first, then beside this package.
    const backend = await selectBackend(args.backend, { cwd: process.cwd(), fallback: [import.meta.url], logger });
    const dataset = (await readDataset(args.dir)) as EvalDataset;
    stopIfAborted();
    const data = prepareData(dataset, args.topK);
    const train: TrainSettings = {
      model: args.model,
      maxEpochs: args.maxEpochs,
      patience: args.patience,
      learningRate: 1e-3,
      ks: args.topK,
    };
    const seeds = Array.from({ length: args.seeds }, (_, i) => i + 1);
    const chooseGrid = {
      inject: args.inject,
      oAvg: args.oAvg,
      ...(args.ks === undefined ? {} : { ks: args.ks }),
      ...(args.lambdas === undefined ? {} : { lambdas: args.lambdas }),
      ...(args.negatives === undefined ? {} : { negatives: args.negatives }),
    };
    if (args.strategies !== 'auto') {
      variants = [];
      for (const strategy of args.strategies) {
        for (const k of args.ks ?? [RECOMMENDED_SETTINGS.k]) {
          for (const lambda of args.lambdas ?? [RECOMMENDED_SETTINGS.lambda]) {
            variants.push({
              strategy,
              k,
              lambda,
              oAvg: args.oAvg,
              inject: args.inject,
              negatives: args.negatives?.[0] ?? RECOMMENDED_SETTINGS.negatives,
            });
          }
        }
      }
    } else if (choice !== undefined) variants = [choice.settings];

    // The plan: proxy runs (auto mode, unless resumed after the choice), then every seed of
    // the baseline and of each variant.
    const PICK = 'the pick';
    const proxyRuns: PlannedRun[] =
      auto && choice === undefined
        ? [null, ...candidateGrid(chooseGrid)].map((s) => ({
            kind: 'proxy' as const,
            model: args.proxyModel,
            variant: label(s),
            seed: 0,
            maxEpochs: args.proxyEpochs,
          }))
        : [];
    const mainRuns = (vs: readonly (AugmentSettings | null)[]): PlannedRun[] =>
      ['baseline', ...vs.filter((v) => v !== null).map(label)].flatMap((variant) =>
        seeds.map((seed) => ({ kind: 'run' as const, model: args.model, variant, seed, maxEpochs: args.maxEpochs })),
      );
    const plannedMain =
      variants === null
        ? mainRuns([]).concat(
            seeds.map((seed) => ({ kind: 'run' as const, model: args.model, variant: PICK, seed, maxEpochs: args.maxEpochs })),
          )
        : mainRuns(variants);
    let planned = [...proxyRuns, ...plannedMain];
    const isDone = (r: PlannedRun): boolean => r.kind === 'run' && done.has(runKey(r.variant, r.seed));
    const costs = new Map<ModelName, number>();
    if (!args.quiet || args.dryRun) {
      const measured: string[] = [];
      const todo = planned.filter((r) => !isDone(r));
      for (const m of new Set(todo.map((r) => r.model))) {
        progress(`measuring one ${m} epoch (a few batches and one ranking)…`);
        const c = await measureModel(data, m);
        costs.set(m, c.secondsPerEpoch);
        stopIfAborted();
        if (io.isTTY && !args.quiet) io.stderr.write('\r\x1b[2K');
        const line = `  measured ${m}: ${formatDuration(c.secondsPerEpoch)} per epoch (training ${c.pairsPerEpoch.toLocaleString('en-US')} pairs ${formatDuration(c.beginSeconds + c.pairsPerEpoch * c.secondsPerPair)} + ranking ${formatDuration(c.evaluationSeconds)})`;
        measured.push(line);
      }
      const plan: string[] = [
        `plan: ${dataset.name} (${dataset.numUsers.toLocaleString('en-US')} users, ${dataset.numItems.toLocaleString('en-US')} items, ${data.splits.train.items.length.toLocaleString('en-US')} training pairs), model ${args.model}, ${args.seeds} seed(s), ${planned.length} runs`,
      ];
      if (proxyRuns.length > 0) {
        plan.push(
          `  auto mode: ${proxyRuns.length} proxy runs of ${args.proxyModel} on the validation split (seed 0, ≤ ${args.proxyEpochs} epochs each, patience ${DEFAULT_CHOOSE.patience}): ${proxyRuns.map((r) => r.variant).join('; ')}`,
        );
      } else if (auto && choice !== undefined)
        plan.push(
          `  auto mode: the choice is kept from ${args.resume}: ${choice.settings === null ? 'no augmentation' : label(choice.settings)}`,
        );
      const vs =
        variants === null
          ? ['baseline', `${PICK} (if the proxies keep one)`]
          : ['baseline', ...variants.filter((v) => v !== null).map(label)];
      plan.push(
        `  ${plannedMain.length} runs of ${args.model}: ${args.seeds} seed(s) × ${vs.length} variant(s) (${vs.join('; ')}), ≤ ${args.maxEpochs} epochs each, patience ${args.patience}`,
      );
      const kept = planned.filter(isDone).length;
      if (kept > 0) plan.push(`  resumed from ${args.resume}: ${kept} finished run(s) kept, ${planned.length - kept} to train`);
      plan.push(...measured);
      const todo2 = planned.filter((r) => !isDone(r));
      const noPick = todo2.filter((r) => r.variant !== PICK);
      const ifNone =
        noPick.length < todo2.length ? ` (${formatDuration(boundSeconds(noPick, costs))} if the proxies keep no augmentation)` : '';
      plan.push(
        `  estimated time: at most ${formatDuration(boundSeconds(todo2, costs))} for ${todo2.length} run(s)${ifNone} at the speed measured now, each to its epoch cap; early stopping (--patience) usually ends runs sooner, and augmented runs also train their virtual pairs (the ETA corrects for both as runs finish)`,
      );
      if (args.dryRun) {
        for (const l of plan) say(l);
        return 0;
      }
      for (const l of plan) note(l);
    }
    const eta = new Eta(planned, costs);
    const total = (): number => planned.length;
    let index = 0;
    const epochLine = (i: number, runStart: number, epoch: number): string => {
      const wall = (performance.now() - runStart) / 1000 / epoch;
      eta.epoch(i, wall);
      return `${eta.text(i, epoch)}`;
    };

    if (auto && choice === undefined) {
      let runStart = performance.now();
      let proxyEpochs = 0;
      let current = -1;
      choice = await chooseSettings(dataset, {
        prepared: data,
        epochs: args.proxyEpochs,
        model: args.proxyModel,
        ...chooseGrid,
        logger,
        backend,
        ...(signal === undefined ? {} : { signal }),
        onCandidate: (i, n, s) => {
          stopIfAborted();
          if (current >= 0 && proxyEpochs > 0) eta.done(current, proxyEpochs);
          current = i;
          index = i;
          proxyEpochs = 0;
          runStart = performance.now();
          progress(`run ${i + 1}/${total()} proxy ${i + 1}/${n} ${args.proxyModel} (${label(s)})`);
        },
        onEpoch: (e) => {
          proxyEpochs = e.epoch;
          progress(
            `run ${current + 1}/${total()} proxy ${args.proxyModel} (${proxyRuns[current]?.variant ?? ''}) epoch ${e.epoch}/${args.proxyEpochs} valid R@20 ${e.validRecall20.toFixed(4)} · ${epochLine(current, runStart, e.epoch)}`,
          );
        },
      });
      if (current >= 0 && proxyEpochs > 0) eta.done(current, proxyEpochs);
      variants = [choice.settings];
      planned = [...proxyRuns, ...mainRuns(variants)];
      eta.replace(planned);
      await writePartial();
    }
    if (auto && choice !== undefined && !args.quiet) say(`auto: ${choice.reason}`);
    if (variants === null) throw new Error('no variants planned');
    const chosenVariants = variants;
    index = proxyRuns.length;

    const runVariant = async (name: string, make: (seed: number) => ReturnType<typeof loaderFor>): Promise<RunResult[]> => {
      const out: RunResult[] = [];
      for (const seed of seeds) {
        const i = index++;
        const kept = done.get(runKey(name, seed));
        if (kept !== undefined) {
          const { perUserTestRecall, ...run } = kept;
          runs.push(run);
          partialRuns.push(kept);
          out.push({ ...run, perUserTestRecall: Float32Array.from(perUserTestRecall, (x) => x ?? NaN), history: [] });
          eta.done(i, run.epochs);
          continue;
        }
        const runStart = performance.now();
        const r = await runOnce(
          data,
          train,
          seed,
          make(seed),
          (e) =>
            progress(
              `run ${i + 1}/${total()} ${args.model} ${name} seed ${seed}/${seeds.length} epoch ${e.epoch}/${args.maxEpochs} loss ${e.loss.toFixed(4)} valid R@20 ${e.validRecall20.toFixed(4)} (${e.trainSeconds.toFixed(1)} s) · ${epochLine(i, runStart, e.epoch)}`,
            ),
          signal,
        );
        // A run cut short by a signal is not a result: keep only the finished ones.
        stopIfAborted();
        eta.done(i, r.epochs);
        out.push(r);
        const run = {
          variant: name,
          seed,
          test: r.test,
          valid: r.valid,
          bestEpoch: r.bestEpoch,
          epochs: r.epochs,
          secondsPerEpoch: r.secondsPerEpoch,
          pairsPerEpoch: r.pairsPerEpoch,
        };
        runs.push(run);
        partialRuns.push({ ...run, perUserTestRecall: Array.from(r.perUserTestRecall, (x) => (Number.isNaN(x) ? null : x)) });
        // Long experiments lose nothing when interrupted: the finished runs so far.
        await writePartial();
      }
      return out;
    };
    const baseRuns = await runVariant('baseline', (seed) => loaderFor(data, seed));
    const baseSummary = summarise(baseRuns);
    const baseline = {
      secondsPerEpoch: meanStd(baseRuns.map((r) => r.secondsPerEpoch)).mean,
      pairsPerEpoch: meanStd(baseRuns.map((r) => r.pairsPerEpoch)).mean,
    };
    const variantOut: Array<EvalJson['variants'][number]> = [];
    let firstAugRuns: RunResult[] | undefined;
    for (const s of chosenVariants) {
      if (s === null) {
        variantOut.push({ label: label(s), settings: null, augmentSeconds: 0, virtualPairs: 0, summary: baseSummary, ...baseline });
        firstAugRuns ??= baseRuns;
        continue;
      }
      const name = label(s);
      let result: AugmentResult | undefined;
      // A variant whose runs are all kept from --resume needs no augment.
      if (augments[name] === undefined || seeds.some((seed) => !done.has(runKey(name, seed)))) {
        progress(`augment (${name})`);
        result = await augmentFor(data, s, logger, backend);
        augments[name] ??= { augmentSeconds: result.summary.seconds.total, virtualPairs: result.summary.counts.virtualOnly };
      }
      const aug = result;
      const augRuns = await runVariant(name, (seed) => loaderFor(data, seed, aug === undefined ? undefined : { result: aug, settings: s }));
      firstAugRuns ??= augRuns;
      variantOut.push({
        label: name,
        settings: s,
        ...augments[name],
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
    const testUsers = Int32Array.from(
      Array.from(data.evaluator.users).filter((u) => data.splits.test.rowPtr[u + 1]! > data.splits.test.rowPtr[u]!),
    );
    const groupMean = (rs: RunResult[], users: Int32Array): number =>
      meanStd(
        rs.map((r) =>
          users.length === 0 ? 0 : Array.from(users, (u) => r.perUserTestRecall[u] ?? 0).reduce((a, b) => a + b, 0) / users.length,
        ),
      ).mean;
    const groups = activityGroups(data.splits.train, testUsers).map((g) => ({
      label: g.label,
      users: g.users.length,
      baseline: groupMean(baseRuns, g.users),
      augmented: groupMean(chosenRuns, g.users),
    }));
    const json: EvalJson = {
      settings: {
        dataset: dataset.name,
        model: args.model,
        seeds: args.seeds,
        maxEpochs: args.maxEpochs,
        patience: args.patience,
        topK: data.evaluator.ks,
        mode: auto ? 'auto' : 'manual',
        augment: chosenVariants,
      },
      ...(choice === undefined ? {} : { choice }),
      summary: { baseline: baseSummary, augmented: chosenSummary },
      baseline,
      variants: variantOut,
      runs,
      activityGroups: groups,
      meta: runMeta(argv, { backend: backend.name }),
    };
    if (!args.quiet) {
      say(
        `dataset ${dataset.name} (${dataset.numUsers} users, ${dataset.numItems} items), model ${args.model}, ${args.seeds} seed(s), test metrics at the best validation epoch`,
      );
      for (const v of variantOut) {
        say(
          `\n${v.label}${v.settings === null ? '' : ` (augment: ${v.augmentSeconds.toFixed(2)} s once, ${v.virtualPairs} virtual pairs)`}`,
        );
        say(`${'metric'.padEnd(12)}${'baseline'.padEnd(20)}${'augmented'.padEnd(20)}gain`);
        for (const m of Object.keys(baseSummary)) {
          const b = baseSummary[m];
          const a = v.summary[m];
          const gain =
            b !== undefined && a !== undefined && b.mean > 0
              ? `${a.mean >= b.mean ? '+' : ''}${((a.mean / b.mean - 1) * 100).toFixed(1)} %`
              : '–';
          say(`${m.padEnd(12)}${fmt(b).padEnd(20)}${fmt(a).padEnd(20)}${gain}`);
        }
        say(
          `${'s/epoch'.padEnd(12)}${baseline.secondsPerEpoch.toFixed(2).padEnd(20)}${v.secondsPerEpoch.toFixed(2).padEnd(20)}×${(v.secondsPerEpoch / baseline.secondsPerEpoch).toFixed(2)}`,
        );
        say(
          `${'pairs/epoch'.padEnd(12)}${String(Math.round(baseline.pairsPerEpoch)).padEnd(20)}${String(Math.round(v.pairsPerEpoch)).padEnd(20)}×${(v.pairsPerEpoch / baseline.pairsPerEpoch).toFixed(2)}`,
        );
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
      const what = `the ${runs.length} finished run(s)${auto && choice !== undefined ? " and auto mode's choice" : ''}`;
      const kept = partialWritten ? `; ${what} are in ${args.json}.partial (continue with --resume ${args.json}.partial)` : '';
      io.stderr.write(
        `vi-mmrec eval: stopped by ${typeof reason === 'string' ? reason : 'abort'} after ${runs.length} finished run(s); no output was replaced${kept}\n`,
      );
      return reason === 'SIGTERM' ? 143 : reason === 'SIGHUP' ? 129 : 130;
    }
    const msg = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    io.stderr.write(`vi-mmrec eval: ${msg}\n`);
    return isViMmrecError(e, 'INVALID_ARGUMENT') || isViMmrecError(e, 'BACKEND_NOT_FOUND') ? 2 : 1;
  }
}
