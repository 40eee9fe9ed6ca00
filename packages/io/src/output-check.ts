import type { Stats } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InvalidArgumentError } from '@vi-mmrec/core';
import { isDatasetFileName } from './dataset.js';
import { probeWritable } from './transaction.js';

/** Options of {@link checkOutputFile}. */
export interface CheckOutputOptions {
  /** What names the file in messages, e.g. `'--out'` or `'path'` (default `'output'`). */
  readonly option?: string;
  /** The dataset folder the run reads: its input files must never be outputs. */
  readonly datasetDir?: string;
}

const sameFile = (a: Stats, b: Stats): boolean => a.dev === b.dev && a.ino === b.ino;

function kindOf(s: Stats): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isSymbolicLink()) return 'a symbolic link (name the file it points to)';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  if (s.isFIFO()) return 'a named pipe';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Checks, before any work, that `file` may be replaced by an output: when it exists it must be
 * a regular file (not a directory, device, pipe, socket or symbolic link) and not one of the
 * dataset's input files (compared by identity, so hard and symbolic links are caught); a new
 * file in the dataset folder must not have an input's name (`*.inter`, `*_feat.npy`,
 * `*_knn*.tsv`); and a file must be creatable in its folder.
 *
 * @throws InvalidArgumentError naming `options.option` when the file must not be written;
 *   InvalidDataError naming the file when its folder cannot be written.
 */
export async function checkOutputFile(file: string, options: CheckOutputOptions = {}): Promise<void> {
  const option = options.option ?? 'output';
  const refuse = (why: string): InvalidArgumentError => new InvalidArgumentError(option, `refusing to write ${option} ${file}: ${why}.`);
  const own = await lstat(file).catch(() => undefined);
  if (own !== undefined && !own.isFile()) throw refuse(`it is ${kindOf(own)}; name a regular file`);
  const { datasetDir } = options;
  if (datasetDir !== undefined) {
    const data = await stat(datasetDir).catch(() => undefined);
    const folder = await stat(dirname(file)).catch(() => undefined);
    if (own !== undefined && data !== undefined) {
      const names = (await readdir(datasetDir).catch(() => [] as string[])).filter(isDatasetFileName);
      for (const name of names) {
        const input = await stat(join(datasetDir, name)).catch(() => undefined);
        if (input !== undefined && sameFile(input, own))
          throw refuse(`it is the dataset's input ${join(datasetDir, name)}; write it elsewhere`);
      }
    }
    if (data !== undefined && folder !== undefined && sameFile(data, folder) && isDatasetFileName(basename(file))) {
      throw refuse(`the dataset folder ${datasetDir} would read it as an input; write it elsewhere`);
    }
  }
  probeWritable(file);
}
