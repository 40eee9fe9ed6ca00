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
  writeEnrichedBlocks,
  writeSummary,
  type Dataset,
} from '@vi-mmrec/io';
import { checkBackendChoice, selectBackend } from './backends.js';
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
  /** Enriched matrix TSV path. */
  readonly out: string;
  /** Summary JSON path, if wanted. */
  readonly summary?: string;
  /** Only these modalities, if given. */
  readonly modalities?: readonly string[];
  /** `--neighbours`: read the neighbour tables from this store instead of searching (no backend). */
  readonly neighbours?: string;
}

/** Everything `vi-mmrec augment` needs, validated. */
export interface AugmentConfig extends InputConfig {
  readonly strategy: Strategy;
  readonly k: number;
  readonly lambda: number;
  readonly oAvg: OAvgMode;
  /** `--shard i/n`: write only shard i's users, as a part file for `vi-mmrec merge`. */
  readonly shard?: ShardSpec;
}

/** Seconds per phase of a run (`choose` only with `--strategy auto`). */
export interface PhaseSeconds {
  readonly backend: number;
  readonly read: number;
  readonly choose?: number;
  readonly augment: number;
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
async function neighbourTables(config: AugmentConfig, input: LoadedInput, progress: Progress, signal: AbortSignal | undefined): Promise<NeighbourTables> {
  const { dataset, backend } = input;
  if (config.neighbours !== undefined) {
    progress.update(`reading neighbour tables from ${config.neighbours}`, 0, 1);
    return readNeighbourStore(config.neighbours, {
      numItems: dataset.numItems,
      modalities: dataset.modalities.map((m) => m.name),
      datasetDir: config.datasetDir,
      k: config.k,
    }, tablesNeeded(config.strategy, config.oAvg));
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
  /** Undefined with `--neighbours` (no search, no backend). */
  readonly backend: Backend | undefined;
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
  const dataset = await readDataset(config.datasetDir, {
    ...(config.modalities === undefined ? {} : { modalities: config.modalities }),
    onProgress: (e) => progress.update(`reading ${config.datasetDir}`, e.done, e.total),
  });
  progress.finish();
  const tRead = performance.now();
  throwIfAborted(signal);
  const backend =
    config.neighbours === undefined ? await selectBackend(config.backend, progress, signal, { numItems: dataset.numItems, exact: config.exact === true }) : undefined;
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
  if (dataset.train.users.length === 0) {
    progress.warn('the training split is empty (no training interaction): the enriched matrix will be empty; check the x_label column (0 = train).');
  }
  const tables = await neighbourTables(config, input, progress, signal);
  progress.finish();
  const stream = augmentStream({ numUsers: dataset.numUsers, numItems: dataset.numItems, train: dataset.train }, tables, {
    strategy: config.strategy,
    k: config.k,
    lambda: config.lambda,
    oAvg: config.oAvg,
    ...(signal === undefined ? {} : { signal }),
  });
  const tAugment = performance.now();

  // Outputs are one transaction: both files are replaced together at the end, or neither.
  const tx = createOutputTransaction(signal === undefined ? {} : { signal });
  try {
    await internalPause('after-augment', signal);
    const users = shardRange(config.shard, dataset.numUsers);
    const weights = { realMin: Infinity, virtualMin: Infinity, virtualMax: -Infinity };
    // R̄ is computed user block by user block while it is written: never held whole.
    const blocks = function* (): Generator<EnrichedBlock> {
      for (const block of stream.blocks({ userStart: users.start, userEnd: users.end })) {
        trackWeights(block, weights);
        progress.update('virtual interactions', block.userStart + block.rowPtr.length - 1 - users.start, users.end - users.start);
        yield block;
      }
    };
    await writeEnrichedBlocks(out, blocks(), {
      transaction: tx,
      ...(config.shard === undefined ? {} : { comment: partComment(config.shard, users, partSettings(config, dataset, tables, stream.summary().options.k)) }),
    });
    const result = { summary: stream.summary(), weights };
    progress.finish();
    await internalPause('staged-matrix', signal);
    const tWrite = performance.now();
    const seconds: PhaseSeconds = {
      read: (clock.read - clock.start) / 1000,
      backend: (clock.backend - clock.read) / 1000,
      ...(auto === undefined ? {} : { choose: (auto.chosenAt - clock.backend) / 1000 }),
      augment: (tAugment - (auto?.chosenAt ?? clock.backend)) / 1000,
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
          output: { matrix: out, ...(config.shard === undefined ? {} : { shard: [config.shard.index, config.shard.count] }) },
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
