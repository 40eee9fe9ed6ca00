import type { BackendFactory } from '@vi-mmrec/core';
import { importUsearch, usearchBackend } from './usearch-backend.js';

/**
 * Registry factory of the USearch backend. It is approximate (`exact: false`), so automatic
 * resolution uses it only for catalogues above core's `APPROXIMATE_CROSSOVER_ITEMS` (measured
 * in docs/benchmarks.md, "Scale") and never when exact search is requested.
 */
export const usearchBackendFactory: BackendFactory = {
  name: 'usearch',
  priority: 50,
  exact: false,
  description:
    'USearch HNSW approximate neighbours, multi-threaded; faster than exact search on large catalogues (docs/benchmarks.md, "Scale")',
  isAvailable: async () => {
    try {
      await importUsearch();
      return true;
    } catch {
      return false;
    }
  },
  create: () => usearchBackend(),
};
