/**
 * Exports vi-mmrec's enriched interactions R̄ for the Python MMRec toolbox and RecBole while
 * keeping the dataset's train/valid/test split untouched: {@link exportForMmrec} writes a
 * sidecar TSV (default), a labelled copy of the `.inter`, or — only on explicit request — a
 * materialised copy.
 *
 * @packageDocumentation
 */
export { exportForMmrec, SIDECAR_HEADER, VIRTUAL_LABEL } from './export.js';
export type { MmrecDatasetLocation, MmrecExportFormat, MmrecExportOptions, MmrecExportResult } from './export.js';
