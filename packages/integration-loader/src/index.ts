/**
 * Gives existing models VI-MMRec's virtual interactions without changing their code: wrap
 * the model's training loader with {@link withVirtualInteractions}. Loaders follow the small
 * {@link TrainingLoader} protocol; {@link pairLoader} builds one from plain pairs.
 *
 * @packageDocumentation
 */
export { withVirtualInteractions } from './with-virtual-interactions.js';
export { pairLoader } from './pair-loader.js';
export type { PairLoader, PairLoaderOptions } from './pair-loader.js';
export type {
  PairBatch,
  SparseInteractions,
  TrainingLoader,
  NegativePolicy,
  GraphMode,
  InjectMode,
  VirtualInteractionsOptions,
} from './types.js';
