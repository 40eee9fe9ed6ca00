import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import {
  AbortedError,
  augmentStream,
  searchNeighbourTables,
  tablesNeeded,
  type AugmentSummary,
  type Backend,
  type EnrichedBlock,
  type NeighbourTables,
  type OAvgMode,
  type Strategy,
} from '@vi-mmrec/core';
import {
  checkOutputFile,
  createOutputTransaction,
  readDataset,
  streamEnrichedBlocks,
  writeEnrichedBlocks,
  writeSummary,
  type Dataset,
} from '@vi-mmrec/io';
import { exportForMmrec } from '@vi-mmrec/integration-mmrec';
import { checkBackendChoice, selectBackend } from './backends.js';
import type { OutputStream } from './cli-io.js';
import { CliError, UsageError } from './errors.js';
import { internalPause } from './internal-pause.js';
import type { Progress } from './progress.js';
import { type ShardSpec, partComment, readNeighbourStore, shardRange } from './shard.js';
import { toolVersion } from './version.js';

/** The options of `augment` that do not depend on the augmentation settings. */
export interface InputConfig {
  readonly datasetDir: string;
  /** `'auto'` or a backend name. */
  readonly backend: string;
  /** `--exact`: exact search at any catalogue size (no approximate backend). */
  readonly exact?: boolean;
  /** Enriched matrix path (TSV or Parquet), or {@link STDOUT} for a TSV on {@link InputConfig.stdout}. */
  readonly out: string;
  /** Where `--out -` streams the TSV (the command's standard output). */
  readonly stdout?: OutputStream;
  /**
   * `--format`: `tsv` (default; `userID itemID weight`, or Parquet for a `.parquet` name),
   * `sidecar` (`userID itemID weight real`) or `labelled` (a copy of the `.inter` with a
   * `weight` column and the virtual pairs under x_label 3) — the last two written by
   * `@vi-mmrec/integration-mmrec`'s `exportForMmrec`.
   */
  readonly format?: OutputFormat;
  /** Summary JSON path, if wanted. */
  readonly summary?: string;
  /** Only these modalities, if given. */
  readonly modalities?: readonly string[];
  /** `--neighbours`: read the neighbour tables from this store instead of searching (no backend). */
  readonly neighbours?: string;
}

/** The values of `--format`. */
export type OutputFormat = 'tsv' | 'sidecar' | 'labelled';

/** `--out -`: the enriched matrix goes to standard output as TSV (no file, no transaction). */
export const STDOUT = '-';

/** Everything `vi-mmrec augment` needs, validated. */
export interface AugmentConfig extends InputConfig {
  readonly strategy: Strategy;
  readonly k: number;
  readonly lambda: number;
  readonly oAvg: OAvgMode;
  /** `--shard i/n`: write only shard i's users, as a part file for `vi-mmrec merge`. */
  readonly shard?: ShardSpec;
}

/**
 * Wall seconds per phase of a run, disjoint and in order (`choose` only with `--strategy
 * auto`): `read` reads the dataset folder; `backend` loads the backend package (its size
 * chooses `auto`'s backend); `similarity` is the neighbour search with the backend's own set-up and the normalisation
 * (core's `summary.seconds.similarity`); `virtual` builds R̄ (core's
 * `summary.seconds.virtual`: R̄ is built block by block while it is written); `write` is the
 * rest of that stretch; `total` is the whole run. The progress lines time read and similarity
 * alike and show virtual + write as one line.
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

/** Smallest real and smallest/largest purely virtual weight written (±Infinity when none). */
export interface WeightRange {
  readonly realMin: number;
  readonly virtualMin: number;
  readonly virtualMax: number;
}

/** What a run produced, for the report. */
export interface AugmentOutcome {
  readonly dataset: Dataset;
  /** The summary and the range of the weights written (R̄ itself is streamed, never held). */
  readonly result: { readonly summary: AugmentSummary; readonly weights: WeightRange };
  readonly backend: string;
  readonly seconds: PhaseSeconds;
  readonly files: { readonly matrix: string; readonly summary?: string };
}

/** Widens `range` by the weights of a block. */
function trackWeights(block: EnrichedBlock, range: { realMin: number; virtualMin: number; virtualMax: number }): void {
  const { weights, real } = block;
  for (let p = 0; p < weights.length; p++) {
    const w = weights[p]!;
    if (real[p] === 1) range.realMin = Math.min(range.realMin, w);
    else {
      range.virtualMin = Math.min(range.virtualMin, w);
      range.virtualMax = Math.max(range.virtualMax, w);
    }
  }
}

/** The neighbour tables of a run: searched on the backend, or read from `--neighbours`. */
async function neighbourTables(
  config: AugmentConfig,
  input: LoadedInput,
  progress: Progress,
  signal: AbortSignal | undefined,
): Promise<NeighbourTables> {
  const { dataset, backend } = input;
  if (config.neighbours !== undefined) {
    progress.update(`reading neighbour tables from ${config.neighbours}`, 0, 1);
    return readNeighbourStore(
      config.neighbours,
      {
        numItems: dataset.numItems,
        modalities: dataset.modalities.map((m) => m.name),
        datasetDir: config.datasetDir,
        k: config.k,
      },
      tablesNeeded(config.strategy, config.oAvg),
    );
  }
  return searchNeighbourTables(
    { numItems: dataset.numItems, modalities: dataset.modalities },
    {
      ...tablesNeeded(config.strategy, config.oAvg),
      k: config.k,
      ...(backend === undefined ? {} : { backend }),
      logger: progress,
      ...(signal === undefined ? {} : { signal }),
      onProgress: (e) => progress.update(e.label, e.done, e.total),
    },
  );
}

/** What the parts of one `merge` must share: the settings and the data they came from. */
function partSettings(config: AugmentConfig, dataset: Dataset, tables: NeighbourTables, k: number): object {
  return {
    strategy: config.strategy,
    k,
    lambda: config.lambda,
    oAvg: config.oAvg,
    dataset: dataset.name,
    users: dataset.numUsers,
    items: dataset.numItems,
    train: dataset.train.users.length,
    modalities: tables.modalities,
    backend: tables.backend,
  };
}

/**
 * The backend and dataset of a run, with the clock readings so far (ms, `performance.now()`):
 * the dataset is read first (its size chooses the backend), then the backend resolved.
 */
export interface LoadedInput {
  /** Undefined with `--neighbours` (no search) or when no dense modality is read (neighbour lists need no backend). */
  readonly backend: Backend | undefined;
  readonly dataset: Dataset;
  readonly clock: { readonly start: number; readonly read: number; readonly backend: number };
}

/** Writes one chunk to a stream, waiting for `'drain'` when the stream asks to (a pipe that is full). */
async function writeChunk(stream: OutputStream, chunk: string | Uint8Array): Promise<void> {
  const flowing = stream.write(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
  const once = (stream as { once?: (event: string, listener: () => void) => unknown }).once;
  if (flowing === false && typeof once === 'function') await new Promise<void>((r) => once.call(stream, 'drain', r));
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
  const toStdout = config.out === STDOUT;
  const out = toStdout ? STDOUT : resolve(config.out);
  const summary = config.summary === undefined ? undefined : resolve(config.summary);
  if (!toStdout) await checkOutput('--out', out, config.datasetDir);
  if (summary !== undefined) {
    await checkOutput('--summary', summary, config.datasetDir);
    if (toStdout) return { out, summary };
    // The same file through a symbolic-linked folder or a hard link: one would overwrite the other.
    const [a, b] = await Promise.all([out, summary].map(async (f) => join(await realpath(dirname(f)), basename(f))));
    const [sa, sb] = await Promise.all([a!, b!].map(async (f) => stat(f).catch(() => undefined)));
    if (a === b || (sa !== undefined && sb !== undefined && sa.dev === sb.dev && sa.ino === sb.ino)) {
      throw new UsageError('--summary and --out name the same file', 'augment');
    }
  }
  return summary === undefined ? { out } : { out, summary };
}

/** A missing dataset folder fails at once, before any backend is looked for. */
async function checkDatasetFolder(dir: string): Promise<void> {
  const s = await stat(dir).catch(() => undefined);
  if (s === undefined)
    throw new CliError(`${dir}: no such folder; check the path (the dataset folder holds one .inter file and the modality files).`);
  if (!s.isDirectory()) throw new CliError(`${dir} is not a folder; give the dataset folder (one .inter file and the modality files).`);
}

/**
 * Checks the dataset folder exists and `--backend` names something installed, reads the
 * dataset (with progress), then resolves the backend when a dense modality needs a neighbour
 * search (neighbour lists alone need none): `auto` chooses by the number of items (exact
 * search at or below core's crossover, approximate above, unless `--exact`).
 */
export async function loadInput(
  config: InputConfig,
  progress: Progress,
  signal: AbortSignal | undefined,
  start: number,
): Promise<LoadedInput> {
  await checkDatasetFolder(config.datasetDir);
  await checkBackendChoice(config.backend, progress);
  progress.update(`reading ${config.datasetDir}`, 0, 1);
  const dataset = await readDataset(config.datasetDir, {
    ...(config.modalities === undefined ? {} : { modalities: config.modalities }),
    onProgress: (e) => progress.update(`reading ${config.datasetDir}`, e.done, e.total),
  });
  progress.finish();
  const tRead = performance.now();
  throwIfAborted(signal);
  const search = config.neighbours === undefined && dataset.modalities.some((m) => m.kind === 'dense');
  const backend = search
    ? await selectBackend(config.backend, progress, signal, { numItems: dataset.numItems, exact: config.exact === true })
    : undefined;
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
  const out = config.out === STDOUT ? STDOUT : resolve(config.out);
  const summaryFile = config.summary === undefined ? undefined : resolve(config.summary);
  if (dataset.train.users.length === 0) {
    progress.warn(
      'the training split is empty (no training interaction): the enriched matrix will be empty; check the x_label column (0 = train).',
    );
  }
  const tables = await neighbourTables(config, input, progress, signal);
  progress.finish();
  // From here R̄ is built (core's clock: summary.seconds.virtual) while it is written.
  const tAugment = performance.now();
  const stream = augmentStream({ numUsers: dataset.numUsers, numItems: dataset.numItems, train: dataset.train }, tables, {
    strategy: config.strategy,
    k: config.k,
    lambda: config.lambda,
    oAvg: config.oAvg,
    ...(signal === undefined ? {} : { signal }),
  });

  // Outputs are one transaction: both files are replaced together at the end, or neither.
  const tx = createOutputTransaction(signal === undefined ? {} : { signal });
  try {
    await internalPause('after-augment', signal);
    const users = shardRange(config.shard, dataset.numUsers);
    const weights = { realMin: Infinity, virtualMin: Infinity, virtualMax: -Infinity };
    const target = out === STDOUT ? 'to stdout' : config.out;
    // R̄ is computed user block by user block while it is written: never held whole.
    const blocks = function* (): Generator<EnrichedBlock> {
      for (const block of stream.blocks({ userStart: users.start, userEnd: users.end })) {
        trackWeights(block, weights);
        progress.update(
          `virtual interactions, writing ${target}`,
          block.userStart + block.rowPtr.length - 1 - users.start,
          users.end - users.start,
        );
        yield block;
      }
    };
    const format = config.format ?? 'tsv';
    if (out === STDOUT) {
      const stdout = config.stdout ?? process.stdout;
      await streamEnrichedBlocks(async (chunk) => writeChunk(stdout, chunk), blocks());
    } else if (format === 'tsv') {
      await writeEnrichedBlocks(out, blocks(), {
        transaction: tx,
        ...(config.shard === undefined
          ? {}
          : { comment: partComment(config.shard, users, partSettings(config, dataset, tables, stream.summary().options.k)) }),
      });
    } else {
      // MMRec's formats: the one implementation of @vi-mmrec/integration-mmrec, staged in this
      // transaction. It needs R̄ whole (one block of every user).
      const [all] = [...stream.blocks({ blockUsers: Math.max(1, dataset.numUsers) })];
      const matrix = {
        numUsers: dataset.numUsers,
        numItems: dataset.numItems,
        ...(all ?? { rowPtr: new Int32Array(1), items: new Int32Array(0), weights: new Float64Array(0), real: new Uint8Array(0) }),
      };
      trackWeights({ ...matrix, userStart: 0 }, weights);
      await exportForMmrec(
        config.datasetDir,
        { matrix, summary: stream.summary() },
        {
          format,
          path: out,
          transaction: tx,
          onProgress: (done, total) => progress.update(`writing ${target}`, done, total),
        },
      );
    }
    const result = { summary: stream.summary(), weights };
    progress.finish();
    await internalPause('staged-matrix', signal);
    const tWrite = performance.now();
    const seconds: PhaseSeconds = {
      read: (clock.read - clock.start) / 1000,
      backend: (clock.backend - clock.read) / 1000,
      ...(auto === undefined ? {} : { choose: (auto.chosenAt - clock.backend) / 1000 }),
      similarity: result.summary.seconds.similarity,
      virtual: result.summary.seconds.virtual,
      write: Math.max(0, (tWrite - tAugment) / 1000 - result.summary.seconds.virtual),
      total: (tWrite - clock.start) / 1000,
    };
    if (summaryFile !== undefined) {
      await writeSummary(
        summaryFile,
        result.summary,
        {
          ...(auto === undefined ? {} : { augmented: true }),
          dataset: datasetInfo(dataset, config.datasetDir),
          output: {
            matrix: out === STDOUT ? 'stdout' : out,
            ...(config.shard === undefined ? {} : { shard: [config.shard.index, config.shard.count] }),
          },
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
      backend: backend?.name ?? result.summary.options.backend,
      seconds,
      files: { matrix: out === STDOUT ? 'standard output (TSV)' : out, ...(summaryFile === undefined ? {} : { summary: summaryFile }) },
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
