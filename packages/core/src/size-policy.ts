/**
 * Item count above which automatic backend resolution prefers an approximate backend
 * (`capabilities.exact === false`) over exact search: about where the usearch backend's
 * build + search time drops below the exact onnxruntime-node backend's, from the
 * measurements in the "Scale" section of docs/benchmarks.md (384-d clustered features,
 * k = 10): exact search was faster up to the 100,000 items measured, and the 50k→100k trends
 * cross at about 130,000 items in wall time and 230,000 in CPU seconds. At or below it, and
 * whenever the size is unknown or exact search is requested, automatic resolution never
 * picks an approximate backend.
 */
export const APPROXIMATE_CROSSOVER_ITEMS = 200_000;

/** Whether automatic resolution may pick an approximate backend for `numItems` items. @internal */
export function approximateAllowed(numItems: number | undefined, exact: boolean | undefined): boolean {
  return exact !== true && numItems !== undefined && numItems > APPROXIMATE_CROSSOVER_ITEMS;
}

/** Why automatic resolution searched exactly or approximately (for the log). @internal */
export function sizeReason(numItems: number | undefined, exact: boolean | undefined): string | undefined {
  const crossover = APPROXIMATE_CROSSOVER_ITEMS.toLocaleString('en-US');
  if (exact === true) return 'exact search was requested';
  if (numItems === undefined) return undefined;
  const n = numItems.toLocaleString('en-US');
  return approximateAllowed(numItems, exact)
    ? `approximate search: ${n} items > crossover ${crossover} (docs/benchmarks.md, "Scale"); exact search can be forced (CLI --exact)`
    : `exact search: ${n} items ≤ crossover ${crossover} (docs/benchmarks.md, "Scale")`;
}
