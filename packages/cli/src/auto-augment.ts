import { stat } from 'node:fs/promises';
import { AbortedError, isViMmrecError, type Backend, type Logger, type OAvgMode, type Strategy } from '@vi-mmrec/core';
import { type Dataset, writeTextAtomic } from '@vi-mmrec/io';
import { CliError } from './errors.js';
import { importOptional, installHint } from './optional-module.js';
import type { Progress } from './progress.js';
import {
  type AugmentOutcome,
  type InputConfig,
  type PhaseSeconds,
  augmentAndWrite,
  checkOutputs,
  datasetInfo,
  loadInput,
  STDOUT,
  throwIfAborted,
} from './run-augment.js';
import { toolVersion } from './version.js';

/** The module that provides `chooseSettings`; resolved at run time (an optional package). */
export const EVAL_MODULE = '@vi-mmrec/eval';

/** `augment --strategy auto`'s configuration, validated. */
export interface AutoAugmentConfig extends InputConfig {
  readonly oAvg: OAvgMode;
  /** k values to try (default: `DEFAULT_CHOOSE.ks` of `@vi-mmrec/eval`). */
  readonly ks?: readonly number[];
  /** λ values to try (default: `DEFAULT_CHOOSE.lambdas`). */
  readonly lambdas?: readonly number[];
  /** Negatives policies to try, the first with every candidate (default: `DEFAULT_CHOOSE.negatives`). */
  readonly negatives?: readonly NegativesPolicy[];
  /** Most epochs of each proxy run (default: `DEFAULT_CHOOSE.epochs`). */
  readonly epochs?: number;
  /** The proxy model (default `'bpr'`, BPR-MF). */
  readonly model?: ProxyModel;
  /** Seed of the proxy runs. */
  readonly seed: number;
  /** Smallest relative validation gain for augmenting (default: `DEFAULT_CHOOSE.minGain`). */
  readonly minGain?: number;
}

// The slice of @vi-mmrec/eval's API this command uses, declared structurally so the CLI does
// not depend on the package at build time (the tests check it against the real signature).

/** How `@vi-mmrec/integration-loader` draws negatives. */
export type NegativesPolicy = 'non-real' | 'non-interacted';

/** The proxy models `chooseSettings` can train (`ModelName` of `@vi-mmrec/eval`). */
export const PROXY_MODELS = ['bpr', 'lightgcn', 'vbpr', 'freedom'] as const;
/** One of {@link PROXY_MODELS}. */
export type ProxyModel = (typeof PROXY_MODELS)[number];

/** Augmentation settings as `chooseSettings` returns them. */
export interface ChosenSettings {
  readonly strategy: Strategy;
  readonly k: number;
  readonly lambda: number;
  readonly oAvg: OAvgMode;
  readonly inject: string;
  readonly negatives: string;
}

/** What `chooseSettings` returns. */
export interface AutoChoice {
  readonly settings: ChosenSettings | null;
  readonly reason: string;
  readonly candidates: ReadonlyArray<{
    readonly settings: ChosenSettings | null;
    readonly validRecall20: number;
    readonly relativeGain: number;
  }>;
  readonly proxy: {
    readonly model: string;
    readonly epochs: number;
    readonly patience?: number;
    readonly seed: number;
    readonly minGain: number;
  };
}

/** The options of `chooseSettings` this command passes. */
export interface AutoChooseOptions {
  readonly ks?: readonly number[];
  readonly lambdas?: readonly number[];
  readonly negatives?: readonly NegativesPolicy[];
  readonly oAvg?: OAvgMode;
  readonly epochs?: number;
  readonly model?: ProxyModel;
  readonly seed?: number;
  readonly minGain?: number;
  readonly logger?: Logger;
  /** The backend `--backend` selected: the proxy runs augment on it too. */
  readonly backend?: Backend;
  readonly onCandidate?: (index: number, total: number, settings: ChosenSettings | null) => void;
  readonly signal?: AbortSignal;
}

/** `chooseSettings` of `@vi-mmrec/eval`. */
export type ChooseSettingsFn = (dataset: Dataset, options: AutoChooseOptions) => Promise<AutoChoice>;

/** What `augment --strategy auto` did. */
export type AutoOutcome =
  | { readonly augmented: true; readonly choice: AutoChoice; readonly outcome: AugmentOutcome }
  | {
      readonly augmented: false;
      readonly choice: AutoChoice;
      readonly dataset: Dataset;
      readonly seconds: Pick<PhaseSeconds, 'backend' | 'read' | 'choose' | 'total'>;
      readonly files: { readonly summary?: string };
      /** `--out`, not written. */
      readonly out: string;
    };

/**
 * Imports `chooseSettings` from `@vi-mmrec/eval` (or `specifier`, for tests). Throws a
 * one-line `CliError` when the package is missing, not built, or too old.
 */
export async function loadChooser(specifier: string = EVAL_MODULE): Promise<ChooseSettingsFn> {
  const explicit = 'or pass --strategy, --k and --lambda explicitly';
  const mod = await importOptional(specifier);
  if (mod === undefined) {
    throw new CliError(
      `--strategy auto needs ${specifier}, which is not installed or not built; install it (${installHint(specifier)}) ${explicit}.`,
    );
  }
  if (typeof mod.chooseSettings !== 'function') {
    throw new CliError(
      `--strategy auto needs chooseSettings from ${specifier}, which this version lacks; update it to match @vi-mmrec/cli ${explicit}.`,
    );
  }
  return mod.chooseSettings as ChooseSettingsFn;
}

/** Short text of one candidate's settings. */
export function describeSettings(s: ChosenSettings | null): string {
  return s === null ? 'no augmentation' : `${s.strategy} k=${s.k} λ=${s.lambda} negatives=${s.negatives}`;
}

/** The `auto` block of the summary JSON. */
function autoSummary(choice: AutoChoice): object {
  const s = choice.settings;
  return {
    auto: {
      settings: s,
      reason: choice.reason,
      recommendedLoaderOptions: s === null ? null : { negatives: s.negatives, inject: s.inject },
      proxy: choice.proxy,
      candidates: choice.candidates,
    },
  };
}

/**
 * `vi-mmrec augment --strategy auto`: checks the outputs, loads `chooseSettings` from
 * `@vi-mmrec/eval`, resolves the backend, reads the dataset, chooses strategy, k, λ and the
 * negatives policy on the validation split (BPR-MF proxy; test data are never used), then
 * augments with the chosen settings exactly as a plain `augment` run would. When the choice is
 * "no augmentation", no matrix is written: only the summary (if asked), with
 * `"augmented": false`.
 */
export async function runAutoAugment(
  config: AutoAugmentConfig,
  progress: Progress,
  signal?: AbortSignal,
  specifier: string = EVAL_MODULE,
): Promise<AutoOutcome> {
  const start = performance.now();
  const files = await checkOutputs(config);
  const chooseSettings = await loadChooser(specifier);
  const input = await loadInput(config, progress, signal, start);
  const seen = new Set<string>();
  const logger: Logger = {
    info: () => {},
    // Each proxy run augments again: print each distinct warning once.
    warn: (m) => {
      if (seen.has(m)) return;
      seen.add(m);
      progress.warn(m);
    },
  };
  const choice = await chooseSettings(input.dataset, {
    ...(config.ks === undefined ? {} : { ks: config.ks }),
    ...(config.lambdas === undefined ? {} : { lambdas: config.lambdas }),
    ...(config.negatives === undefined ? {} : { negatives: config.negatives }),
    oAvg: config.oAvg,
    ...(config.epochs === undefined ? {} : { epochs: config.epochs }),
    ...(config.model === undefined ? {} : { model: config.model }),
    seed: config.seed,
    ...(config.minGain === undefined ? {} : { minGain: config.minGain }),
    logger,
    // Ctrl-C stops the proxy run after its current epoch (and between two proxy runs).
    ...(signal === undefined ? {} : { signal }),
    ...(input.backend === undefined ? {} : { backend: input.backend }),
    onCandidate: (i, n, s) => {
      if (signal?.aborted === true) throw new AbortedError();
      progress.update(`auto: proxy run ${i + 1}/${n} (${describeSettings(s)})`, 0, 1);
    },
  }).catch((e: unknown) => {
    // A candidate this dataset cannot train with (e.g. no negative left for a user under
    // 'non-interacted') is not a usage error of `augment`: say which options narrow the grid.
    if (isViMmrecError(e, 'INVALID_ARGUMENT') || isViMmrecError(e, 'INVALID_DATA')) {
      throw new CliError(
        `--strategy auto: a proxy run failed: ${e.message.replace(/\.?$/, '')}; narrow the candidates with --negatives (e.g. --negatives non-real), --k or --lambda.`,
        { cause: e },
      );
    }
    throw e;
  });
  progress.finish();
  const chosenAt = performance.now();
  throwIfAborted(signal);
  progress.info(`auto: ${choice.reason}`);

  const s = choice.settings;
  if (s !== null) {
    const outcome = await augmentAndWrite(
      { ...config, strategy: s.strategy, k: s.k, lambda: s.lambda, oAvg: s.oAvg },
      input,
      progress,
      signal,
      {
        chosenAt,
        summary: autoSummary(choice),
      },
    );
    return { augmented: true, choice, outcome };
  }

  // No augmentation: the matrix would be R+ itself; writing it would suggest otherwise.
  if (files.out !== STDOUT && (await stat(files.out).catch(() => undefined)) !== undefined) {
    progress.warn(`${config.out} exists from an earlier run and was left unchanged; this run chose no augmentation and wrote no matrix`);
  }
  const { clock } = input;
  const seconds = {
    read: (clock.read - clock.start) / 1000,
    backend: (clock.backend - clock.read) / 1000,
    choose: (chosenAt - clock.backend) / 1000,
    total: (performance.now() - clock.start) / 1000,
  };
  if (files.summary !== undefined) {
    const summary = {
      augmented: false,
      dataset: datasetInfo(input.dataset, config.datasetDir),
      output: { matrix: null },
      run: { tool: '@vi-mmrec/cli', version: toolVersion(), seconds },
      ...autoSummary(choice),
    };
    await writeTextAtomic(files.summary, `${JSON.stringify(summary, null, 2)}\n`);
  }
  return {
    augmented: false,
    choice,
    dataset: input.dataset,
    seconds,
    files: files.summary === undefined ? {} : { summary: files.summary },
    out: files.out,
  };
}
