// Scale benchmark: one neighbour table (k = 10) over N synthetic clustered 384-d items, our
// backends (exact onnxruntime-node, approximate usearch) beside the Python peers (exact faiss
// IndexFlatIP and NumPy, approximate faiss IndexHNSWFlat; tools/bench/scale_peer.py), to find
// the item count above which approximate search is faster (core's APPROXIMATE_CROSSOVER_ITEMS).
//
//   node tools/bench/scale.mjs [--sizes 50000,100000,200000]
//        [--impls onnxruntime-node,usearch,faiss-flat,numpy,faiss-hnsw] [--reps 3]
//        [--queries 2000] [--max-exact 200000] [--max-numpy 200000] [--exact-rows 0] [--ef 128]
//        [--write] [--from results.jsonl ...]
//
// --ef sets usearch's expansionSearch (default 128, the backend's default).
//
// Per size, the features are generated once and written as raw float32 to a cache folder
// ($VI_MMREC_SCALE_CACHE, default <tmpdir>/vi-mmrec-scale), with `--queries` sampled item ids;
// the exact top-10 of those queries over all N items is computed once (USearch's exact flat
// search on the normalised rows, cross-checked against a float64 JavaScript loop on 50 of
// them). Every measurement then runs in a fresh child process that reads the features: seconds
// and CPU seconds cover normalisation + index build + search (reading excluded), peak RSS is
// the child's maxRSS, and recall@10 of every implementation (exact ones included, as a check)
// is computed from the rows it returned for the sampled queries. Implementations are
// interleaved rep by rep; the 1-minute load average is recorded after each measurement.
// Python peers run under /usr/bin/python3 with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed
// from their environment, so OpenBLAS picks its kernel for the actual CPU (recorded).
// Exact implementations run up to --max-exact items (NumPy up to --max-numpy); above, only
// the sampled queries are searched exactly (for recall), and with --exact-rows R
// onnxruntime-node searches the query range of items 0…R-1 (request.rows) among all N items:
// its times × N/R estimate every row against every item (what N/R shards would spend
// together; an unsharded run uses the symmetry, measured to cost about the same). --write
// replaces the table between the scale markers of docs/benchmarks.md. Each measurement is printed on stderr as one JSON
// line; --from builds the table from such lines saved earlier instead of measuring.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { DIM, ensureFeatures, featureFile, rng } from './scale-features.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const K = 10;
const PYTHON = '/usr/bin/python3';
const PEER = fileURLToPath(new URL('scale_peer.py', import.meta.url));
const OURS = ['onnxruntime-node', 'usearch'];
const APPROXIMATE = new Set(['usearch', 'faiss-hnsw']);
const LABEL = {
  'onnxruntime-node': 'onnxruntime-node (ours, exact)',
  usearch: 'usearch (ours, HNSW)',
  'faiss-flat': 'faiss IndexFlatIP (exact)',
  numpy: 'NumPy sgemm + argpartition (exact)',
  'faiss-hnsw': 'faiss IndexHNSWFlat',
};

/** `count` distinct sampled item ids (deterministic). */
function sample(n, count, seed) {
  const r = rng(seed);
  const ids = new Set();
  while (ids.size < Math.min(n, count)) ids.add(Math.floor(r.next() * n));
  return Int32Array.from([...ids].sort((a, b) => a - b));
}

const files = (n, queries) => {
  const data = featureFile(n);
  const base = data.slice(0, -'.f32'.length);
  return { data, queries: `${base}-q${queries}.i32`, truth: `${base}-q${queries}-truth.json` };
};
const f32 = async (file) => {
  const b = await readFile(file);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};
const i32 = async (file) => {
  const b = await readFile(file);
  return new Int32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};

/** Writes size n's features and sampled queries (if absent), then its exact truth (if absent). */
async function prepare(n, queries) {
  const f = files(n, queries);
  await ensureFeatures(n);
  if (!existsSync(f.queries)) await writeFile(f.queries, new Uint8Array(sample(n, queries, 7).buffer));
  if (!existsSync(f.truth)) {
    const res = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--truth', String(n), String(queries)], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (res.status !== 0) throw new Error(`exact truth at ${n}: exit ${res.status}`);
  }
  return JSON.parse(await readFile(f.truth, 'utf8'));
}

/** Rows scaled to unit L2 norm (norms accumulated in float64). */
function normalised(data, n) {
  const unit = new Float32Array(data.length);
  for (let i = 0; i < n; i++) {
    let ss = 0;
    for (let d = 0; d < DIM; d++) ss += data[i * DIM + d] ** 2;
    const inv = 1 / Math.sqrt(ss);
    for (let d = 0; d < DIM; d++) unit[i * DIM + d] = data[i * DIM + d] * inv;
  }
  return unit;
}

/** Child: exact top-10 of the sampled queries over all n items, written to the truth file. */
async function truthChild(n, queries) {
  const f = files(n, queries);
  const { default: usearch } = await import('usearch');
  const unit = normalised(await f32(f.data), n);
  const q = await i32(f.queries);
  const qv = new Float32Array(q.length * DIM);
  q.forEach((i, r) => qv.set(unit.subarray(i * DIM, (i + 1) * DIM), r * DIM));
  const t0 = performance.now();
  const rows = [];
  // In batches of queries: USearch's exact search holds a queries × N distance matrix. Each
  // batch is a copy: the native search reads a subarray's buffer from its start.
  const batch = Math.max(1, Math.floor(2 ** 27 / n));
  for (let r0 = 0; r0 < q.length; r0 += batch) {
    const r1 = Math.min(q.length, r0 + batch);
    const exact = usearch.exactSearch(unit, qv.slice(r0 * DIM, r1 * DIM), DIM, K + 1, usearch.MetricKind.IP, 0);
    for (let r = r0; r < r1; r++) {
      const ids = [];
      for (let t = 0; t < Number(exact.counts[r - r0]) && ids.length < K; t++) {
        const j = Number(exact.keys[(r - r0) * (K + 1) + t]);
        if (j !== q[r]) ids.push(j);
      }
      rows.push(ids);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  // Cross-check the exact search against float64 brute force on 50 queries spread over all.
  let crossMismatch = 0;
  for (let r = 0; r < q.length; r += Math.max(1, Math.floor(q.length / 50))) {
    const i = q[r];
    const best = [];
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let dot = 0;
      for (let d = 0; d < DIM; d++) dot += unit[i * DIM + d] * unit[j * DIM + d];
      if (best.length < K || dot > best[best.length - 1][0]) {
        best.push([dot, j]);
        best.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
        if (best.length > K) best.pop();
      }
    }
    const want = new Set(best.map((b) => b[1]));
    crossMismatch += rows[r].filter((j) => !want.has(j)).length;
  }
  await writeFile(f.truth, JSON.stringify({ n, queries: q.length, seconds, crossMismatch, rows }));
}

/** Child: one of our backends over all n items. */
/** One measurement of ours in this process; with `rowCount`, only items 0 … rowCount - 1 are queries (`request.rows`). */
async function oursChild(impl, n, queries, rowCount) {
  const f = files(n, queries);
  const data = await f32(f.data);
  const q = await i32(f.queries);
  let backend;
  // HNSW ef while searching (the backend's default, 128, unless --ef): recorded with the result.
  const ef = Number(process.env.VI_MMREC_SCALE_EF ?? 128);
  if (impl === 'usearch') {
    const m = await import(new URL('packages/backend-usearch/dist/index.js', `file://${ROOT}`).href);
    backend = m.usearchBackend({ expansionSearch: ef });
  } else if (impl === 'onnxruntime-node') {
    const m = await import(new URL('packages/backend-onnxruntime-node/dist/index.js', `file://${ROOT}`).href);
    backend = m.onnxruntimeNodeBackend({ executionProviders: ['cpu'] });
  } else throw new Error(`unknown implementation ${impl}`);
  await backend.init();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const range = rowCount === undefined ? {} : { rows: { start: 0, end: rowCount } };
  const [table] = await backend.searchNeighbours({ numItems: n, parts: [{ data, dim: DIM }], outputs: [{ parts: [0], k: K }], ...range });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const maxRSS = process.resourceUsage().maxRSS * 1024;
  await backend.dispose();
  // Rows of the sampled queries (null for those outside a query range: not searched).
  const rows = [...q].map((i) => (rowCount !== undefined && i >= rowCount ? null : [...table.indices.subarray(i * K, (i + 1) * K)]));
  const out = { impl, n, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRSS, featureBytes: data.byteLength, rows };
  if (rowCount !== undefined) out.queryRows = rowCount;
  if (impl === 'usearch') out.ef = ef;
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** Recall@10 of `rows` (neighbours of the sampled queries) against the exact truth. */
function recall(rows, truth) {
  let hits = 0;
  let total = 0;
  truth.rows.forEach((want, r) => {
    if (rows[r] === null) return; // outside the query range
    const got = new Set(rows[r]);
    hits += want.filter((j) => got.has(j)).length;
    total += want.length;
  });
  return hits / total;
}

/** Environment of the Python peers: OpenBLAS chooses its kernel for the actual CPU. */
function peerEnv() {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Runs every (size, rep, implementation) in a fresh child process, interleaved; returns the results. */
async function measure(opts) {
  const results = [];
  for (const n of opts.sizes) {
    const truth = await prepare(n, opts.queries);
    console.error(JSON.stringify({ truth: n, queries: truth.queries, seconds: truth.seconds, crossMismatch: truth.crossMismatch }));
    for (let rep = 0; rep < opts.reps; rep++) {
      for (const impl of opts.impls) {
        // Above --max-exact, onnxruntime-node may still search a query range (--exact-rows) for an estimate.
        const range = impl === 'onnxruntime-node' && n > opts.maxExact && opts.exactRows > 0 ? [String(Math.min(n, opts.exactRows))] : [];
        if (!APPROXIMATE.has(impl) && range.length === 0 && n > (impl === 'numpy' ? opts.maxNumpy : opts.maxExact)) continue;
        const f = files(n, opts.queries);
        const args = OURS.includes(impl)
          ? [
              process.execPath,
              [fileURLToPath(import.meta.url), '--child', impl, String(n), String(opts.queries), ...range],
              { ...process.env, VI_MMREC_SCALE_EF: String(opts.ef) },
            ]
          : [PYTHON, [PEER, impl, f.data, String(DIM), String(K), f.queries], peerEnv()];
        const res = spawnSync(args[0], args[1], {
          encoding: 'utf8',
          maxBuffer: 1 << 26,
          stdio: ['ignore', 'pipe', 'inherit'],
          env: args[2],
        });
        if (res.status !== 0) throw new Error(`${impl} at ${n}: exit ${res.status}`);
        const { rows, ...r } = JSON.parse(res.stdout.trim().split('\n').pop());
        if (r.queryRows !== undefined) {
          // Every row's cost from the range's: as n / queryRows shards together would spend.
          Object.assign(r, { measuredSeconds: r.seconds, measuredCpuSeconds: r.cpuSeconds });
          r.seconds *= n / r.queryRows;
          r.cpuSeconds *= n / r.queryRows;
        }
        Object.assign(r, {
          rep,
          recall: recall(rows, truth),
          queries: truth.queries,
          crossMismatch: truth.crossMismatch,
          load1: os.loadavg()[0],
        });
        console.error(JSON.stringify(r));
        results.push(r);
      }
    }
  }
  return results;
}

/** Results saved earlier: the JSON lines of the given files (other lines are ignored). */
async function readResults(paths) {
  const texts = await Promise.all(paths.map(async (f) => readFile(f, 'utf8')));
  return texts.flatMap((t) =>
    t
      .split('\n')
      .filter((l) => l.startsWith('{"impl"'))
      .map((l) => JSON.parse(l)),
  );
}

/** The markdown table of `results`: per size and implementation, medians over reps. */
function table(results, impls) {
  const rows = [];
  const sizes = [...new Set(results.map((r) => r.n))].sort((a, b) => a - b);
  for (const n of sizes) {
    // usearch rows per ef (runs before the ef was recorded used the then default, 64).
    const efOf = (r) => (r.impl === 'usearch' ? (r.ef ?? 64) : undefined);
    for (const impl of impls) {
      const all = results.filter((r) => r.n === n && r.impl === impl);
      for (const ef of [...new Set(all.map(efOf))].sort((a, b) => (a ?? 0) - (b ?? 0))) {
        const rs = all.filter((r) => efOf(r) === ef);
        rows.push({
          n,
          impl,
          reps: rs.length,
          seconds: median(rs.map((r) => r.seconds)),
          min: Math.min(...rs.map((r) => r.seconds)),
          max: Math.max(...rs.map((r) => r.seconds)),
          cpuSeconds: median(rs.map((r) => r.cpuSeconds)),
          rssBeyond: Math.max(...rs.map((r) => r.maxRSS - r.featureBytes)),
          featureBytes: rs[0].featureBytes,
          recall: median(rs.map((r) => r.recall)),
          queries: rs[0].queries,
          queryRows: rs[0].queryRows,
          ef,
          loads: rs.map((r) => r.load1),
        });
      }
    }
  }
  const reference = (n) => rows.find((r) => r.n === n && r.impl === 'onnxruntime-node');
  const mib = (b) => Math.round(b / 2 ** 20).toLocaleString('en-US');
  const fmt = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
  const lines = [
    '| items | implementation | reps | wall s, median (min–max) | CPU s | onnxruntime-node ÷ this: wall, CPU | recall@10 | peak RSS beyond features | load (1 min) |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const ref = reference(r.n);
      const ratio = ref ? `${(ref.seconds / r.seconds).toFixed(2)}×, ${(ref.cpuSeconds / r.cpuSeconds).toFixed(2)}×` : '—';
      const loads = `${Math.min(...r.loads).toFixed(1)}–${Math.max(...r.loads).toFixed(1)}`;
      const label = `${LABEL[r.impl] ?? r.impl}${r.ef === undefined ? '' : `, ef ${r.ef}`}${r.queryRows === undefined ? '' : `, estimated: items 0–${(r.queryRows - 1).toLocaleString('en-US')} searched, × ${(r.n / r.queryRows).toLocaleString('en-US')}`}`;
      return `| ${r.n.toLocaleString('en-US')} | ${label} | ${r.reps} | ${fmt(r.seconds)} (${fmt(r.min)}–${fmt(r.max)}) | ${fmt(r.cpuSeconds)} | ${ratio} | ${r.recall.toFixed(4)} | ${mib(r.rssBeyond)} MiB | ${loads} |`;
    }),
  ];
  const features = sizes.map((n) => `${n.toLocaleString('en-US')}: ${mib(rows.find((r) => r.n === n).featureBytes)} MiB`).join(', ');
  return `${lines.join('\n')}\n\nFeatures (float32): ${features}. Recall@10 on the sampled queries against their exact top-10.\n`;
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child')
    return oursChild(argv[1], Number(argv[2]), Number(argv[3]), argv[4] === undefined ? undefined : Number(argv[4]));
  if (argv[0] === '--truth') return truthChild(Number(argv[1]), Number(argv[2]));
  const opts = {
    sizes: [50_000, 100_000, 200_000],
    impls: ['onnxruntime-node', 'usearch', 'faiss-flat', 'numpy', 'faiss-hnsw'],
    reps: 3,
    queries: 2000,
    maxExact: 200_000,
    maxNumpy: 200_000,
    exactRows: 0,
    ef: 128,
    write: false,
    from: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--sizes') opts.sizes = argv[++i].split(',').map(Number);
    else if (a === '--impls') opts.impls = argv[++i].split(',');
    else if (a === '--reps') opts.reps = Number(argv[++i]);
    else if (a === '--queries') opts.queries = Number(argv[++i]);
    else if (a === '--max-exact') opts.maxExact = Number(argv[++i]);
    else if (a === '--max-numpy') opts.maxNumpy = Number(argv[++i]);
    else if (a === '--exact-rows') opts.exactRows = Number(argv[++i]);
    else if (a === '--ef') opts.ef = Number(argv[++i]);
    else if (a === '--write') opts.write = true;
    else if (a === '--from') opts.from.push(argv[++i]);
    else {
      console.log(
        'usage: node tools/bench/scale.mjs [--sizes 50000,100000,200000] [--impls onnxruntime-node,usearch,faiss-flat,numpy,faiss-hnsw] [--reps 3] [--queries 2000] [--max-exact 200000] [--max-numpy 200000] [--exact-rows 0] [--ef 128] [--write] [--from results.jsonl ...]',
      );
      process.exit(a === '--help' ? 0 : 1);
    }
  }
  const started = new Date().toISOString();
  const results = opts.from.length > 0 ? await readResults(opts.from) : await measure(opts);
  const how =
    opts.from.length > 0
      ? `from saved measurements (${opts.from.length} file${opts.from.length > 1 ? 's' : ''})`
      : `--sizes ${opts.sizes.join(',')} --reps ${opts.reps}`;
  const peer = results.find((r) => r.blas);
  const blas = peer?.blas?.map((b) => `${b.internal_api} ${b.version} (${b.architecture} kernel, ${b.num_threads} threads)`).join(', ');
  const peers = peer
    ? ` Peers: faiss ${peer.faiss} (Debian python3-faiss, ${peer.threads} OpenMP threads), NumPy ${peer.numpy}, BLAS ${blas}.`
    : '';
  const head = `Generated by \`node tools/bench/scale.mjs\` (${how}) on ${started.slice(0, 10)} (Node ${process.version}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(2)} GiB).${peers}`;
  const block = `${head}\n\n${table(results, opts.impls)}`;
  console.log(block);
  if (opts.write) {
    const file = `${ROOT}docs/benchmarks.md`;
    const md = await readFile(file, 'utf8');
    const begin = '<!-- scale:begin -->';
    const end = '<!-- scale:end -->';
    const a = md.indexOf(begin);
    const b = md.indexOf(end);
    if (a < 0 || b < a) throw new Error(`docs/benchmarks.md has no ${begin} … ${end} block`);
    await writeFile(file, `${md.slice(0, a + begin.length)}\n${block}${md.slice(b)}`);
    console.error('wrote the scale table of docs/benchmarks.md');
  }
}

await main();
