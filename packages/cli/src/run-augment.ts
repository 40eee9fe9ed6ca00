import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { AbortedError, augment, type AugmentResult, type Backend, type OAvgMode, type Strategy } from '@vi-mmrec/core';
import {
  checkOutputFile,
  createOutputTransaction,
  readDataset,
  writeEnrichedMatrix,
  writeSummary,
  type Dataset,
} from '@vi-mmrec/io';
import { checkBackendChoice, selectBackend } from './backends.js';
import { CliError, UsageError } from './errors.js';
import { internalPause } from './internal-pause.js';
import type { Progress } from './progress.js';
import { toolVersion } from './version.js';

/** The options of `augment` that do not depend on the augmentation settings. */
export interface InputConfig {
  readonly datasetDir: string;
  /** `'auto'` or a backend name. */
  readonly backend: string;
  /** `--exact`: exact search at any catalogue size (no approximate backend). */
  readonly exact?: boolean;
  /** Enriched matrix TSV path. */
  readonly out: string;
  /** Summary JSON path, if wanted. */
  readonly summary?: string;
  /** Only these modalities, if given. */
  readonly modalities?: readonly string[];
}

/** Everything `vi-mmrec augment` needs, validated. */
export interface AugmentConfig extends InputConfig {
  readonly strategy: Strategy;
  readonly k: number;
  readonly lambda: number;
  readonly oAvg: OAvgMode;
}

/**
 * Wall seconds per phase of a run, disjoint and in order (`choose` only with `--strategy
 * auto`): `read` reads the dataset folder; `backend` loads the backend package (its size
 * chooses `auto`'s backend); `similarity` is the neighbour search with the backend's own set-up and the normalisation
 * (core's `summary.seconds.similarity`); `virtual` builds R̄ (core's
 * `summary.seconds.virtual`); `write` writes the matrix; `total` is the whole run. The
 * progress lines time the same phases.
 */
export interface PhaseSeconds {
  readonly read: number;
  readonly backend: number;
  readonly choose?: number;
  readonly similarity: number;
  readonly virtual: number;
  readonly write: number;
  readonly total: number;
}

/** What a run produced, for the report. */
export interface AugmentOutcome {
  readonly dataset: Dataset;
  readonly result: AugmentResult;
  readonly backend: string;
  readonly seconds: PhaseSeconds;
  readonly files: { readonly matrix: string; readonly summary?: string };
}

/**
 * The backend and dataset of a run, with the clock readings so far (ms, `performance.now()`):
 * the dataset is read first (its size chooses the backend), then the backend resolved.
 */
export interface LoadedInput {
  readonly backend: Backend;
  readonly dataset: Dataset;
  readonly clock: { readonly start: number; readonly read: number; readonly backend: number };
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new AbortedError();
}

/** Fails early (before any heavy work) when an output cannot or must not be written. */
async function checkOutput(option: string, file: string, datasetDir: string): Promise<void> {
  const dir = dirname(file);
  const dirStat = await stat(dir).catch(() => undefined);
  if (dirStat === undefined || !dirStat.isDirectory()) {
    throw new CliError(`cannot write ${file}: folder ${dir} does not exist; create it first.`);
  }
  await checkOutputFile(file, { option, datasetDir });
}

/**
 * Checks that `--out` and `--summary` can be written and are not inputs, devices or other
 * non-regular files; returns their absolute paths.
 */
export async function checkOutputs(config: InputConfig): Promise<{ readonly out: string; readonly summary?: string }> {
  const out = resolve(config.out);
  const summary = config.summary === undefined ? undefined : resolve(config.summary);
  await checkOutput('--out', out, config.datasetDir);
  if (summary !== undefined) {
    await checkOutput('--summary', summary, config.datasetDir);
    // The same file through a symbolic-linked folder or a hard link: one would overwrite the other.
    const [a, b] = await Promise.all([out, summary].map(async (f) => join(await realpath(dirname(f)), basename(f))));
    const [sa, sb] = await Promise.all([a!, b!].map(async (f) => stat(f).catch(() => undefined)));
    if (a === b || (sa !== undefined && sb !== undefined && sa.dev === sb.dev && sa.ino === sb.ino)) {
      throw new UsageError('--summary and --out name the same file', 'augment');
    }
  }
  return summary === undefined ? { out } : { out, summary };
}

/**
 * Reads the dataset folder (with progress), then resolves the backend: `auto` chooses by the
 * number of items (exact search at or below core's crossover, approximate above, unless
 * `--exact`).
 */
export async function loadInput(config: InputConfig, progress: Progress, signal: AbortSignal | undefined, start: number): Promise<LoadedInput> {
  await checkBackendChoice(config.backend, progress);
  progress.update(`reading ${config.datasetDir}`, 0, 1);
  const dataset = await readDataset(config.datasetDir, {
    ...(config.modalities === undefined ? {} : { modalities: config.modalities }),
    onProgress: (e) => progress.update(`reading ${config.datasetDir}`, e.done, e.total),
  });
  progress.finish();
  const tRead = performance.now();
  throwIfAborted(signal);
  const backend = await selectBackend(config.backend, progress, signal, { numItems: dataset.numItems, exact: config.exact === true });
  const tBackend = performance.now();
  return { backend, dataset, clock: { start, read: tRead, backend: tBackend } };
}

/** The `dataset` block of the summary JSON. */
export function datasetInfo(dataset: Dataset, datasetDir: string): object {
  return {
    name: dataset.name,
    path: resolve(datasetDir),
    users: dataset.numUsers,
    items: dataset.numItems,
    interactions: dataset.interactions.users.length,
    trainInteractions: dataset.train.users.length,
    modalities: dataset.modalities.map((m) =>
      m.kind === 'dense' ? { name: m.name, kind: m.kind, dim: m.dim } : { name: m.name, kind: m.kind, entries: m.items.length },
    ),
  };
}

/** What {@link augmentAndWrite} adds for `--strategy auto`. */
export interface AutoExtras {
  /** When the choice was made (ms, `performance.now()`). */
  readonly chosenAt: number;
  /** Fields added to the summary JSON after the standard ones. */
  readonly summary: object;
}

/**
 * Runs core's `augment` on a loaded input and writes the enriched matrix (and summary) as one
 * transaction: both replace their previous files together at the end, or (on any failure or
 * abort) every previous file stays as it was and no temporary file is left.
 */
export async function augmentAndWrite(
  config: AugmentConfig,
  input: LoadedInput,
  progress: Progress,
  signal?: AbortSignal,
  auto?: AutoExtras,
): Promise<AugmentOutcome> {
  const { backend, dataset, clock } = input;
  const out = resolve(config.out);
  const summaryFile = config.summary === undefined ? undefined : resolve(config.summary);
  const result = await augment(
    { numUsers: dataset.numUsers, numItems: dataset.numItems, train: dataset.train, modalities: dataset.modalities },
    {
      strategy: config.strategy,
      k: config.k,
      lambda: config.lambda,
      oAvg: config.oAvg,
      backend,
      logger: progress,
      ...(signal === undefined ? {} : { signal }),
      onProgress: (e) => progress.update(e.label, e.done, e.total),
    },
  );
  progress.finish();
  const tAugment = performance.now();

  // Outputs are one transaction: both files are replaced together at the end, or neither.
  const tx = createOutputTransaction(signal === undefined ? {} : { signal });
  try {
    await internalPause('after-augment', signal);
    progress.update(`writing ${config.out}`, 0, result.matrix.items.length);
    await writeEnrichedMatrix(out, result.matrix, {
      transaction: tx,
      onProgress: (done, total) => progress.update(`writing ${config.out}`, done, total),
    });
    progress.finish();
    await internalPause('staged-matrix', signal);
    const tWrite = performance.now();
    const seconds: PhaseSeconds = {
      read: (clock.read - clock.start) / 1000,
      backend: (clock.backend - clock.read) / 1000,
      ...(auto === undefined ? {} : { choose: (auto.chosenAt - clock.backend) / 1000 }),
      similarity: result.summary.seconds.similarity,
      virtual: result.summary.seconds.virtual,
      write: (tWrite - tAugment) / 1000,
      total: (tWrite - clock.start) / 1000,
    };
    if (summaryFile !== undefined) {
      await writeSummary(
        summaryFile,
        result.summary,
        {
          ...(auto === undefined ? {} : { augmented: true }),
          dataset: datasetInfo(dataset, config.datasetDir),
          output: { matrix: out },
          run: { tool: '@vi-mmrec/cli', version: toolVersion(), seconds },
          ...auto?.summary,
        },
        { transaction: tx },
      );
    }
    await internalPause('before-commit', signal);
    throwIfAborted(signal);
    tx.commit();
    return {
      dataset,
      result,
      backend: backend.name,
      seconds,
      files: { matrix: out, ...(summaryFile === undefined ? {} : { summary: summaryFile }) },
    };
  } finally {
    // Removes the temporary files unless the commit happened.
    tx.rollback();
  }
}

/**
 * The one code path of `augment` and `demo`: read the dataset folder, resolve the backend,
 * run core's `augment`, write the enriched matrix (and summary) as one transaction. On failure
 * or abort every previous output stays as it was.
 */
export async function runAugment(config: AugmentConfig, progress: Progress, signal?: AbortSignal): Promise<AugmentOutcome> {
  const start = performance.now();
  await checkOutputs(config);
  const input = await loadInput(config, progress, signal, start);
  return augmentAndWrite(config, input, progress, signal);
}
