import { basename, join, resolve } from 'node:path';
import { InvalidArgumentError, InvalidDataError } from '@vi-mmrec/core';
import type { AugmentResult, EnrichedMatrix, Logger } from '@vi-mmrec/core';
import { type OutputTransaction, checkOutputFile, formatWeight } from '@vi-mmrec/io';
import { atomicWriteText } from './atomic.js';
import { type InterFile, findInterFile, readInterFile } from './inter-file.js';

/** Where an MMRec dataset lives: its folder, and optionally its name and `.inter` file. */
export interface MmrecDatasetLocation {
  /** The dataset folder (MMRec's `data_path + dataset`). */
  readonly dir: string;
  /** Dataset name used in output file names; default the `.inter` file's base name, else the folder's. */
  readonly name?: string;
  /** The `.inter` file; default the single `*.inter` in `dir`. */
  readonly interFile?: string;
}

/**
 * How R̄ is exported:
 * - `'sidecar'` (default): `<name>.vi-mmrec.tsv`, header `userID itemID weight real`, one row
 *   per entry of R̄; the dataset files are not touched.
 * - `'labelled'`: `<name>.vi-mmrec-labelled.tsv`, a copy of the `.inter` with a `weight`
 *   column and the purely virtual pairs appended under `x_label` 3, which MMRec's split
 *   (labels 0/1/2) ignores. MMRec only; refused when a virtual pair would raise MMRec's user
 *   or item count.
 * - `'materialised'`: `<name>.vi-mmrec-materialised.tsv`, a copy of the `.inter` with the
 *   purely virtual pairs appended as training rows (`x_label` 0). Requires
 *   `materialise: true`: MMRec then masks virtual items at evaluation like real ones.
 */
export type MmrecExportFormat = 'sidecar' | 'labelled' | 'materialised';

/** Options of {@link exportForMmrec}. */
export interface MmrecExportOptions {
  /** Output format; default `'sidecar'`. */
  readonly format?: MmrecExportFormat;
  /** Output folder; default the dataset folder. */
  readonly dir?: string;
  /** Exact output file; overrides `dir` and the default file name. */
  readonly path?: string;
  /** Must be `true` for `format: 'materialised'` (an explicit opt-in; a warning is logged). */
  readonly materialise?: boolean;
  /** Receives the materialisation warning; silent by default. */
  readonly logger?: Logger;
  /**
   * Stage the file in this `@vi-mmrec/io` output transaction instead of replacing it at once:
   * it is replaced when the caller commits the transaction (with the caller's other outputs),
   * or never. The `vi-mmrec augment --format` command writes through this.
   */
  readonly transaction?: OutputTransaction;
  /** Called while writing with the entries of R̄ written so far and their total. */
  readonly onProgress?: (doneEntries: number, totalEntries: number) => void;
}

/** What {@link exportForMmrec} wrote. */
export interface MmrecExportResult {
  /** The format written. */
  readonly format: MmrecExportFormat;
  /** The file written. */
  readonly file: string;
  /** The `.inter` file checked against R̄ (absent when the sidecar was written without one). */
  readonly interFile: string | undefined;
  /** Row counts. */
  readonly rows: {
    /** Real entries of R̄ (in the sidecar, or the training rows they stand for in a copy). */
    readonly real: number;
    /** Purely virtual entries of R̄ written. */
    readonly virtual: number;
    /** Rows of the `.inter` copied (0 for the sidecar). */
    readonly copied: number;
  };
}

/** Label of virtual rows in the `'labelled'` format. */
export const VIRTUAL_LABEL = 3;

/**
 * Header of the sidecar format: `userID itemID weight real` (tab-separated), one row per entry
 * of R̄ sorted by user then item, weights with 9 significant digits, `real` 1 for a training
 * pair and 0 for a purely virtual one. The Python module `vi_mmrec_mmrec` shipped with this
 * package reads it.
 */
export const SIDECAR_HEADER: readonly string[] = Object.freeze(['userID', 'itemID', 'weight', 'real']);

const SUFFIX: Record<MmrecExportFormat, string> = {
  sidecar: '.vi-mmrec.tsv',
  labelled: '.vi-mmrec-labelled.tsv',
  materialised: '.vi-mmrec-materialised.tsv',
};

/** R̄_ui, or 0 when absent (binary search in the sorted row). */
function entryIndex(m: EnrichedMatrix, u: number, i: number): number {
  if (u < 0 || u >= m.numUsers) return -1;
  let lo = m.rowPtr[u]!;
  let hi = m.rowPtr[u + 1]!;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = m.items[mid]!;
    if (v === i) return mid;
    if (v < i) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

function checkMatrix(m: EnrichedMatrix): { real: number; virtual: number } {
  const { numUsers, rowPtr, items, weights, real } = m;
  if (rowPtr.length !== numUsers + 1) throw new InvalidDataError('result.matrix', `rowPtr must have ${numUsers + 1} entries.`);
  let nReal = 0;
  for (let u = 0; u < numUsers; u++) {
    for (let p = rowPtr[u]!; p < rowPtr[u + 1]!; p++) {
      if (p > rowPtr[u]! && items[p]! <= items[p - 1]!) {
        throw new InvalidDataError('result.matrix', `row of user ${u} is not sorted by item (item ${items[p]} after ${items[p - 1]}).`);
      }
      if (!Number.isFinite(weights[p]!) || weights[p]! <= 0) {
        throw new InvalidDataError('result.matrix', `weight of (user ${u}, item ${items[p]}) is ${weights[p]}.`);
      }
      if (real[p] === 1) nReal++;
    }
  }
  return { real: nReal, virtual: (rowPtr[numUsers] ?? 0) - nReal };
}

/**
 * Checks that R̄'s real pairs are exactly the distinct training rows (x_label 0) of the
 * `.inter`, so a result from another dataset or split is caught before anything is written.
 */
function checkAgainstInter(inter: InterFile, m: EnrichedMatrix, realCount: number): void {
  const name = basename(inter.file);
  if (inter.numUsers > m.numUsers || inter.numItems > m.numItems) {
    throw new InvalidDataError(
      name,
      `the file has ids up to user ${inter.numUsers - 1} / item ${inter.numItems - 1} but the AugmentResult has only ${m.numUsers} users × ${m.numItems} items; compute the result from this dataset.`,
    );
  }
  const seen = new Set<number>();
  for (let r = 0; r < inter.lines.length; r++) {
    if (inter.labels[r] !== 0) continue;
    const p = entryIndex(m, inter.users[r]!, inter.items[r]!);
    if (p < 0 || m.real[p] !== 1) {
      throw new InvalidDataError(
        `${name}:${inter.lineNumbers[r]}`,
        `training pair (user ${inter.users[r]}, item ${inter.items[r]}) is not a real pair of the AugmentResult; compute the result from this dataset's training split.`,
      );
    }
    seen.add(p);
  }
  if (seen.size !== realCount) {
    throw new InvalidDataError(
      name,
      `the AugmentResult has ${realCount} real pairs but the file has ${seen.size} distinct training pairs (x_label 0); compute the result from this dataset's training split.`,
    );
  }
}

async function locate(dataset: string | MmrecDatasetLocation): Promise<{ dir: string; name: string; inter: string | undefined }> {
  const loc = typeof dataset === 'string' ? { dir: dataset } : dataset;
  if (typeof loc.dir !== 'string' || loc.dir === '')
    throw new InvalidArgumentError('dataset', 'dataset must be a folder path or { dir, name?, interFile? }.');
  const inter = loc.interFile ?? (await findInterFile(loc.dir));
  const name = loc.name ?? (inter === undefined ? basename(resolve(loc.dir)) : basename(inter).replace(/\.inter$/, ''));
  return { dir: loc.dir, name, inter };
}

/**
 * Exports an `AugmentResult` for the Python MMRec toolbox (and RecBole), leaving the
 * dataset's train/valid/test split untouched: by default a sidecar TSV of R̄ next to the
 * dataset, which a few lines of Python read into the model's adjacency or training sampler
 * (see docs/integrations/mmrec.md). Files are written atomically (temporary file + rename).
 * Before writing, the real pairs of R̄ are checked against the `.inter`'s training rows when
 * the `.inter` is known (always for the copy formats). `vi-mmrec augment --format
 * sidecar|labelled` writes through this very function (with `transaction`).
 *
 * @param dataset - The dataset folder, or its location.
 * @param result - The `AugmentResult` computed from that dataset's training split.
 * @param options - Format, output place, the materialisation opt-in and a logger.
 * @returns The file written and row counts.
 */
export async function exportForMmrec(
  dataset: string | MmrecDatasetLocation,
  result: AugmentResult,
  options: MmrecExportOptions = {},
): Promise<MmrecExportResult> {
  const format = options.format ?? 'sidecar';
  if (!(format in SUFFIX)) {
    throw new InvalidArgumentError('format', `Unknown format '${String(format)}'; use 'sidecar', 'labelled' or 'materialised'.`);
  }
  if (format === 'materialised' && options.materialise !== true) {
    throw new InvalidArgumentError(
      'materialise',
      "format 'materialised' appends virtual pairs to the training split, so MMRec masks them at evaluation; pass materialise: true to confirm, or use the default 'sidecar'.",
    );
  }
  const m = result.matrix;
  const counts = checkMatrix(m);
  const loc = await locate(dataset);
  const file = options.path ?? join(options.dir ?? loc.dir, `${loc.name}${SUFFIX[format]}`);
  if (loc.inter !== undefined && resolve(file) === resolve(loc.inter)) {
    throw new InvalidArgumentError('path', `The output ${file} is the dataset's own .inter file; choose another path.`);
  }
  // Never a dataset input, a directory, a device or another non-regular file; folder writable.
  await checkOutputFile(file, { option: 'path', datasetDir: loc.dir });
  if (format !== 'sidecar' && loc.inter === undefined) {
    throw new InvalidArgumentError(
      'dataset',
      `Format '${format}' copies the dataset's <name>.inter TSV, but ${loc.dir} has none; use the 'sidecar' format (or, from TypeScript, pass { dir, interFile }).`,
    );
  }
  const inter = loc.inter === undefined ? undefined : await readInterFile(loc.inter);
  if (inter !== undefined) checkAgainstInter(inter, m, counts.real);

  const total = m.rowPtr[m.numUsers] ?? 0;
  const progress = (done: number): void => options.onProgress?.(done, total);
  if (format === 'sidecar') {
    await atomicWriteText(
      file,
      async (append) => {
        await append(`${SIDECAR_HEADER.join('\t')}\n`);
        for (let u = 0; u < m.numUsers; u++) {
          for (let p = m.rowPtr[u]!; p < m.rowPtr[u + 1]!; p++) {
            await append(`${u}\t${m.items[p]}\t${formatWeight(m.weights[p]!)}\t${m.real[p]}\n`);
          }
          if ((u & 0xfff) === 0xfff) progress(m.rowPtr[u + 1]!);
        }
        progress(total);
      },
      options.transaction,
    );
    return { format, file, interFile: loc.inter, rows: { ...counts, copied: 0 } };
  }

  const src = inter!;
  const name = basename(src.file);
  if (src.header.includes('weight')) {
    throw new InvalidDataError(`${name}:1`, "the header already has a 'weight' column; rename it or use the default 'sidecar' format.");
  }
  const label = format === 'labelled' ? VIRTUAL_LABEL : 0;
  if (format === 'labelled') {
    for (let r = 0; r < src.lines.length; r++) {
      if (src.labels[r] === VIRTUAL_LABEL) {
        throw new InvalidDataError(
          `${name}:${src.lineNumbers[r]}`,
          `x_label ${VIRTUAL_LABEL} is already used; the 'labelled' format needs it for virtual rows.`,
        );
      }
    }
    // MMRec's RecDataset takes user_num / item_num as the largest id + 1 over *every* row,
    // x_label 3 included: a virtual id beyond them would change the model's sizes.
    for (let u = 0; u < m.numUsers; u++) {
      for (let p = m.rowPtr[u]!; p < m.rowPtr[u + 1]!; p++) {
        if (m.real[p] === 1) continue;
        if (u >= src.numUsers || m.items[p]! >= src.numItems) {
          throw new InvalidArgumentError(
            'format',
            `Virtual pair (user ${u}, item ${m.items[p]}) lies beyond the largest ids of ${name} (user ${src.numUsers - 1}, item ${src.numItems - 1}); MMRec would count it into its user/item numbers. Use the default 'sidecar' format.`,
          );
        }
      }
    }
  } else {
    options.logger?.warn(
      `Materialising ${counts.virtual} virtual pairs as training rows (x_label 0) in ${file}: MMRec will treat them as real training interactions, ` +
        'so they are sampled every epoch with weight 1 and masked at evaluation, hiding exactly the items VI-MMRec wants to surface. ' +
        "Prefer the default 'sidecar' format with a loader that samples virtual pairs.",
    );
  }
  const width = src.header.length;
  await atomicWriteText(
    file,
    async (append) => {
      await append(`${src.header.join('\t')}\tweight\n`);
      for (let r = 0; r < src.lines.length; r++) {
        let w = '0';
        if (src.labels[r] === 0) w = formatWeight(m.weights[entryIndex(m, src.users[r]!, src.items[r]!)]!);
        await append(`${src.lines[r]}\t${w}\n`);
      }
      const fields = new Array<string>(width).fill('');
      for (let u = 0; u < m.numUsers; u++) {
        for (let p = m.rowPtr[u]!; p < m.rowPtr[u + 1]!; p++) {
          if (m.real[p] === 1) continue;
          fields[src.columns.user] = String(u);
          fields[src.columns.item] = String(m.items[p]);
          fields[src.columns.label] = String(label);
          await append(`${fields.join('\t')}\t${formatWeight(m.weights[p]!)}\n`);
        }
        if ((u & 0xfff) === 0xfff) progress(m.rowPtr[u + 1]!);
      }
      progress(total);
    },
    options.transaction,
  );
  return { format, file, interFile: loc.inter, rows: { real: counts.real, virtual: counts.virtual, copied: src.lines.length } };
}
