/**
 * Reads MMRec dataset folders (`.inter` interactions, `.npy` dense features, kNN neighbour
 * lists; interactions and lists also as Parquet) into `@vi-mmrec/core`'s input types,
 * streaming files of any size, writes vi-mmrec's enriched matrix (TSV or Parquet) and summary
 * (JSON) atomically, and generates synthetic multimodal datasets.
 *
 * @packageDocumentation
 */
export { readDataset } from './dataset.js';
export type { Dataset, ReadDatasetOptions, ReadProgressEvent } from './dataset.js';
export { readInteractions } from './inter.js';
export type { LabelledInteractions } from './inter.js';
export { readNpy } from './npy.js';
export type { NpyArray } from './npy.js';
export { readNeighbourList } from './knn.js';
export { writeEnrichedMatrix, writeSummary, writeTextAtomic, formatWeight } from './write.js';
export type { WriteMatrixOptions } from './write.js';
export { synthesizeDataset } from './synthetic.js';
export type { SyntheticOptions } from './synthetic.js';
export { writeDataset } from './write-dataset.js';
