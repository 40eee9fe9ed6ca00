// Scale benchmark: one neighbour table (k = 10) over N synthetic clustered 384-d items, the
// approximate usearch backend beside the exact onnxruntime-node backend, to find the item
// count above which approximate search is faster (core's APPROXIMATE_CROSSOVER_ITEMS).
//
//   node tools/bench/scale.mjs [--sizes 10000,50000,100000] [--impls usearch,onnxruntime-node]
//        [--reps 3] [--queries 2000] [--max-exact 200000] [--write] [--from results.jsonl ...]
//
// Every measurement runs in a fresh child process (peak RSS = its maxRSS, read right after the
// search, before the recall check allocates anything). Implementations are interleaved rep by
// rep. Recall@10 of usearch: on `--queries` sampled items, against exact brute force over all
// N items (USearch's exact flat search, cross-checked against a float64 JavaScript loop on 50
// of those queries). --write replaces the table between the scale markers of docs/benchmarks.md.
// Each measurement is printed on stderr as one JSON line; --from builds the table from such
// lines saved earlier (e.g. from runs at different sizes) instead of measuring.
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIM = 384;
const K = 10;
const CLUSTERS = 1000;
const LATENT = 32;

/** splitmix32: small, seeded, good enough for synthetic data. */
function rng(seed) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  return { next, gauss };
}

/**
 * N × 384 clustered features: item = centre[c] + 0.6 · P z + 0.15 · e, with 1,000 Gaussian
 * centres, a per-item 32-d Gaussian latent z through a fixed random 384 × 32 projection P
 * (scaled to unit variance per coordinate), and isotropic noise e. Intrinsic dimension ≈ 32
 * per cluster, like real text/image embeddings; pure isotropic 384-d noise would make every
 * neighbour nearly equidistant, a case no index (and no recommender) meets in practice.
 */
function features(n, seed) {
  const r = rng(seed);
  const centres = new Float32Array(CLUSTERS * DIM).map(() => r.gauss());
  const proj = new Float32Array(DIM * LATENT).map(() => r.gauss() / Math.sqrt(LATENT));
  const x = new Float32Array(n * DIM);
  const z = new Float64Array(LATENT);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(r.next() * CLUSTERS);
    for (let l = 0; l < LATENT; l++) z[l] = r.gauss();
    for (let d = 0; d < DIM; d++) {
      let v = 0;
      for (let l = 0; l < LATENT; l++) v += proj[d * LATENT + l] * z[l];
      x[i * DIM + d] = centres[c * DIM + d] + 0.6 * v + 0.15 * r.gauss();
    }
  }
  return x;
}

/** `count` distinct sampled item ids (deterministic). */
function sample(n, count, seed) {
  const r = rng(seed);
  const ids = new Set();
  while (ids.size < Math.min(n, count)) ids.add(Math.floor(r.next() * n));
  return Int32Array.from([...ids].sort((a, b) => a - b));
}

async function child(impl, n, queries) {
  const data = features(n, 20261203);
  const featureBytes = data.byteLength;
  let backend;
  if (impl === 'usearch') {
    const m = await import(new URL('packages/backend-usearch/dist/index.js', `file://${ROOT}`).href);
    backend = m.usearchBackend();
  } else if (impl === 'onnxruntime-node') {
    const m = await import(new URL('packages/backend-onnxruntime-node/dist/index.js', `file://${ROOT}`).href);
    backend = m.onnxruntimeNodeBackend({ executionProviders: ['cpu'] });
  } else throw new Error(`unknown implementation ${impl}`);
  await backend.init();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const [table] = await backend.searchNeighbours({ numItems: n, parts: [{ data, dim: DIM }], outputs: [{ parts: [0], k: K }] });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const maxRSS = process.resourceUsage().maxRSS * 1024;
  await backend.dispose();
  const out = { impl, n, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRSS, featureBytes };
  if (impl === 'usearch' && queries > 0) Object.assign(out, await recall(data, n, table, queries));
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** Recall@10 of `table` on sampled queries against exact flat search over all items. */
async function recall(data, n, table, queries) {
  const { default: usearch } = await import('usearch');
  const q = sample(n, queries, 7);
  const unit = new Float32Array(data.length);
  for (let i = 0; i < n; i++) {
    let ss = 0;
    for (let d = 0; d < DIM; d++) ss += data[i * DIM + d] ** 2;
    const inv = 1 / Math.sqrt(ss);
    for (let d = 0; d < DIM; d++) unit[i * DIM + d] = data[i * DIM + d] * inv;
  }
  const qv = new Float32Array(q.length * DIM);
  q.forEach((i, r) => qv.set(unit.subarray(i * DIM, (i + 1) * DIM), r * DIM));
  const exact = usearch.exactSearch(unit, qv, DIM, K + 1, usearch.MetricKind.IP, 0);
  const truth = (r) => {
    const ids = [];
    for (let t = 0; t < Number(exact.counts[r]) && ids.length < K; t++) {
      const j = Number(exact.keys[r * (K + 1) + t]);
      if (j !== q[r]) ids.push(j);
    }
    return ids;
  };
  // Cross-check the exact search against float64 brute force on the first 50 queries.
  let crossMismatch = 0;
  for (let r = 0; r < Math.min(50, q.length); r++) {
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
    crossMismatch += truth(r).filter((j) => !want.has(j)).length;
  }
  let hits = 0;
  for (let r = 0; r < q.length; r++) {
    const got = new Set(table.indices.subarray(q[r] * K, (q[r] + 1) * K));
    hits += truth(r).filter((j) => got.has(j)).length;
  }
  return { recall: hits / (q.length * K), queries: q.length, crossMismatch };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Runs every (size, rep, implementation) in a fresh child process, interleaved; returns the results. */
function measure(opts) {
  const results = [];
  for (const n of opts.sizes) {
    for (let rep = 0; rep < opts.reps; rep++) {
      for (const impl of opts.impls) {
        if (impl !== 'usearch' && n > opts.maxExact) continue;
        // Recall is measured once per size (it is deterministic given the data and the build).
        const queries = impl === 'usearch' && rep === 0 ? opts.queries : 0;
        const res = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', impl, String(n), String(queries)], {
          encoding: 'utf8',
          maxBuffer: 1 << 20,
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        if (res.status !== 0) throw new Error(`${impl} at ${n}: exit ${res.status}`);
        const r = JSON.parse(res.stdout.trim().split('\n').pop());
        console.error(JSON.stringify(r));
        results.push(r);
      }
    }
  }
  return results;
}

/** Results saved earlier: the JSON lines of the given files (other lines are ignored). */
async function readResults(files) {
  const texts = await Promise.all(files.map(async (f) => readFile(f, 'utf8')));
  return texts.flatMap((t) =>
    t
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l)),
  );
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') return child(argv[1], Number(argv[2]), Number(argv[3]));
  const opts = {
    sizes: [10_000, 50_000, 100_000],
    impls: ['usearch', 'onnxruntime-node'],
    reps: 3,
    queries: 2000,
    maxExact: 200_000,
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
    else if (a === '--write') opts.write = true;
    else if (a === '--from') opts.from.push(argv[++i]);
    else {
      console.log(
        'usage: node tools/bench/scale.mjs [--sizes 10000,50000,100000] [--impls usearch,onnxruntime-node] [--reps 3] [--queries 2000] [--max-exact 200000] [--write] [--from results.jsonl ...]',
      );
      process.exit(a === '--help' ? 0 : 1);
    }
  }
  const loadBefore = os.loadavg();
  const started = new Date().toISOString();
  const results = opts.from.length > 0 ? await readResults(opts.from) : measure(opts);
  const rows = [];
  const sizes = [...new Set(results.map((r) => r.n))].sort((a, b) => a - b);
  for (const n of sizes) {
    for (const impl of opts.impls) {
      const rs = results.filter((r) => r.n === n && r.impl === impl);
      if (rs.length === 0) continue;
      const withRecall = rs.find((r) => r.recall !== undefined);
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
        recall: withRecall?.recall,
        queries: withRecall?.queries,
        crossMismatch: withRecall?.crossMismatch,
      });
    }
  }
  const loadAfter = os.loadavg();
  const gib = (b) => (b / 2 ** 30).toFixed(2);
  const mib = (b) => Math.round(b / 2 ** 20).toLocaleString('en-US');
  const lines = [
    '| items | implementation | reps | seconds (median, min–max) | items/s | CPU s | recall@10 (queries) | peak RSS beyond features | features |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.n.toLocaleString('en-US')} | ${r.impl} | ${r.reps} | ${r.seconds.toFixed(1)} (${r.min.toFixed(1)}–${r.max.toFixed(1)}) | ${Math.round(r.n / r.seconds).toLocaleString('en-US')} | ${r.cpuSeconds.toFixed(1)} | ${r.recall === undefined ? 'exact' : `${r.recall.toFixed(4)} (${r.queries}${r.crossMismatch ? `, cross-check mismatches ${r.crossMismatch}` : ''})`} | ${mib(r.rssBeyond)} MiB | ${mib(r.featureBytes)} MiB |`,
    ),
  ];
  const how =
    opts.from.length > 0
      ? `from saved measurements (${opts.from.length} file${opts.from.length > 1 ? 's' : ''})`
      : `--sizes ${opts.sizes.join(',')} --reps ${opts.reps}`;
  const load =
    opts.from.length > 0
      ? ''
      : ` Load average at start ${loadBefore.map((x) => x.toFixed(2)).join(' / ')}, at end ${loadAfter.map((x) => x.toFixed(2)).join(' / ')} (1/5/15 min).`;
  const head = `Generated by \`node tools/bench/scale.mjs\` (${how}) on ${started.slice(0, 10)} (Node ${process.version}, ${os.cpus().length} cores, ${gib(os.totalmem())} GiB).${load}`;
  const block = `${head}\n\n${lines.join('\n')}\n`;
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
