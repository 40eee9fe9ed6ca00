// The getting-started journey (docs/guide/getting-started.md) and the loader page
// (docs/integrations/loader.md) in TypeScript: augment, then wrap a plain loader and one of the
// user's own. Compiled with `strict` and `skipLibCheck: false`; nothing here may become `any`.
import { augment, type AugmentResult } from '@vi-mmrec/core';
import { cpuBackend } from '@vi-mmrec/backend-cpu';
import {
  pairLoader,
  withVirtualInteractions,
  type PairBatch,
  type SparseInteractions,
  type TrainingLoader,
} from '@vi-mmrec/integration-loader';
import { typed } from './typed.js';

const numUsers = 6;
const numItems = 8;
const users = Int32Array.from([0, 0, 1, 2, 2, 3, 4, 4, 5, 5, 5]);
const items = Int32Array.from([0, 2, 1, 4, 5, 6, 3, 7, 0, 1, 5]);
const dim = 4;
const features = Float32Array.from({ length: numItems * dim }, (_, i) => ((i * 7) % 5) / 4);

const result: AugmentResult = await augment(
  { numUsers, numItems, train: { users, items }, modalities: [{ kind: 'dense', name: 'image', features, dim }] },
  { strategy: 'overlay', k: 1, lambda: 1, backend: cpuBackend() },
);
const { counts, groups } = result.summary;
const overlap: number = groups[0]!.overlap;
const virtualOnly: number = counts.virtualOnly;
const { rowPtr, items: cols, weights, real } = result.matrix;
const firstRow: string[] = [];
for (let e = rowPtr[0]!; e < rowPtr[1]!; e++) firstRow.push(`${cols[e]}${real[e] ? '' : `(virtual ${weights[e]})`}`);

// A plain loader, wrapped: the wrapper has the loader's own type.
const loader = withVirtualInteractions(pairLoader({ numUsers, numItems, users, items, batchSize: 4, seed: 1 }), result, { seed: 1 });
let pairs = 0;
for await (const batch of loader) {
  const b: PairBatch = batch;
  pairs += b.users.length;
}

// The user's own loader class keeps its own members through the wrapper.
class MyLoader implements TrainingLoader {
  readonly numUsers = numUsers;
  readonly numItems = numItems;
  steps(): number {
    return 3;
  }
  async *[Symbol.asyncIterator](): AsyncIterator<PairBatch> {
    yield { users, positives: items };
  }
}
const myLoader: TrainingLoader & { steps(): number } = new MyLoader();
const mine = withVirtualInteractions(myLoader, result, { seed: 42, negatives: 'non-real', inject: 'both' });
const steps: number = mine.steps();
const graph: SparseInteractions | undefined = mine.interactionMatrix?.();
export const summary = { overlap, virtualOnly, firstRow, pairs, steps, graphRows: graph?.numUsers };

typed(augment);
typed(cpuBackend);
typed(pairLoader);
typed(withVirtualInteractions);
typed(result);
typed(mine);
// @ts-expect-error the seed is a number
withVirtualInteractions(new MyLoader(), result, { seed: '42' });
// @ts-expect-error not a policy
withVirtualInteractions(new MyLoader(), result, { negatives: 'any' });
// @ts-expect-error a loader needs an async iterator
withVirtualInteractions({ numUsers, numItems }, result);
// @ts-expect-error the wrapper does not invent members
mine.epochs();
// @ts-expect-error augment needs a strategy
await augment({ numUsers, numItems, train: { users, items }, modalities: [] }, { k: 1, lambda: 1 });
