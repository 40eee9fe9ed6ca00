// Recall of an HNSW index against its search expansion (ef), on the scale benchmark's catalogue
// (not run in CI): builds one USearch index over N normalised items with the backend's build
// settings, then searches the sampled queries of tools/bench/scale.mjs with each ef, the way
// @vi-mmrec/backend-usearch does (k · oversample + 1 candidates, the item itself dropped, the
// rest rescored exactly), and prints recall@10 against the exact truth and CPU ms per query.
// Run `node tools/bench/scale.mjs --sizes N` first: it writes the features, queries and truth.
//
//   node tools/bench/usearch-ef.mjs [--items 1000000] [--ef 64,96,128,192] [--connectivity 16]
//        [--expansion-add 128] [--oversample 2]
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { DIM, featureFile } from './scale-features.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const p = args.indexOf(`--${name}`);
  return p < 0 ? fallback : args[p + 1];
};
const n = Number(opt('items', 1e6));
const efs = opt('ef', '64,96,128,192').split(',').map(Number);
const connectivity = Number(opt('connectivity', 16));
const expansionAdd = Number(opt('expansion-add', 128));
const oversample = Number(opt('oversample', 2));
const K = 10;
const threads = availableParallelism();
const usearch = createRequire(new URL('../../packages/backend-usearch/package.json', import.meta.url))('usearch');

const features = featureFile(n);
const base = features.slice(0, -'.f32'.length);
if (!existsSync(`${base}-q2000-truth.json`)) {
  console.error(`no exact truth for ${n} items: run 'node tools/bench/scale.mjs --sizes ${n} --impls usearch' first`);
  process.exit(1);
}
const raw = readFileSync(features);
const x = new Float32Array(raw.buffer, raw.byteOffset, n * DIM);
for (let i = 0; i < n; i++) {
  let ss = 0;
  for (let d = 0; d < DIM; d++) ss += x[i * DIM + d] ** 2;
  const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
  for (let d = 0; d < DIM; d++) x[i * DIM + d] *= inv;
}
const q = new Int32Array(readFileSync(`${base}-q2000.i32`).buffer.slice(0));
const truth = JSON.parse(readFileSync(`${base}-q2000-truth.json`, 'utf8'));
const cpuSince = (c0) => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
};

/** An index with the build settings; the ef of a search is fixed when the index is made. */
const makeIndex = (ef) =>
  new usearch.Index({
    dimensions: DIM,
    metric: usearch.MetricKind.IP,
    quantization: usearch.ScalarKind.F32,
    connectivity,
    expansion_add: expansionAdd,
    expansion_search: ef,
    multi: false,
  });
const index = makeIndex(efs[0]);
let t0 = performance.now();
let c0 = process.cpuUsage();
const B = 8192;
for (let b = 0; b < n; b += B) {
  const m = Math.min(B, n - b);
  index.add(
    BigUint64Array.from({ length: m }, (_, i) => BigInt(b + i)),
    x.subarray(b * DIM, (b + m) * DIM),
    threads,
  );
}
console.log(
  `build: ${n.toLocaleString('en-US')} items, connectivity ${connectivity}, expansion ${expansionAdd}: ${((performance.now() - t0) / 1000).toFixed(0)} s wall, ${cpuSince(c0).toFixed(0)} CPU s`,
);

// The graph is saved once and loaded into an index per ef (USearch's binding cannot change ef).
const dir = mkdtempSync(join(tmpdir(), 'vi-mmrec-ef-'));
const saved = join(dir, 'index.usearch');
index.save(saved);
const queries = new Float32Array(q.length * DIM);
q.forEach((i, r) => queries.set(x.subarray(i * DIM, (i + 1) * DIM), r * DIM));
const kq = oversample * K + 1;
for (const ef of efs) {
  const loaded = makeIndex(ef);
  loaded.load(saved);
  c0 = process.cpuUsage();
  const found = loaded.search(queries, kq, threads);
  const cpu = cpuSince(c0);
  let hits = 0;
  let total = 0;
  q.forEach((i, r) => {
    const cands = [];
    for (let t = 0; t < kq; t++) {
      const j = Number(found.keys[r * kq + t]);
      if (j === i || j >= n) continue;
      let s = 0;
      for (let d = 0; d < DIM; d++) s += x[i * DIM + d] * x[j * DIM + d];
      cands.push([j, s]);
    }
    cands.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    const got = new Set(cands.slice(0, K).map((c) => c[0]));
    hits += truth.rows[r].filter((j) => got.has(j)).length;
    total += truth.rows[r].length;
  });
  console.log(`ef ${ef}: recall@10 ${(hits / total).toFixed(4)}, ${((1000 * cpu) / q.length).toFixed(2)} CPU ms per query`);
}
rmSync(dir, { recursive: true, force: true });
