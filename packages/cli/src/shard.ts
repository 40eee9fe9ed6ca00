/**
 * Sharded runs: `--shard i/n`, the neighbour-table store that `vi-mmrec neighbours` writes and
 * `augment --neighbours` reads, and the manifest line of a part file that `merge` checks.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { NeighbourTable, NeighbourTables, TableNeeds } from '@vi-mmrec/core';
import { type OutputTransaction, formatWeight, readNeighbourList } from '@vi-mmrec/io';
import { CliError, UsageError } from './errors.js';

/** Shard `index` of `count` (0-based). */
export interface ShardSpec {
  readonly index: number;
  readonly count: number;
}

/** Parses `--shard i/n` (0 ≤ i < n); throws `UsageError`. */
export function parseShard(command: string, raw: string): ShardSpec {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(raw);
  if (m === null) throw new UsageError(`--shard must be i/n (0-based shard i of n, e.g. 0/4), got '${raw}'`, command);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (!Number.isSafeInteger(count) || count < 1) throw new UsageError(`--shard ${raw}: n must be ≥ 1`, command);
  if (!Number.isSafeInteger(index) || index >= count) {
    throw new UsageError(`--shard ${raw}: i must be below n (shards are numbered 0…${count - 1})`, command);
  }
  return { index, count };
}

/** The rows `[start, end)` of `total` that shard `spec` owns: contiguous, balanced, covering all. */
export function shardRange(spec: ShardSpec | undefined, total: number): { readonly start: number; readonly end: number } {
  if (spec === undefined) return { start: 0, end: total };
  return { start: Math.floor((spec.index * total) / spec.count), end: Math.floor(((spec.index + 1) * total) / spec.count) };
}

const shardTag = (s: ShardSpec): string => `${s.index}-of-${s.count}`;

// ---------------------------------------------------------------------------------------------
// Neighbour-table store (`vi-mmrec neighbours --out-dir`).

/** What `neighbours.<i>-of-<n>.json` records; shards of one store agree on all but shard and items. */
export interface NeighboursManifest {
  readonly format: 'vi-mmrec-neighbours';
  readonly version: 1;
  readonly shard: readonly [number, number];
  /** The item rows `[start, end)` this shard's files hold. */
  readonly items: readonly [number, number];
  readonly numItems: number;
  readonly k: number;
  readonly dataset: string;
  readonly modalities: readonly string[];
  readonly backend: string;
  /** Table files of this shard: one per modality (by name) and/or the fused one. */
  readonly tables: { readonly perModality?: Readonly<Record<string, string>>; readonly fused?: string };
}

const MANIFEST_RE = /^neighbours\.(\d+)-of-(\d+)\.json$/;

/** Writes a neighbour table's rows `[start, end)` in the neighbour-list TSV format (rank order). */
/** Stages the rows of items `start … end - 1` of `table`, whose row 0 is item `first`. */
async function stageTable(
  tx: OutputTransaction,
  file: string,
  table: NeighbourTable,
  start: number,
  end: number,
  first: number,
): Promise<void> {
  await tx.stage(file, async (write) => {
    let text = 'itemID\tneighborID\trank\tcosine\n';
    const { k, indices, scores } = table;
    for (let i = start; i < end; i++) {
      const base = (i - first) * k;
      for (let r = 0; r < k; r++) {
        const j = indices[base + r]!;
        if (j < 0) break;
        text += `${i}\t${j}\t${r + 1}\t${formatWeight(scores[base + r]!)}\n`;
      }
      if (text.length >= 1 << 20) {
        await write(text);
        text = '';
      }
    }
    await write(text);
  });
}

/**
 * Stages shard `spec`'s item rows of every table, then its manifest, in `tx` (all replaced
 * together on commit). Returns the files, manifest last.
 */
export async function stageNeighbourStore(
  tx: OutputTransaction,
  dir: string,
  tables: NeighbourTables,
  spec: ShardSpec,
  dataset: string,
): Promise<string[]> {
  const { start, end } = shardRange(spec, tables.numItems);
  // The tables hold the shard's rows (searched for them alone) or every item's.
  const first = tables.rows?.start ?? 0;
  const tag = shardTag(spec);
  const files: string[] = [];
  const perModality: Record<string, string> = {};
  if (tables.perModality !== undefined) {
    for (const [name, table] of tables.perModality) {
      const file = `modality.${name}.${tag}.tsv`;
      await stageTable(tx, join(dir, file), table, start, end, first);
      Object.defineProperty(perModality, name, { value: file, enumerable: true });
      files.push(join(dir, file));
    }
  }
  let fused: string | undefined;
  if (tables.fused !== undefined) {
    fused = `fused.${tag}.tsv`;
    await stageTable(tx, join(dir, fused), tables.fused, start, end, first);
    files.push(join(dir, fused));
  }
  const manifest: NeighboursManifest = {
    format: 'vi-mmrec-neighbours',
    version: 1,
    shard: [spec.index, spec.count],
    items: [start, end],
    numItems: tables.numItems,
    k: tables.k,
    dataset,
    modalities: tables.modalities,
    backend: tables.backend,
    tables: { ...(tables.perModality === undefined ? {} : { perModality }), ...(fused === undefined ? {} : { fused }) },
  };
  const file = join(dir, `neighbours.${tag}.json`);
  await tx.stage(file, async (write) => write(`${JSON.stringify(manifest, null, 2)}\n`));
  files.push(file);
  return files;
}

function readManifestText(file: string, text: string): NeighboursManifest {
  let m: NeighboursManifest;
  try {
    m = JSON.parse(text) as NeighboursManifest;
  } catch {
    throw new CliError(`${file}: not valid JSON; rerun 'vi-mmrec neighbours' for this shard.`);
  }
  if (
    m?.format !== 'vi-mmrec-neighbours' ||
    m.version !== 1 ||
    !Array.isArray(m.shard) ||
    !Array.isArray(m.items) ||
    !Array.isArray(m.modalities)
  ) {
    throw new CliError(`${file}: not a vi-mmrec neighbours manifest (format vi-mmrec-neighbours, version 1).`);
  }
  return m;
}

/** The settings every shard of a store must share. */
const storeKey = (m: NeighboursManifest): string =>
  JSON.stringify([
    m.numItems,
    m.k,
    m.dataset,
    m.modalities,
    m.backend,
    m.shard[1],
    Object.keys(m.tables.perModality ?? {}),
    m.tables.fused !== undefined,
  ]);

/**
 * Reads a neighbour-table store written by `vi-mmrec neighbours` (all shards): checks that every
 * shard's manifest and files are there and agree, then loads the tables. Throws a one-line
 * `CliError` naming what is missing or inconsistent.
 */
export async function readNeighbourStore(
  dir: string,
  expect: { numItems: number; modalities: readonly string[]; datasetDir: string; k: number },
  needs: TableNeeds,
): Promise<NeighbourTables> {
  const names = await readdir(dir).catch((e: unknown) => {
    throw new CliError(
      `--neighbours ${dir}: cannot read the folder (${(e as { code?: string }).code ?? String(e)}); give the --out-dir of 'vi-mmrec neighbours'.`,
    );
  });
  const found = names.filter((n) => MANIFEST_RE.test(n)).sort();
  if (found.length === 0)
    throw new UsageError(
      `--neighbours ${dir}: no neighbours.<i>-of-<n>.json manifest; run 'vi-mmrec neighbours <dir> --out-dir ${dir}' first`,
      'augment',
    );
  const manifests = await Promise.all(found.map(async (n) => readManifestText(join(dir, n), await readFile(join(dir, n), 'utf8'))));
  const first = manifests[0]!;
  const count = first.shard[1];
  for (const [p, m] of manifests.entries()) {
    if (storeKey(m) !== storeKey(first)) {
      throw new UsageError(
        `--neighbours ${dir}: ${found[p]} and ${found[0]} come from different runs (items, k, dataset, modalities, backend or shard count differ); keep one run's files in a folder`,
        'augment',
      );
    }
  }
  const byIndex = new Map(manifests.map((m) => [m.shard[0], m]));
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length > 0) {
    throw new UsageError(
      `--neighbours ${dir}: missing ${missing.map((i) => `neighbours.${i}-of-${count}.json`).join(', ')}; run 'vi-mmrec neighbours … --shard ${missing[0]}/${count}' (and the other missing shards) first`,
      'augment',
    );
  }
  if (first.numItems !== expect.numItems) {
    throw new UsageError(
      `--neighbours ${dir}: the tables cover ${first.numItems} items, ${expect.datasetDir} has ${expect.numItems}; compute them from this dataset`,
      'augment',
    );
  }
  if (JSON.stringify(first.modalities) !== JSON.stringify(expect.modalities)) {
    throw new UsageError(
      `--neighbours ${dir}: the tables are of modalities ${first.modalities.join(', ')}, this run uses ${expect.modalities.join(', ')}; use the same --modalities as 'vi-mmrec neighbours'`,
      'augment',
    );
  }
  const lacking = [
    needs.perModality && first.tables.perModality === undefined ? 'per-modality' : '',
    needs.fused && first.tables.fused === undefined ? 'fused' : '',
  ].filter((x) => x !== '');
  if (lacking.length > 0) {
    throw new UsageError(
      `--neighbours ${dir}: these settings need the ${lacking.join(' and ')} tables, which the store lacks; run 'vi-mmrec neighbours' without --strategy overlay`,
      'augment',
    );
  }
  const { numItems, k } = first;
  if (Math.min(expect.k, Math.max(1, numItems - 1)) > k) {
    throw new UsageError(
      `--k ${expect.k} is more than the ${k} neighbours per item stored in ${dir}; use --k ${k} or less, or rerun 'vi-mmrec neighbours' with a larger --k`,
      'augment',
    );
  }
  const load = async (fileOf: (m: NeighboursManifest) => string): Promise<NeighbourTable> => {
    const indices = new Int32Array(numItems * k).fill(-1);
    const scores = new Float32Array(numItems * k).fill(-Infinity);
    for (let i = 0; i < count; i++) {
      const m = byIndex.get(i)!;
      const file = join(dir, fileOf(m));
      if ((await stat(file).catch(() => undefined)) === undefined) {
        throw new UsageError(
          `--neighbours ${dir}: missing ${fileOf(m)} (listed in neighbours.${i}-of-${count}.json); rerun 'vi-mmrec neighbours … --shard ${i}/${count}'`,
          'augment',
        );
      }
      const list = await readNeighbourList(file, fileOf(m));
      const [start, end] = m.items;
      const fill = new Int32Array(end - start);
      for (let e = 0; e < list.items.length; e++) {
        const item = list.items[e]!;
        const j = list.neighbours[e]!;
        if (item < start || item >= end || j < 0 || j >= numItems || fill[item - start]! >= k) {
          throw new CliError(
            `${file}: entry ${e + 1} (item ${item}, neighbour ${j}) is outside this shard's items ${start}…${end - 1}, names no item, or exceeds k = ${k}; rerun 'vi-mmrec neighbours' for this shard.`,
          );
        }
        // Rows are written in rank order: file order is rank order.
        const p = item * k + fill[item - start]!++;
        indices[p] = j;
        scores[p] = list.cosines[e]!;
      }
    }
    return { k, indices, scores };
  };
  let perModality: Map<string, NeighbourTable> | undefined;
  // Only the tables these settings use are loaded.
  if (needs.perModality) {
    perModality = new Map();
    for (const name of first.modalities) perModality.set(name, await load((m) => m.tables.perModality![name]!));
  }
  const fused = needs.fused ? await load((m) => m.tables.fused!) : undefined;
  return {
    numItems,
    k,
    modalities: first.modalities,
    ...(perModality === undefined ? {} : { perModality }),
    ...(fused === undefined ? {} : { fused }),
    backend: `${first.backend} (stored tables)`,
    seconds: 0,
  };
}

// ---------------------------------------------------------------------------------------------
// Part files (`augment --shard`, `merge`).

/** The manifest on the first line of a part file (`# {json}`). */
export interface PartManifest {
  readonly format: 'vi-mmrec-part';
  readonly version: 1;
  readonly shard: readonly [number, number];
  /** Users `[start, end)` of the part. */
  readonly users: readonly [number, number];
  /** Everything that must match between the parts of one merge. */
  readonly settings: object;
}

/** The comment line of shard `spec`'s part. */
export function partComment(spec: ShardSpec, users: { start: number; end: number }, settings: object): string {
  const m: PartManifest = {
    format: 'vi-mmrec-part',
    version: 1,
    shard: [spec.index, spec.count],
    users: [users.start, users.end],
    settings,
  };
  return JSON.stringify(m);
}

/** Parses a part's first line; throws `CliError` naming the file. */
export function parsePartComment(file: string, line: string): PartManifest {
  const bad = (): never => {
    throw new CliError(
      `${file}: not a part file of 'vi-mmrec augment --shard' (its first line must be '# {"format":"vi-mmrec-part",…}'); give the --out files of sharded augment runs.`,
    );
  };
  if (!line.startsWith('# ')) return bad();
  let m: PartManifest;
  try {
    m = JSON.parse(line.slice(2)) as PartManifest;
  } catch {
    return bad();
  }
  if (
    m?.format !== 'vi-mmrec-part' ||
    m.version !== 1 ||
    !Array.isArray(m.shard) ||
    !Array.isArray(m.users) ||
    typeof m.settings !== 'object'
  )
    return bad();
  return m;
}
