/**
 * VI-MMRec's virtual interactions for `tf.data.Dataset` pipelines feeding TensorFlow.js
 * models: {@link virtualInteractionsDataset} builds the pair dataset from an `AugmentResult`,
 * {@link pairBatchDataset} adapts any `TrainingLoader` (e.g. one wrapped with
 * `withVirtualInteractions`). The `tf` module is passed in.
 *
 * @packageDocumentation
 */
export { virtualInteractionsDataset, pairBatchDataset } from './dataset.js';
export type { TfModule, PairElement, PairInputs, PairBatchDatasetOptions, VirtualInteractionsDatasetOptions } from './dataset.js';
