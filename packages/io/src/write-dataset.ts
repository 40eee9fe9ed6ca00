import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, InvalidDataError, type NeighbourListModality } from '@vi-mmrec/core';
import type { Dataset } from './dataset.js';
import { ChunkedWriter, atomicWrite, wrapFsError } from './fs-utils.js';
import { encodeNpyFloat32 } from './npy.js';
import { formatWeight } from './write.js';

const SAFE_NAME = /^[A-Za-z0-9][\w.-]*$/;

async function writeInter(file: string, dataset: Dataset): Promise<void> {
  const { users, items, labels } = dataset.interactions;
  await atomicWrite(file, async (write) => {
    const out = new ChunkedWriter(write);
    out.append('userID\titemID\tx_label\n');
    for (let p = 0; p < users.length; p++) {
      out.append(`${users[p]}\t${items[p]}\t${labels[p]}\n`);
      if (out.full) await out.flush();
    }
    await out.flush();
  });
}

async function writeKnn(file: string, m: NeighbourListModality): Promise<void> {
  const n = m.items.length;
  // Rank within each item: cosine descending, then neighbour id ascending.
  const order = Array.from({ length: n }, (_, e) => e);
  order.sort((a, b) => m.items[a]! - m.items[b]! || m.cosines[b]! - m.cosines[a]! || m.neighbours[a]! - m.neighbours[b]!);
  await atomicWrite(file, async (write) => {
    const out = new ChunkedWriter(write);
    out.append('itemID\tneighborID\trank\tcosine\n');
    let rank = 0;
    for (let q = 0; q < n; q++) {
      const e = order[q]!;
      rank = q > 0 && m.items[order[q - 1]!] === m.items[e] ? rank + 1 : 0;
      out.append(`${m.items[e]}\t${m.neighbours[e]}\t${rank}\t${formatWeight(m.cosines[e]!)}\n`);
      if (out.full) await out.flush();
    }
    await out.flush();
  });
}

/**
 * Writes a dataset in MMRec layout into `dir` (created if needed): `<name>.inter` (header
 * `userID itemID x_label`, rows in the dataset's order), `<modality>_feat.npy` for dense
 * modalities (NumPy v1.0, little-endian float32, C order) and `<modality>_knn.tsv` for
 * neighbour lists (header `itemID neighborID rank cosine`, rank by descending cosine). Each
 * file is written atomically. `readDataset(dir)` reads it back (float64 features as float32).
 * Rejects with `InvalidArgumentError` when a name is not a safe file name.
 */
export async function writeDataset(dir: string, dataset: Dataset): Promise<void> {
  for (const name of [dataset.name, ...dataset.modalities.map((m) => m.name)]) {
    if (!SAFE_NAME.test(name)) {
      throw new InvalidArgumentError('name', `'${name}' is not usable as a file name; use letters, digits, '_', '.', '-'.`);
    }
  }
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw wrapFsError(e, dir, 'write');
  }
  await writeInter(join(dir, `${dataset.name}.inter`), dataset);
  for (const m of dataset.modalities) {
    if (m.kind === 'dense') {
      const rows = m.features.length / m.dim;
      if (rows !== dataset.numItems) {
        throw new InvalidDataError(`modality '${m.name}'`, `has ${rows} rows but the dataset has ${dataset.numItems} items.`);
      }
      const bytes = encodeNpyFloat32(m.features, rows, m.dim);
      await atomicWrite(join(dir, `${m.name}_feat.npy`), async (write) => write(bytes));
    } else {
      await writeKnn(join(dir, `${m.name}_knn.tsv`), m);
    }
  }
}
