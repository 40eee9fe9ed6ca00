import { stat, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { AbortedError, augment, type AugmentResult, type Backend, type OAvgMode, type Strategy } from '@vi-mmrec/core';
import { readDataset, writeEnrichedMatrix, writeSummary, type Dataset } from '@vi-mmrec/io';
import { selectBackend } from './backends.js';
import { CliError } from './errors.js';
import type { Progress } from './progress.js';
import { toolVersion } from './version.js';

/** The options of `augment` that do not depend on the augmentation settings. */
export interface InputConfig {
  readonly datasetDir: string;
  /** `'auto'` or a backend name. */
  readonly backend: string;
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
 * auto`): `backend` loads and starts the backend; `read` reads the dataset folder;
 * `similarity` is the neighbour search with the backend's own set-up and the normalisation
 * (core's `summary.seconds.similarity`); `virtual` builds R̄ (core's
 * `summary.seconds.virtual`); `write` writes the matrix; `total` is the whole run. The
 * progress lines time the same phases.
 */
export interface PhaseSeconds {
  readonly backend: number;
  readonly read: number;
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

/** The backend and dataset of a run, with the clock readings so far (ms, `performance.now()`). */
export interface LoadedInput {
  readonly backend: Backend;
  readonly dataset: Dataset;
  readonly clock: { readonly start: number; readonly backend: number; readonly read: number };
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new AbortedError();
}

/** Fails early (before any heavy work) when an output cannot be created. */
async function checkOutput(file: string): Promise<void> {
  const dir = dirname(file);
  const dirStat = await stat(dir).catch(() => undefined);
  if (dirStat === undefined || !dirStat.isDirectory()) {
    throw new CliError(`cannot write ${file}: folder ${dir} does not exist; create it first.`);
  }
  const fileStat = await stat(file).catch(() => undefined);
  if (fileStat?.isDirectory() === true) throw new CliError(`cannot write ${file}: it is a directory; name a file.`);
}

/** Checks that `--out` and `--summary` can be written; returns their absolute paths. */
export async function checkOutputs(config: InputConfig): Promise<{ readonly out: string; readonly summary?: string }> {
  const out = resolve(config.out);
  const summary = config.summary === undefined ? undefined : resolve(config.summary);
  await checkOutput(out);
  if (summary !== undefined) await checkOutput(summary);
  return summary === undefined ? { out } : { out, summary };
}

/** Resolves the backend, then reads the dataset folder (with progress). */
export async function loadInput(config: InputConfig, progress: Progress, signal: AbortSignal | undefined, start: number): Promise<LoadedInput> {
  const backend = await selectBackend(config.backend, progress, signal);
  const tBackend = performance.now();
  progress.update(`reading ${config.datasetDir}`, 0, 1);
  const dataset = await readDataset(config.datasetDir, {
    ...(config.modalities === undefined ? {} : { modalities: config.modalities }),
    onProgress: (e) => progress.update(`reading ${config.datasetDir}`, e.done, e.total),
  });
  progress.finish();
  const tRead = performance.now();
  throwIfAborted(signal);
  return { backend, dataset, clock: { start, backend: tBackend, read: tRead } };
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
 * Runs core's `augment` on a loaded input and writes the enriched matrix (and summary)
 * atomically. On failure no output file of this run is left behind.
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

  const written: string[] = [];
  try {
    progress.update(`writing ${config.out}`, 0, result.matrix.items.length);
    await writeEnrichedMatrix(out, result.matrix, {
      onProgress: (done, total) => progress.update(`writing ${config.out}`, done, total),
    });
    written.push(out);
    progress.finish();
    const tWrite = performance.now();
    const seconds: PhaseSeconds = {
      backend: (clock.backend - clock.start) / 1000,
      read: (clock.read - clock.backend) / 1000,
      ...(auto === undefined ? {} : { choose: (auto.chosenAt - clock.read) / 1000 }),
      similarity: result.summary.seconds.similarity,
      virtual: result.summary.seconds.virtual,
      write: (tWrite - tAugment) / 1000,
      total: (tWrite - clock.start) / 1000,
    };
    if (summaryFile !== undefined) {
      await writeSummary(summaryFile, result.summary, {
        ...(auto === undefined ? {} : { augmented: true }),
        dataset: datasetInfo(dataset, config.datasetDir),
        output: { matrix: out },
        run: { tool: '@vi-mmrec/cli', version: toolVersion(), seconds },
        ...auto?.summary,
      });
      written.push(summaryFile);
    }
    throwIfAborted(signal);
    return {
      dataset,
      result,
      backend: backend.name,
      seconds,
      files: { matrix: out, ...(summaryFile === undefined ? {} : { summary: summaryFile }) },
    };
  } catch (e) {
    // All or nothing: a run that fails after writing the matrix removes it again.
    await Promise.all(written.map(async (f) => rm(f, { force: true }).catch(() => undefined)));
    throw e;
  }
}

/**
 * The one code path of `augment` and `demo`: read the dataset folder, resolve the backend,
 * run core's `augment`, write the enriched matrix (and summary) atomically. On failure no
 * output file of this run is left behind.
 */
export async function runAugment(config: AugmentConfig, progress: Progress, signal?: AbortSignal): Promise<AugmentOutcome> {
  const start = performance.now();
  await checkOutputs(config);
  const input = await loadInput(config, progress, signal, start);
  return augmentAndWrite(config, input, progress, signal);
}
