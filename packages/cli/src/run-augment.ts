import { stat, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { AbortedError, augment, type AugmentResult, type OAvgMode, type Strategy } from '@vi-mmrec/core';
import { readDataset, writeEnrichedMatrix, writeSummary, type Dataset } from '@vi-mmrec/io';
import { selectBackend } from './backends.js';
import { CliError } from './errors.js';
import type { Progress } from './progress.js';
import { toolVersion } from './version.js';

/** Everything `vi-mmrec augment` needs, validated. */
export interface AugmentConfig {
  readonly datasetDir: string;
  readonly strategy: Strategy;
  readonly k: number;
  readonly lambda: number;
  readonly oAvg: OAvgMode;
  /** `'auto'` or a backend name. */
  readonly backend: string;
  /** Enriched matrix TSV path. */
  readonly out: string;
  /** Summary JSON path, if wanted. */
  readonly summary?: string;
  /** Only these modalities, if given. */
  readonly modalities?: readonly string[];
}

/** What a run produced, for the report. */
export interface AugmentOutcome {
  readonly dataset: Dataset;
  readonly result: AugmentResult;
  readonly backend: string;
  readonly seconds: { readonly backend: number; readonly read: number; readonly augment: number; readonly write: number; readonly total: number };
  readonly files: { readonly matrix: string; readonly summary?: string };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
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

/**
 * The one code path of `augment` and `demo`: read the dataset folder, resolve the backend,
 * run core's `augment`, write the enriched matrix (and summary) atomically. On failure no
 * output file of this run is left behind.
 */
export async function runAugment(config: AugmentConfig, progress: Progress, signal?: AbortSignal): Promise<AugmentOutcome> {
  const t0 = performance.now();
  const out = resolve(config.out);
  const summaryFile = config.summary === undefined ? undefined : resolve(config.summary);
  await checkOutput(out);
  if (summaryFile !== undefined) await checkOutput(summaryFile);

  const backend = await selectBackend(config.backend, progress, signal);
  const tBackend = performance.now();

  const dataset = await readDataset(config.datasetDir, {
    ...(config.modalities === undefined ? {} : { modalities: config.modalities }),
    onProgress: (e) => progress.update(`reading ${config.datasetDir}`, e.done, e.total),
  });
  progress.finish();
  const tRead = performance.now();
  throwIfAborted(signal);

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
    await writeEnrichedMatrix(out, result.matrix, {
      onProgress: (done, total) => progress.update(`writing ${config.out}`, done, total),
    });
    written.push(out);
    progress.finish();
    const tWrite = performance.now();
    const seconds = {
      backend: (tBackend - t0) / 1000,
      read: (tRead - tBackend) / 1000,
      augment: (tAugment - tRead) / 1000,
      write: (tWrite - tAugment) / 1000,
      total: (tWrite - t0) / 1000,
    };
    if (summaryFile !== undefined) {
      await writeSummary(summaryFile, result.summary, {
        dataset: {
          name: dataset.name,
          path: resolve(config.datasetDir),
          users: dataset.numUsers,
          items: dataset.numItems,
          interactions: dataset.interactions.users.length,
          trainInteractions: dataset.train.users.length,
          modalities: dataset.modalities.map((m) =>
            m.kind === 'dense' ? { name: m.name, kind: m.kind, dim: m.dim } : { name: m.name, kind: m.kind, entries: m.items.length },
          ),
        },
        output: { matrix: out },
        run: { tool: '@vi-mmrec/cli', version: toolVersion(), seconds },
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
