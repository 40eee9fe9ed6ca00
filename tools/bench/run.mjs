// Benchmark of `augment` at Amazon-shaped synthetic catalogues: `vi-mmrec augment` with our
// backends side by side with two Python peers of the same computation, a blocked float32
// NumPy one and faiss `IndexFlatIP` exact search. `npm run bench` (see --help).
//
// Every measurement runs in a fresh child process (peak RSS = that process's maxRSS; process
// seconds = the child's wall time, start-up included); the implementations are interleaved
// rep by rep so that machine noise hits them alike. The Python peers run with
// OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from their environment (here only: never in
// tests or CI), so OpenBLAS uses the kernel it picks for this CPU, which each sample records.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BACKENDS } from './backends.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HERE = fileURLToPath(new URL('./', import.meta.url));

const SHAPES = {
  // Amazon Baby / Clothing as used by MMRec: items, users, interactions (all splits).
  baby: { numItems: 7050, numUsers: 19445, interactions: 160792 },
  clothing: { numItems: 23033, numUsers: 39387, interactions: 278677 },
};
const MODALITIES = [
  { name: 'image', dim: 4096 },
  { name: 'text', dim: 384 },
];
// 14 % valid + 14 % test of each user's non-first interactions: Baby gets ~121k training pairs.
const SPLIT = { validFraction: 0.14, testFraction: 0.14 };
const SEED = 20260101;

function parseArgs(argv) {
  const opts = {
    shapes: ['baby', 'clothing'],
    strategies: ['overlay', 'synergistic'],
    backends: BACKENDS.filter((b) => !b.optIn).map((b) => b.name),
    reps: undefined,
    numpy: true,
    faiss: true,
    numpyPython: 'python3',
    faissPython: '/usr/bin/python3',
    k: 10,
    lambda: 0.5,
    write: true,
    dataDir: path.join(os.tmpdir(), 'vi-mmrec-bench'),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--shapes') opts.shapes = next().split(',');
    else if (a === '--strategies') opts.strategies = next().split(',');
    else if (a === '--backends') opts.backends = next().split(',');
    else if (a === '--reps') {
      // N for every shape, or per shape: baby:5,clothing:1
      const v = next();
      opts.reps = /^\d+$/.test(v)
        ? Number(v)
        : Object.fromEntries(
            v
              .split(',')
              .map((x) => x.split(':'))
              .map(([k, n]) => [k, Number(n)]),
          );
    } else if (a === '--no-numpy') opts.numpy = false;
    else if (a === '--no-faiss') opts.faiss = false;
    else if (a === '--numpy-python') opts.numpyPython = next();
    else if (a === '--faiss-python') opts.faissPython = next();
    else if (a === '--no-write') opts.write = false;
    else if (a === '--at') {
      // Only these implementations at that shape, e.g. --at clothing=onnxruntime-node,faiss
      const [shape, list] = next().split('=');
      opts.at = { ...opts.at, [shape]: list.split(',') };
    } else if (a === '--k') opts.k = Number(next());
    else if (a === '--lambda') opts.lambda = Number(next());
    else if (a === '--data-dir') opts.dataDir = next();
    else {
      console.log(`usage: node tools/bench/run.mjs [--shapes baby,clothing] [--strategies overlay,synergistic]
  [--backends ${BACKENDS.map((b) => b.name).join(',')}] [--reps N | --reps baby:N,clothing:M] [--no-numpy] [--no-faiss]
  [--numpy-python python3] [--faiss-python /usr/bin/python3] [--at SHAPE=IMPL,IMPL] [--no-write] [--k 10] [--lambda 0.5] [--data-dir DIR]
Default reps: 5 for Baby, 3 for Clothing. Writes docs/benchmarks.md unless --no-write.`);
      process.exit(a === '--help' ? 0 : 1);
    }
  }
  return opts;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * FLOPs of the similarity products: full = 2·I²·Σd; the cpu backend computes the upper-triangle
 * tiles only; onnxruntime-node runs each row block against the column chunks from its own on.
 */
function similarityFlops(kind, numItems, dims, chunkColumns) {
  const sumD = dims.reduce((a, b) => a + b, 0);
  if (kind === 'chunk-triangle') {
    const C = chunkColumns(numItems, sumD, 64 * 2 ** 20); // the backend's default maxChunkBytes
    let pairs = 0;
    for (let c0 = 0; c0 < numItems; c0 += C) pairs += (Math.min(numItems, c0 + C) - c0) * (numItems - c0);
    return 2 * pairs * sumD;
  }
  if (kind !== 'symmetric') return 2 * numItems * numItems * sumD;
  const W = 24;
  const B = Math.ceil(256 / W) * W; // cpuBackend's default blockRows, rounded to the panel width
  const nb = Math.ceil(numItems / B);
  const padded = (b) => Math.ceil((Math.min(numItems, (b + 1) * B) - b * B) / W) * W;
  let pairs = 0;
  for (let rb = 0; rb < nb; rb++) for (let cb = rb; cb < nb; cb++) pairs += padded(rb) * padded(cb);
  return 2 * pairs * sumD;
}

async function ensureDataset(opts, shape) {
  const dir = path.join(opts.dataDir, `${shape}-s${SEED}`);
  const marker = path.join(dir, '.complete');
  const spec = JSON.stringify({ ...SHAPES[shape], MODALITIES, SPLIT, SEED });
  if (existsSync(marker) && (await readFile(marker, 'utf8')) === spec) return dir;
  const { synthesizeDataset, writeDataset } = await import(new URL('packages/io/dist/index.js', `file://${ROOT}`).href);
  const t = performance.now();
  const dataset = synthesizeDataset({ ...SHAPES[shape], modalities: MODALITIES, seed: SEED, name: shape, ...SPLIT });
  await mkdir(dir, { recursive: true });
  await writeDataset(dir, dataset);
  await writeFile(marker, spec);
  console.error(
    `generated ${shape} in ${dir} (${((performance.now() - t) / 1000).toFixed(1)} s; ${dataset.train.users.length} training pairs)`,
  );
  return dir;
}

/** The environment of the Python peers: without the variables that pin OpenBLAS's kernel. */
function peerEnv() {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

/** Runs a child; returns its last stdout line as JSON plus `process`, its wall seconds. */
function runChild(cmd, args, env = process.env) {
  const t = performance.now();
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 24, env });
  const seconds = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  const line = r.stdout.trim().split('\n').at(-1);
  return { ...JSON.parse(line), process: seconds };
}

/** Whether `python` can import `module`. */
function canImport(python, module) {
  return spawnSync(python, ['-c', `import ${module}`], { env: peerEnv() }).status === 0;
}

/** "SkylakeX (OpenBLAS 0.3.31…, 2 threads)" from a peer's `blas` record. */
function kernel(blas) {
  if (blas === undefined || blas.length === 0) return 'unknown BLAS';
  return blas
    .map(
      (b) =>
        `${b.architecture ?? '?'} (${(b.version ?? b.internal_api ?? '').split(/\s+/).slice(0, 2).join(' ')}, ${b.num_threads} threads)`,
    )
    .join(' + ');
}

function machine() {
  const lscpu = spawnSync('lscpu', [], { encoding: 'utf8' }).stdout ?? '';
  const model = /Model name:\s*(.+)/.exec(lscpu)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  const flags = /Flags:\s*(.+)/.exec(lscpu)?.[1] ?? '';
  return {
    model,
    cores: os.availableParallelism(),
    avx512: flags.includes('avx512f'),
    memGiB: (os.totalmem() / 2 ** 30).toFixed(0),
    node: process.version,
    v8: process.versions.v8,
  };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  console.error('building (tsc -b)…');
  const build = spawnSync('npx', ['--no-install', 'tsc', '-b'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0)
    console.error(`warning: tsc -b reported errors; using the dist folders as they are:\n${build.stdout.slice(0, 2000)}`);
  const backends = opts.backends.map((name) => {
    const b = BACKENDS.find((x) => x.name === name);
    if (b === undefined) throw new Error(`unknown backend '${name}' (known: ${BACKENDS.map((x) => x.name).join(', ')})`);
    return b;
  });
  const available = backends.filter((b) => {
    const ok = existsSync(path.join(ROOT, b.module));
    if (!ok) console.error(`skipping backend '${b.name}': ${b.module} is not built`);
    return ok;
  });

  const mach = machine();
  const loadBefore = os.loadavg();
  const started = new Date();
  const { chunkColumns } = await import(new URL('packages/backend-onnxruntime-node/dist/chunked-search.js', `file://${ROOT}`).href);
  const pythons = [];
  if (opts.numpy) pythons.push({ label: 'numpy', python: opts.numpyPython, search: 'numpy' });
  if (opts.faiss) {
    if (canImport(opts.faissPython, 'faiss')) pythons.push({ label: 'faiss', python: opts.faissPython, search: 'faiss' });
    else console.error(`skipping the faiss peer: ${opts.faissPython} cannot import faiss (Debian: apt-get install python3-faiss)`);
  }
  // The GEMM peak, measured the same way as the peers (same interpreters, same environment).
  const peaks = pythons
    .filter((p, i) => pythons.findIndex((q) => q.python === p.python) === i)
    .map((p) => {
      console.error(`measuring the float32 GEMM peak (${p.python})…`);
      const r = runChild(p.python, [path.join(HERE, 'python_peer.py'), 'gemm-peak'], peerEnv());
      console.error(`  ${r.gflops.toFixed(1)} GFLOP/s (NumPy ${r.numpy}, ${kernel(r.blas)})`);
      return r;
    });
  const peak = peaks.length > 0 ? peaks.reduce((a, b) => (b.gflops > a.gflops ? b : a)) : undefined;
  const outDir = path.join(opts.dataDir, 'out');

  const rows = [];
  for (const shape of opts.shapes) {
    const dir = await ensureDataset(opts, shape);
    const reps = (typeof opts.reps === 'object' ? opts.reps[shape] : opts.reps) ?? (shape === 'baby' ? 5 : 3);
    for (const strategy of opts.strategies) {
      const impls = [
        ...available.map((b) => ({
          label: b.name,
          flopsKind: b.flops,
          maxReps: b.maxReps?.[shape] ?? Infinity,
          run: () => runChild('node', [path.join(HERE, 'measure.mjs'), dir, strategy, b.name, String(opts.k), String(opts.lambda), outDir]),
        })),
        ...pythons.map((p) => ({
          label: p.label,
          flopsKind: 'full',
          run: () =>
            runChild(
              p.python,
              [path.join(HERE, 'python_peer.py'), 'augment', dir, strategy, String(opts.k), String(opts.lambda), p.search],
              peerEnv(),
            ),
        })),
      ];
      if (opts.at?.[shape] !== undefined) impls.splice(0, impls.length, ...impls.filter((i) => opts.at[shape].includes(i.label)));
      const samples = new Map(impls.map((i) => [i.label, []]));
      for (let r = 0; r < reps; r++) {
        for (const impl of impls) {
          if (r >= (impl.maxReps ?? Infinity)) continue;
          const s = impl.run();
          s.load = os.loadavg()[0];
          samples.get(impl.label).push(s);
          console.error(
            `${shape} ${strategy} ${impl.label} rep ${r + 1}/${Math.min(reps, impl.maxReps ?? Infinity)}: process ${s.process.toFixed(2)} s, similarity ${s.similarity.toFixed(2)} s, maxRSS ${(s.maxRSS / 2 ** 20).toFixed(0)} MiB, load ${s.load.toFixed(1)}`,
          );
        }
      }
      const med = (label, key) => {
        const ss = samples.get(label);
        return ss && ss.every((x) => x[key] !== undefined) ? median(ss.map((x) => x[key])) : undefined;
      };
      const faissProcess = med('faiss', 'process');
      const faissSearch = med('faiss', 'search');
      const info = samples.get(impls[0].label)[0];
      const numItems = info.numItems ?? SHAPES[shape].numItems;
      const dims = info.dims ?? MODALITIES.map((m) => m.dim);
      for (const impl of impls) {
        const ss = samples.get(impl.label);
        const sim = med(impl.label, 'similarity');
        const flops = similarityFlops(impl.flopsKind, numItems, dims, chunkColumns);
        const gflops = flops / (med(impl.label, 'search') ?? sim) / 1e9;
        rows.push({
          shape,
          strategy,
          impl: impl.label,
          blas: ss[0].blas === undefined ? undefined : kernel(ss[0].blas),
          reps: ss.length,
          process: med(impl.label, 'process'),
          processMin: Math.min(...ss.map((x) => x.process)),
          processMax: Math.max(...ss.map((x) => x.process)),
          read: med(impl.label, 'read'),
          sim,
          search: med(impl.label, 'search'),
          virtual: med(impl.label, 'virtual'),
          write: med(impl.label, 'write'),
          cpuSeconds: med(impl.label, 'cpuSeconds'),
          gflops,
          pctPeak: peak ? (100 * gflops) / peak.gflops : undefined,
          rssBeyond: Math.max(...ss.map((x) => x.maxRSS - x.featureBytes)),
          processRatio: faissProcess ? med(impl.label, 'process') / faissProcess : undefined,
          simRatio: faissSearch ? sim / faissSearch : undefined,
          load: median(ss.map((x) => x.load)),
          entries: ss[0].entries,
          train: info.train,
        });
      }
    }
  }
  const loadAfter = os.loadavg();
  const table = markdownTable(rows);
  console.log(table);
  if (opts.write) {
    // The hand-written "## Analysis" section of the previous report is kept (update it by hand).
    const out = path.join(ROOT, 'docs/benchmarks.md');
    const previous = existsSync(out) ? await readFile(out, 'utf8') : '';
    const at = previous.indexOf('\n## Analysis');
    const analysis = at >= 0 ? previous.slice(at) : '\n## Analysis\n\n(to be written after a run)\n';
    const md = report({ mach, peaks, peak, rows, table, opts, started, loadBefore, loadAfter }) + analysis;
    await writeFile(out, md);
    console.error('wrote docs/benchmarks.md');
  }
}

const f = (x, d = 2) => (x === undefined ? '–' : x.toFixed(d));

function markdownTable(rows) {
  const head =
    '| shape | strategy | implementation | BLAS kernel | reps | process s (median, min–max) | × faiss process | read s | similarity s | × faiss search | search s | R̄ s | write s | CPU s | GFLOP/s computed | % of GEMM peak | peak RSS beyond features | load (1 min) |\n' +
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|';
  const body = rows.map(
    (r) =>
      `| ${r.shape} | ${r.strategy} | ${r.impl} | ${r.blas ?? '– (MLAS / own kernel)'} | ${r.reps} | ${f(r.process)} (${f(r.processMin)}–${f(r.processMax)}) | ${f(r.processRatio)} | ${f(r.read)} | ${f(r.sim)} | ${f(r.simRatio)} | ${f(r.search)} | ${f(r.virtual)} | ${f(r.write)} | ${f(r.cpuSeconds, 1)} | ${f(r.gflops, 1)} | ${f(r.pctPeak, 1)} % | ${(r.rssBeyond / 2 ** 20).toFixed(0)} MiB | ${f(r.load, 1)} |`,
  );
  return [head, ...body].join('\n');
}

function report({ mach, peaks, peak, rows, table, opts, started, loadBefore, loadAfter }) {
  const sh = (cmd, args) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  };
  const commit = sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']);
  const peakLines = peaks.map((p) => `${f(p.gflops, 1)} GFLOP/s with ${p.python} (NumPy ${p.numpy}, ${kernel(p.blas)})`).join('; ');
  const provisional = Math.max(loadBefore[0], loadAfter[0], ...rows.map((r) => r.load ?? 0)) > mach.cores;
  return `# Benchmarks

Generated by \`npm run bench\` (tools/bench/run.mjs) on ${started.toISOString().slice(0, 10)}, commit ${commit}.
Do not edit the table by hand: re-run the benchmark.
${provisional ? `\n**Provisional: the 1-minute load average exceeded the ${mach.cores} cores during this run (column "load"); wall times are inflated and noisy. Compare ratios of interleaved runs and CPU seconds, and re-run on a quiet machine.**\n` : ''}
## Setup
- Machine: ${mach.model}, ${mach.cores} cores${mach.avx512 ? ' (AVX-512)' : ''}, ${mach.memGiB} GiB; Node ${mach.node} (V8 ${mach.v8}).
- Float32 GEMM peak, measured in the same run by the peers' own interpreters and environment (best of 2048×4096·4096×7050 and 4096³): ${peakLines || '–'}. **Peak used below: ${f(peak?.gflops, 1)} GFLOP/s.**
- Peers run with \`OPENBLAS_CORETYPE\` and \`OPENBLAS_L2_SIZE\` removed from their environment (in this command only), so OpenBLAS picks its kernel for this CPU; the column "BLAS kernel" records the kernel each peer reported (\`openblas_get_corename\`, as threadpoolctl reads it). Figures before ${'2026-12-03'} were measured with \`OPENBLAS_CORETYPE=Haswell\` inherited from the environment, which halves NumPy on these AVX-512 cores: they compared against a handicapped peer.
- Data: synthetic catalogues from \`synthesizeDataset\` (@vi-mmrec/io), written as MMRec folders (float32 .npy): Baby shape (7,050 items, 19,445 users, 160,792 interactions, ${rows.find((r) => r.shape === 'baby')?.train ?? '–'} training pairs) and Clothing shape (23,033 items, 39,387 users, 278,677 interactions, ${rows.find((r) => r.shape === 'clothing')?.train ?? '–'} training pairs); modalities image 4,096-d and text 384-d.
- k = ${opts.k}, λ = ${opts.lambda}, oAvg = modality-mean (so synergistic also needs the per-modality tables: 3 neighbour tables from the same products). Every rep in a fresh process, implementations interleaved; medians of the reps.
- Our backends: \`vi-mmrec augment DIR --backend NAME --out … --summary …\` (tools/bench/measure.mjs runs the CLI's \`main\` in a fresh Node process). **Process s** = the child process's wall time, start-up included. The phases are the summary's \`run.seconds\`, the same intervals the progress lines and the report print: **read** (dataset folder), **similarity** (neighbour search with the backend's own set-up — onnxruntime sessions, WebAssembly packing — and the normalisation), **R̄** (virtual interactions, overlaps, weights, R̄), **write** (the enriched matrix TSV, 9 significant digits, atomic).
- Peers (tools/bench/python_peer.py): the same computation from the same folder; **numpy** = blocked float32 NumPy (2048-row blocks, sgemm, argpartition top-k), **faiss** = faiss \`IndexFlatIP\` exact search (one index per output over the valid normalised rows; the fused output indexes the parts side by side), both followed by SciPy sparse for the virtual matrices, overlaps, weights and R̄. Their **similarity** = normalisation + search, **search** = the search alone; they do not write R̄ (their process time is therefore a lower bound for the same work). "× faiss process" divides process seconds by faiss's; "× faiss search" divides the similarity phase by faiss's search alone.
- FLOPs computed: numpy and faiss compute all of S (2·I²·Σd per pass); the cpu backend the upper-triangle tiles (padded to its 24-item panels); onnxruntime-node each row block against the column chunks from its own on (about (n+1)/2n of S for n chunks). "GFLOP/s computed" = those FLOPs / search time (peers) or / similarity phase (ours, set-up included); "% of GEMM peak" relative to the peak above.
- CPU s = user + system seconds of all threads of the whole process (ours) or of the computation after loading (peers).
- Peak RSS beyond features = the child's maxRSS minus the bytes of the float32 feature arrays (max over reps); it includes the Node/Python runtime (~50 MB) and the interactions.
- Load: the machine is shared (2 vCPUs). Load average at start ${loadBefore.map((x) => x.toFixed(2)).join(' / ')}, at end ${loadAfter.map((x) => x.toFixed(2)).join(' / ')} (1/5/15 min); the column "load" is the median 1-minute load average right after each rep.

## Results
${table}
`;
}

await main();
