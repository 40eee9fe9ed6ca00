/**
 * Reads MMRec dataset folders (`.inter` interactions, `.npy` dense features, kNN neighbour
 * lists; interactions and lists also as Parquet) into `@vi-mmrec/core`'s input types,
 * streaming files of any size, writes vi-mmrec's enriched matrix (TSV or Parquet) and summary
 * (JSON) atomically, and generates synthetic multimodal datasets.
 *
 * @packageDocumentation
 */
export { readDataset, isDatasetFileName } from './dataset.js';
export type { Dataset, ReadDatasetOptions, ReadProgressEvent } from './dataset.js';
export { readInteractions } from './inter.js';
export type { LabelledInteractions } from './inter.js';
export { readNpy } from './npy.js';
export type { NpyArray } from './npy.js';
export { readNeighbourList } from './knn.js';
export { writeEnrichedMatrix, writeEnrichedBlocks, streamEnrichedBlocks, writeSummary, writeTextAtomic, formatWeight } from './write.js';
export type { WriteBlocksOptions, WriteMatrixOptions, WriteTextOptions } from './write.js';
export { checkOutputFile } from './output-check.js';
export type { CheckOutputOptions } from './output-check.js';
export { createOutputTransaction, probeWritable, removeTemporaryFiles } from './transaction.js';
export type { OutputTransaction, OutputTransactionOptions, WriteChunk } from './transaction.js';
export { synthesizeDataset } from './synthetic.js';
export type { SyntheticOptions } from './synthetic.js';
export { writeDataset } from './write-dataset.js';
