/**
 * Item count above which automatic backend resolution prefers an approximate backend
 * (`capabilities.exact === false`) over exact search, from the "Scale" section of
 * docs/benchmarks.md (384-d clustered features, k = 10): the exact onnxruntime-node backend
 * was faster up to 100,000 items, the usearch backend at 200,000, and they cross at about
 * 175,000; up to 200,000 the two take about the same time, so exact search is kept. At or
 * below it, and whenever the size is unknown or exact search is requested, automatic
 * resolution never picks an approximate backend.
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
