// Memory of @vi-mmrec/integration-loader's withVirtualInteractions per entry of R̄, at a
// synthetic R̄ (build first: `npx tsc -b`):
//   node --expose-gc tools/bench/loader-memory.mjs [ENTRIES=1e7] [ROW=100] [REAL_EVERY=10]
// R̄ has ENTRIES entries, ROW per user, one real entry in REAL_EVERY, virtual weights in
// (0.05, 1.25). The loader yields the real pairs (views, no copy) in batches of 65536.
// Prints one JSON line: bytes per entry of R̄ itself, of the prepared wrapper, and the peak of
// one epoch beyond that (live array buffers, i.e. typed arrays: what follows the data), and
// maxRSS. Without --expose-gc the numbers include garbage not yet collected.
const root = new URL('../../', import.meta.url);
const { withVirtualInteractions } = await import(new URL('packages/integration-loader/dist/index.js', root).href);

const [entriesArg = '1e7', rowArg = '100', realEveryArg = '10'] = process.argv.slice(2);
const entries = Number(entriesArg);
const row = Number(rowArg);
const realEvery = Number(realEveryArg);
if (!(Number.isInteger(entries) && entries > 0 && Number.isInteger(row) && row > 0 && Number.isInteger(realEvery) && realEvery > 0)) {
  console.error('usage: node --expose-gc tools/bench/loader-memory.mjs [ENTRIES] [ROW] [REAL_EVERY] (positive integers)');
  process.exit(2);
}
const gc = globalThis.gc ?? (() => {});
const buffers = () => {
  gc();
  return process.memoryUsage().arrayBuffers;
};

const base = buffers();
const numUsers = Math.ceil(entries / row);
const numItems = 2 * row;
const rowPtr = new Int32Array(numUsers + 1);
const items = new Int32Array(entries);
const weights = new Float64Array(entries);
const real = new Uint8Array(entries);
let numReal = 0;
for (let p = 0; p < entries; p++) {
  const u = Math.floor(p / row);
  const k = p - u * row;
  rowPtr[u + 1] = p + 1;
  items[p] = 2 * k + (u & 1);
  const isReal = (p + u) % realEvery === 0 || k === 0;
  real[p] = isReal ? 1 : 0;
  weights[p] = isReal ? 1 + (p % 7) / 7 : 0.05 + ((Math.imul(p, 2654435761) >>> 0) / 4294967296) * 1.2;
  if (isReal) numReal++;
}
const pairUsers = new Int32Array(numReal);
const pairItems = new Int32Array(numReal);
for (let u = 0, r = 0; u < numUsers; u++) {
  for (let p = rowPtr[u]; p < rowPtr[u + 1]; p++) {
    if (real[p] === 1) {
      pairUsers[r] = u;
      pairItems[r++] = items[p];
    }
  }
}
const matrix = { numUsers, numItems, rowPtr, items, weights, real };
const result = { matrix, summary: {} };
const loader = {
  numUsers,
  numItems,
  async *[Symbol.asyncIterator]() {
    for (let s = 0; s < numReal; s += 65536) {
      const e = Math.min(numReal, s + 65536);
      yield { users: pairUsers.subarray(s, e), positives: pairItems.subarray(s, e) };
    }
  },
};
const withInput = buffers();

const wrapped = withVirtualInteractions(loader, result, { seed: 1 });
const prepared = buffers();

let peak = prepared;
let pairs = 0;
let batches = 0;
for await (const b of wrapped) {
  pairs += b.users.length;
  // Live typed arrays (after a collection) while the epoch is in flight, every 8th batch.
  if (batches++ % 8 === 0) peak = Math.max(peak, buffers());
}

const perEntry = (bytes) => Number((bytes / entries).toFixed(2));
process.stdout.write(
  `${JSON.stringify({
    entries,
    realEntries: numReal,
    epochPairs: pairs,
    rbarAndPairsBytesPerEntry: perEntry(withInput - base),
    preparedBytesPerEntry: perEntry(prepared - withInput),
    epochPeakBytesPerEntry: perEntry(peak - prepared),
    maxRSS: process.resourceUsage().maxRSS * 1024,
  })}\n`,
);
