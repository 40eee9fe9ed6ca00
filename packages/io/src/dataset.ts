import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { InvalidArgumentError, InvalidDataError, type Interactions, type Modality } from '@vi-mmrec/core';
import { readChunks, wrapFsError } from './fs-utils.js';
import { type ParsedInteractions, parseInteractions, parseInteractionsParquet } from './inter.js';
import { checkDuplicates, checkNeighbourRange, parseNeighbourList, parseNeighbourListParquet, type ParsedNeighbourList } from './knn.js';
import { type NpyArray, readNpy } from './npy.js';
import { isParquet } from './parquet.js';

/** A multimodal recommendation dataset: interactions of every split plus item modalities. */
export interface Dataset {
  /** Folder name (or the synthetic dataset's name). */
  readonly name: string;
  /** Largest user id + 1 over all splits. */
  readonly numUsers: number;
  /** Largest item id + 1 over all splits and dense feature rows. */
  readonly numItems: number;
  /** Every interaction of every split, in file order; `labels` holds x_label (0/1/2). */
  readonly interactions: { readonly users: Int32Array; readonly items: Int32Array; readonly labels: Uint8Array };
  /** The training split (x_label 0) only: what `augment` takes. */
  readonly train: Interactions;
  /** Item modalities, dense or neighbour lists, sorted by name (or in the requested order). */
  readonly modalities: readonly Modality[];
}

/** Progress of {@link readDataset}: one event after each file. */
export interface ReadProgressEvent {
  /** The file just read. */
  readonly file: string;
  /** Files read so far. */
  readonly done: number;
  /** Files to read in total. */
  readonly total: number;
}

/** Options of {@link readDataset}. */
export interface ReadDatasetOptions {
  /** Read only these modalities (by name, in this order); default: every modality found. */
  readonly modalities?: readonly string[];
  /** Called after each file is read and checked. */
  readonly onProgress?: (event: ReadProgressEvent) => void;
}

interface ModalityFile {
  readonly name: string;
  readonly kind: 'dense' | 'neighbours';
  readonly file: string;
}

const FEAT = /^(.+)_feat\.npy$/;
const KNN = /^(.+?)_knn[^/\\]*\.(tsv|parquet)$/;
const INTER = /\.inter(\.parquet)?$/;

/**
 * True when {@link readDataset} takes a file of this name as an input (`*.inter`,
 * `*.inter.parquet`, `*_feat.npy`, `*_knn*.tsv`, `*_knn*.parquet`); outputs must never get
 * such a name in a dataset folder.
 */
export function isDatasetFileName(name: string): boolean {
  return INTER.test(name) || FEAT.test(name) || KNN.test(name);
}

async function listFolder(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (e) {
    throw wrapFsError(e, dir, 'read');
  }
}

/** Finds the `.inter` file and the modality files of a dataset folder. */
async function scanFolder(dir: string): Promise<{ inter: string; modalities: ModalityFile[] }> {
  const entries = (await listFolder(dir)).filter((e) => e.isFile() || e.isSymbolicLink()).map((e) => e.name);
  entries.sort();
  const inters = entries.filter((f) => INTER.test(f));
  if (inters.length === 0) {
    throw new InvalidDataError(
      dir,
      'no .inter file; a dataset folder needs one <name>.inter TSV (or <name>.inter.parquet) with columns userID, itemID, x_label.',
    );
  }
  if (inters.length > 1) {
    throw new InvalidDataError(dir, `several .inter files (${inters.join(', ')}); keep exactly one in the folder.`);
  }
  const byName = new Map<string, ModalityFile[]>();
  for (const f of entries) {
    const dense = FEAT.exec(f);
    const knn = dense === null ? KNN.exec(f) : null;
    const name = dense?.[1] ?? knn?.[1];
    if (name === undefined) continue;
    const list = byName.get(name) ?? [];
    list.push({ name, kind: dense !== null ? 'dense' : 'neighbours', file: f });
    byName.set(name, list);
  }
  const modalities: ModalityFile[] = [];
  for (const [name, files] of byName) {
    if (files.length > 1) {
      throw new InvalidDataError(
        dir,
        `modality '${name}' has several files (${files.map((f) => f.file).join(', ')}); keep one per modality (move the others out of the folder).`,
      );
    }
    modalities.push(files[0]!);
  }
  return { inter: inters[0]!, modalities };
}

/** Rejects NaN/Inf features, naming the row (= item) and column. */
function checkFinite(array: NpyArray, source: string): void {
  const { data } = array;
  const cols = array.shape[1]!;
  for (let p = 0; p < data.length; p++) {
    const v = data[p]!;
    if (v - v !== 0) {
      throw new InvalidDataError(
        source,
        `row ${Math.floor(p / cols)} (item ${Math.floor(p / cols)}), column ${p % cols} is ${v}; features must be finite (clean them, e.g. np.nan_to_num).`,
      );
    }
  }
}

const RENUMBER = 'renumber them 0…n-1 (e.g. with pandas.factorize)';

/**
 * Every per-user array is sized by the largest userID + 1, so that number must be backed by
 * data: a user exists only through its interactions, hence userID < number of rows.
 */
function checkUserIds(all: ParsedInteractions, inter: string): void {
  const rows = all.users.length;
  if (all.numUsers <= rows) return;
  throw new InvalidDataError(
    `${inter}:${all.maxUserLine}`,
    `userID ${all.numUsers - 1} is too large for a file of ${rows} interactions: ids are 0-based and dense (every user 0…U-1 has interactions, so each userID is below the number of rows); ${RENUMBER}.`,
  );
}

/**
 * Item ids likewise: each is below the number of interactions, of dense feature rows or of
 * neighbour-list entries (the largest of the three).
 */
function checkItemIds(all: ParsedInteractions, inter: string, featureRows: number, listEntries: number): void {
  const rows = all.items.length;
  if (all.numItems <= Math.max(rows, featureRows, listEntries)) return;
  const features = featureRows > 0 ? `, ${featureRows} feature rows` : '';
  const lists = listEntries > 0 ? `, ${listEntries} neighbour-list entries` : '';
  throw new InvalidDataError(
    `${inter}:${all.maxItemLine}`,
    `itemID ${all.numItems - 1} is too large for a dataset of ${rows} interactions${features}${lists}: ids are 0-based and dense (each itemID is below the number of interactions, feature rows or neighbour-list entries); ${RENUMBER}.`,
  );
}

/**
 * Reads a dataset folder in MMRec layout: exactly one `<name>.inter` (see
 * {@link readInteractions}) plus, per modality, either `<modality>_feat.npy` (dense features,
 * row i = item i; see {@link readNpy}) or `<modality>_knn*.tsv` (neighbour lists; see
 * {@link readNeighbourList}). The modality name is the file name before `_feat.npy` or before
 * `_knn`. Interactions and neighbour lists may be Parquet files instead, named
 * `<name>.inter.parquet` and `<modality>_knn*.parquet`, with the same columns.
 *
 * Item count: `numItems` is the largest item id + 1 over all splits of the `.inter` file and
 * the row count of every dense feature file. Every dense file must have exactly `numItems`
 * rows (one per item), and neighbour lists may only name items below `numItems`: an item that
 * appears in no split and in no dense file does not exist for the dataset.
 *
 * Ids must be dense (memory follows the data, not a number read from it): every userID is
 * below the number of interactions, every itemID below the largest of the number of
 * interactions, of dense feature rows and of neighbour-list entries; otherwise the reader
 * rejects the `.inter` file at the line naming the largest id. Files are streamed: `.inter` and neighbour lists are parsed in
 * chunks and `.npy` features are read in row blocks into float32, so files larger than
 * 2 GiB are read with memory for the parsed data.
 *
 * Rejects with `InvalidDataError` naming the file (and line or row) on bad content, a missing
 * or repeated `.inter`, several files for one modality, or a folder without modalities; with
 * `InvalidArgumentError('modalities')` when a requested modality is absent.
 */
export async function readDataset(dir: string, options: ReadDatasetOptions = {}): Promise<Dataset> {
  const { inter, modalities: found } = await scanFolder(dir);
  let selected = found;
  if (options.modalities !== undefined) {
    const want = options.modalities;
    if (want.length === 0) throw new InvalidArgumentError('modalities', 'modalities must name at least one modality.');
    const known = found.map((m) => m.name);
    selected = want.map((name) => {
      const m = found.find((f) => f.name === name);
      if (m === undefined) {
        throw new InvalidArgumentError(
          'modalities',
          `modality '${name}' is not in ${dir} (found: ${known.join(', ') || 'none'}); expected ${name}_feat.npy or ${name}_knn*.tsv (or .parquet).`,
        );
      }
      return m;
    });
    if (new Set(want).size !== want.length)
      throw new InvalidArgumentError('modalities', `modalities names a modality twice (${want.join(', ')}).`);
  }
  if (selected.length === 0) {
    throw new InvalidDataError(
      dir,
      'no modality found; add <modality>_feat.npy (dense features, row i = item i) or <modality>_knn*.tsv (neighbour lists) files.',
    );
  }
  const total = 1 + selected.length;
  let done = 0;
  const progress = (file: string): void => options.onProgress?.({ file: join(dir, file), done: ++done, total });

  const interPath = join(dir, inter);
  const all = isParquet(inter) ? await parseInteractionsParquet(interPath) : await parseInteractions(readChunks(interPath), inter);
  checkUserIds(all, inter);
  progress(inter);
  const dense: Array<{ m: ModalityFile; array: NpyArray }> = [];
  const lists: Array<{ m: ModalityFile; list: ParsedNeighbourList }> = [];
  for (const m of selected) {
    if (m.kind === 'dense') {
      const array = await readNpy(join(dir, m.file));
      if (array.shape[1] === 0) throw new InvalidDataError(m.file, 'has 0 feature columns; a feature file needs at least one column.');
      checkFinite(array, m.file);
      dense.push({ m, array });
    } else {
      const path = join(dir, m.file);
      const list = isParquet(m.file)
        ? await parseNeighbourListParquet(path, m.name)
        : await parseNeighbourList(readChunks(path), m.file, m.name);
      lists.push({ m, list });
    }
    progress(m.file);
  }

  let maxRows = 0;
  for (const { array } of dense) maxRows = Math.max(maxRows, array.shape[0]!);
  let maxEntries = 0;
  for (const { list } of lists) maxEntries = Math.max(maxEntries, list.lines.length);
  checkItemIds(all, inter, maxRows, maxEntries);
  const numItems = Math.max(all.numItems, maxRows);
  for (const { m, array } of dense) {
    const rows = array.shape[0]!;
    if (rows >= numItems) continue;
    const longer = dense.find((d) => d.array.shape[0]! > rows && d.array.shape[0]! > all.numItems);
    const why =
      longer === undefined ? `${inter} names item ids up to ${all.numItems - 1}` : `${longer.m.file} has ${longer.array.shape[0]} rows`;
    throw new InvalidDataError(
      m.file,
      `has ${rows} rows but the dataset has ${numItems} items (${why}); a feature file needs one row per item (row i = item i).`,
    );
  }
  const itemsFrom = dense.length > 0 ? `from ${inter} and the dense feature files` : `from ${inter}`;
  for (const { list } of lists) {
    checkNeighbourRange(list, numItems, itemsFrom);
    checkDuplicates(list);
  }

  let numTrain = 0;
  for (let p = 0; p < all.labels.length; p++) if (all.labels[p] === 0) numTrain++;
  const trainUsers = new Int32Array(numTrain);
  const trainItems = new Int32Array(numTrain);
  for (let p = 0, t = 0; p < all.labels.length; p++) {
    if (all.labels[p] !== 0) continue;
    trainUsers[t] = all.users[p]!;
    trainItems[t++] = all.items[p]!;
  }
  const byName = new Map<string, Modality>();
  for (const { m, array } of dense) byName.set(m.name, { kind: 'dense', name: m.name, features: array.data, dim: array.shape[1]! });
  for (const { m, list } of lists) byName.set(m.name, list.modality);
  return {
    name: basename(resolve(dir)),
    numUsers: all.numUsers,
    numItems,
    interactions: { users: all.users, items: all.items, labels: all.labels },
    train: { users: trainUsers, items: trainItems },
    modalities: selected.map((m) => byName.get(m.name)!),
  };
}
