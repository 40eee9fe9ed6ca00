import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { searchNeighbourTables, type TableNeeds } from '@vi-mmrec/core';
import { createOutputTransaction } from '@vi-mmrec/io';
import { backendOption, choiceOption, intOption, modalitiesOption, parseCommand } from './args.js';
import { EXIT, type CliIo } from './cli-io.js';
import { CliError, UsageError } from './errors.js';
import { NEIGHBOURS_HELP } from './help.js';
import { Progress } from './progress.js';
import { loadInput, throwIfAborted } from './run-augment.js';
import { type ShardSpec, parseShard, shardRange, stageNeighbourStore } from './shard.js';

const TABLES = ['overlay', 'synergistic', 'all'] as const;

/** `vi-mmrec neighbours`'s configuration, validated. */
export interface NeighboursConfig {
  readonly datasetDir: string;
  readonly outDir: string;
  readonly k: number;
  readonly backend: string;
  readonly exact?: boolean;
  readonly modalities?: readonly string[];
  /** Which tables: per modality (overlay), fused plus per modality (synergistic, all). */
  readonly strategy: (typeof TABLES)[number];
  readonly shard: ShardSpec;
  readonly quiet: boolean;
}

/** Parses and validates `neighbours`'s arguments; throws `UsageError`. */
export function parseNeighboursArgs(argv: readonly string[]): NeighboursConfig | 'help' {
  const cmd = 'neighbours';
  const { values, positionals } = parseCommand(cmd, argv, {
    k: { type: 'string' },
    backend: { type: 'string' },
    exact: { type: 'boolean' },
    strategy: { type: 'string' },
    modalities: { type: 'string' },
    'out-dir': { type: 'string' },
    shard: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) return 'help';
  if (positionals.length === 0) throw new UsageError('missing <datasetDir> (a folder with one .inter file and modality files)', cmd);
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}' (neighbours takes one <datasetDir>)`, cmd);
  const outDir = values['out-dir'];
  if (outDir === undefined || outDir === '')
    throw new UsageError('missing required option --out-dir (the folder shared by all shards)', cmd);
  const modalities = modalitiesOption(cmd, values.modalities);
  const backend = backendOption(cmd, values.backend);
  return {
    datasetDir: positionals[0]!,
    outDir,
    k: values.k === undefined ? 10 : intOption(cmd, '--k', values.k, 1),
    backend,
    ...(values.exact === true ? { exact: true } : {}),
    ...(modalities === undefined ? {} : { modalities }),
    strategy: choiceOption(cmd, '--strategy', values.strategy ?? 'all', TABLES),
    shard: values.shard === undefined ? { index: 0, count: 1 } : parseShard(cmd, values.shard),
    quiet: values.quiet === true,
  };
}

/**
 * `vi-mmrec neighbours <dir> --out-dir <shared> [--shard i/n]`: computes the neighbour tables
 * and writes shard i's item rows of each (neighbour-list TSV) plus the shard's manifest, all
 * replaced together.
 */
export async function neighboursCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseNeighboursArgs(argv);
  if (parsed === 'help') {
    io.stdout.write(NEIGHBOURS_HELP);
    return EXIT.ok;
  }
  const { signal } = io;
  const progress = new Progress(io.stderr, parsed.quiet);
  try {
    const start = performance.now();
    const outDir = resolve(parsed.outDir);
    const dirStat = await stat(outDir).catch(() => undefined);
    if (dirStat === undefined || !dirStat.isDirectory())
      throw new CliError(`cannot write to --out-dir ${parsed.outDir}: not a folder; create it first.`);
    if (resolve(parsed.datasetDir) === outDir)
      throw new UsageError('--out-dir must not be the dataset folder (its files would mix with the inputs)', 'neighbours');
    const input = await loadInput(
      {
        datasetDir: parsed.datasetDir,
        backend: parsed.backend,
        ...(parsed.exact === true ? { exact: true } : {}),
        out: outDir,
        ...(parsed.modalities === undefined ? {} : { modalities: parsed.modalities }),
      },
      progress,
      signal,
      start,
    );
    const { dataset, backend } = input;
    const needs: TableNeeds = { perModality: true, fused: parsed.strategy !== 'overlay' };
    // Only this shard's items are searched (among all items).
    const tables = await searchNeighbourTables(
      { numItems: dataset.numItems, modalities: dataset.modalities },
      {
        ...needs,
        k: parsed.k,
        rows: shardRange(parsed.shard, dataset.numItems),
        ...(backend === undefined ? {} : { backend }),
        logger: progress,
        ...(signal === undefined ? {} : { signal }),
        onProgress: (e) => progress.update(e.label, e.done, e.total),
      },
    );
    progress.finish();
    throwIfAborted(signal);
    const tx = createOutputTransaction(signal === undefined ? {} : { signal });
    try {
      const files = await stageNeighbourStore(tx, outDir, tables, parsed.shard, dataset.name);
      throwIfAborted(signal);
      tx.commit();
      const { start: first, end } = shardRange(parsed.shard, dataset.numItems);
      const seconds = (performance.now() - start) / 1000;
      io.stdout.write(
        `neighbours   shard ${parsed.shard.index}/${parsed.shard.count}: ${end > first ? `items ${first}…${end - 1}` : 'no items'} of ${dataset.numItems}, k ${tables.k}, ${tables.backend}, ${seconds.toFixed(2)} s\n` +
          files.map((f) => `output       ${f}\n`).join(''),
      );
    } finally {
      tx.rollback();
    }
    return EXIT.ok;
  } finally {
    progress.clearLine();
  }
}
