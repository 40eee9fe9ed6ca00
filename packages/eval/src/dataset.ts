import type { Modality } from '@vi-mmrec/core';
import { type SparseInteractions, csrFromPairs } from './loader.js';

/**
 * A dataset as `@vi-mmrec/io`'s `readDataset` returns it (declared structurally here): all
 * interactions with their split label (0 train, 1 valid, 2 test), the training pairs, and the
 * item modalities.
 */
export interface EvalDataset {
  readonly name: string;
  readonly numUsers: number;
  readonly numItems: number;
  readonly interactions: { readonly users: Int32Array; readonly items: Int32Array; readonly labels: Uint8Array | Int32Array | Int8Array };
  readonly train: { readonly users: Int32Array; readonly items: Int32Array };
  readonly modalities: readonly Modality[];
}

/** The three splits as CSR matrices (values 1). */
export interface Splits {
  readonly train: SparseInteractions;
  readonly valid: SparseInteractions;
  readonly test: SparseInteractions;
}

/** Splits a dataset's interactions by label into train/valid/test CSR matrices. */
export function splitDataset(ds: EvalDataset): Splits {
  const { users, items, labels } = ds.interactions;
  const pick = (label: number): SparseInteractions => {
    const u: number[] = [];
    const i: number[] = [];
    for (let p = 0; p < users.length; p++) {
      if (labels[p] === label) {
        u.push(users[p]!);
        i.push(items[p]!);
      }
    }
    return csrFromPairs(ds.numUsers, ds.numItems, Int32Array.from(u), Int32Array.from(i));
  };
  return { train: csrFromPairs(ds.numUsers, ds.numItems, ds.train.users, ds.train.items), valid: pick(1), test: pick(2) };
}
