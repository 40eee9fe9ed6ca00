/**
 * Reference recommenders (BPR-MF, LightGCN, VBPR, FREEDOM) in TensorFlow.js (wasm backend) and
 * the MMRec evaluation protocol, to measure what VI-MMRec's virtual interactions bring:
 * {@link evalCommand} (the `vi-mmrec eval` command), {@link chooseSettings} (the "default
 * that does no harm"), and the pieces they are built from.
 *
 * @packageDocumentation
 */
export { evalCommand } from './command.js';
export type { EvalIo, EvalJson } from './command.js';
export { candidateGrid, chooseSettings, confirmChoice, DEFAULT_CHOOSE, RECOMMENDED_SETTINGS } from './auto.js';
export type { Candidate, Choice, ChooseOptions, Confirmation } from './auto.js';
export { baselineLoader, csrFromPairs } from './loader.js';
export type { BaselineLoaderOptions, PairBatch, SparseInteractions, TrainingLoader } from './loader.js';
export { Evaluator, recallAtK, ndcgAtK, topK } from './metrics.js';
export type { Metrics, SplitResult } from './metrics.js';
export { BprMf, LightGcn, Vbpr, Freedom, createModel, DEFAULT_REG } from './models/models.js';
export type { FreedomOptions } from './models/models.js';
export type { ModelName, ModelOptions, ItemFeatures, DenseItemFeatures, NeighbourItemFeatures, Recommender } from './models/types.js';
export { EarlyStopper, measureEpoch, trainAndEvaluate } from './train.js';
export type { EpochCost, EpochRecord, RunResult, TrainOptions } from './train.js';
export { prepareData, augmentFor, loaderFor, runOnce, meanStd, summarise } from './experiment.js';
export type { AugmentSettings, TrainSettings, PreparedData } from './experiment.js';
export { splitDataset } from './dataset.js';
export type { EvalDataset, Splits } from './dataset.js';
export { renderReport, runStatus } from './report.js';
export type { EvalMeta, ReportOptions, RunStatus } from './report.js';
export { reportCommand } from './report-command.js';
export type { ReportIo } from './report-command.js';
export { pairedTTest } from './stats.js';
export type { PairedTTest } from './stats.js';
export { initTf } from './tf-backend.js';
