// Benchmark of `augment` at Amazon-shaped synthetic catalogues, our backends side by side with
// a blocked float32 NumPy peer of the same computation. `npm run bench` (see --help).
//
// Every measurement runs in a fresh child process (peak RSS = that process's maxRSS); the
// implementations are interleaved rep by rep so that machine noise hits them alike.
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
    else if (a === '--reps') opts.reps = Number(next());
    else if (a === '--no-numpy') opts.numpy = false;
    else if (a === '--no-write') opts.write = false;
    else if (a === '--k') opts.k = Number(next());
    else if (a === '--lambda') opts.lambda = Number(next());
    else if (a === '--data-dir') opts.dataDir = next();
    else {
      console.log(`usage: node tools/bench/run.mjs [--shapes baby,clothing] [--strategies overlay,synergistic]
  [--backends ${BACKENDS.map((b) => b.name).join(',')}] [--reps N] [--no-numpy] [--no-write] [--k 10] [--lambda 0.5] [--data-dir DIR]
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

/** FLOPs of the similarity products: full = 2·I²·Σd; the cpu backend computes the upper-triangle tiles only. */
function similarityFlops(kind, numItems, dims) {
  const sumD = dims.reduce((a, b) => a + b, 0);
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
  console.error(`generated ${shape} in ${dir} (${((performance.now() - t) / 1000).toFixed(1)} s; ${dataset.train.users.length} training pairs)`);
  return dir;
}

function runChild(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  const line = r.stdout.trim().split('\n').at(-1);
  return JSON.parse(line);
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
  if (build.status !== 0) console.error(`warning: tsc -b reported errors; using the dist folders as they are:\n${build.stdout.slice(0, 2000)}`);
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
  let peak;
  if (opts.numpy) {
    console.error('measuring the float32 GEMM peak (NumPy)…');
    peak = runChild('python3', [path.join(HERE, 'numpy_peer.py'), 'gemm-peak']);
    console.error(`  ${peak.gflops.toFixed(1)} GFLOP/s (NumPy ${peak.numpy}, SciPy ${peak.scipy})`);
  }

  const rows = [];
  for (const shape of opts.shapes) {
    const dir = await ensureDataset(opts, shape);
    const reps = opts.reps ?? (shape === 'baby' ? 5 : 3);
    for (const strategy of opts.strategies) {
      const impls = [
        ...available.map((b) => ({ label: b.name, flopsKind: b.flops, maxReps: b.maxReps?.[shape] ?? Infinity, run: () => runChild('node', [path.join(HERE, 'measure.mjs'), dir, strategy, b.name, String(opts.k), String(opts.lambda)]) })),
        ...(opts.numpy
          ? [{ label: 'numpy', flopsKind: 'full', run: () => runChild('python3', [path.join(HERE, 'numpy_peer.py'), 'augment', dir, strategy, String(opts.k), String(opts.lambda)]) }]
          : []),
      ];
      const samples = new Map(impls.map((i) => [i.label, []]));
      for (let r = 0; r < reps; r++) {
        for (const impl of impls) {
          if (r >= (impl.maxReps ?? Infinity)) continue;
          const s = impl.run();
          samples.get(impl.label).push(s);
          console.error(`${shape} ${strategy} ${impl.label} rep ${r + 1}/${Math.min(reps, impl.maxReps ?? Infinity)}: total ${s.total.toFixed(2)} s, similarity ${s.similarity.toFixed(2)} s, maxRSS ${(s.maxRSS / 2 ** 20).toFixed(0)} MiB`);
        }
      }
      const ref = samples.get('numpy');
      const npTotal = ref ? median(ref.map((s) => s.total)) : undefined;
      const info = samples.get(impls[0].label)[0];
      const numItems = info.numItems ?? SHAPES[shape].numItems;
      const dims = info.dims ?? MODALITIES.map((m) => m.dim);
      for (const impl of impls) {
        const ss = samples.get(impl.label);
        const total = median(ss.map((s) => s.total));
        const sim = median(ss.map((s) => s.similarity));
        const cpuSeconds = ss.every((s) => s.cpuSeconds !== undefined) ? median(ss.map((s) => s.cpuSeconds)) : undefined;
        const flops = similarityFlops(impl.flopsKind, numItems, dims);
        const gflops = flops / sim / 1e9;
        rows.push({
          shape,
          strategy,
          impl: impl.label,
          reps: ss.length,
          total,
          totalMin: Math.min(...ss.map((s) => s.total)),
          totalMax: Math.max(...ss.map((s) => s.total)),
          sim,
          cpuSeconds,
          flops,
          gflops,
          fullGflops: similarityFlops('full', numItems, dims) / sim / 1e9,
          pctPeak: peak ? (100 * gflops) / peak.gflops : undefined,
          floor: peak ? flops / (peak.gflops * 1e9) : undefined,
          rssBeyond: Math.max(...ss.map((s) => s.maxRSS - s.featureBytes)),
          ratio: npTotal ? total / npTotal : undefined,
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
    const md = report({ mach, peak, rows, table, opts, started, loadBefore, loadAfter }) + analysis;
    await writeFile(out, md);
    console.error('wrote docs/benchmarks.md');
  }
}

const f = (x, d = 2) => (x === undefined ? '–' : x.toFixed(d));

function markdownTable(rows) {
  const head =
    '| shape | strategy | implementation | reps | augment s (median, min–max) | × NumPy | CPU s (all threads) | similarity s | GFLOP/s computed | GFLOP/s full-equivalent | % of GEMM peak | FLOP floor s | peak RSS beyond features |\n' +
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|';
  const body = rows.map(
    (r) =>
      `| ${r.shape} | ${r.strategy} | ${r.impl} | ${r.reps} | ${f(r.total)} (${f(r.totalMin)}–${f(r.totalMax)}) | ${r.impl === 'numpy' ? '1' : f(r.ratio)} | ${f(r.cpuSeconds, 1)} | ${f(r.sim)} | ${f(r.gflops, 1)} | ${f(r.fullGflops, 1)} | ${f(r.pctPeak, 1)} % | ${f(r.floor)} | ${(r.rssBeyond / 2 ** 20).toFixed(0)} MiB |`,
  );
  return [head, ...body].join('\n');
}

function report({ mach, peak, rows, table, opts, started, loadBefore, loadAfter }) {
  const sh = (cmd, args) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  };
  const commit = sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']);
  return `# Benchmarks

Generated by \`npm run bench\` (tools/bench/run.mjs) on ${started.toISOString().slice(0, 10)}, commit ${commit}.
Do not edit the table by hand: re-run the benchmark.

## Setup
- Machine: ${mach.model}, ${mach.cores} cores${mach.avx512 ? ' (AVX-512)' : ''}, ${mach.memGiB} GiB; Node ${mach.node} (V8 ${mach.v8}); NumPy ${peak?.numpy ?? '–'} (OpenBLAS), SciPy ${peak?.scipy ?? '–'}.
- Float32 GEMM peak of this machine, measured in the same run with NumPy (best of 2048×4096·4096×7050 and 4096³): **${f(peak?.gflops, 1)} GFLOP/s**.
- Data: synthetic catalogues from \`synthesizeDataset\` (@vi-mmrec/io), written as MMRec folders (float32 .npy) and read with \`readDataset\`: Baby shape (7,050 items, 19,445 users, 160,792 interactions, ${rows.find((r) => r.shape === 'baby')?.train ?? '–'} training pairs) and Clothing shape (23,033 items, 39,387 users, 278,677 interactions, ${rows.find((r) => r.shape === 'clothing')?.train ?? '–'} training pairs); modalities image 4,096-d and text 384-d.
- \`augment\` with k = ${opts.k}, λ = ${opts.lambda}, oAvg = modality-mean (so synergistic also needs the per-modality tables: 3 neighbour tables from the same products). Times are wall seconds of \`augment\` alone (data generation and loading excluded), medians of the reps shown; every rep in a fresh process, implementations interleaved.
- NumPy peer (tools/bench/numpy_peer.py): the same computation in blocked float32 NumPy (2048-row blocks, sgemm, argpartition top-k, sort of the kept k by score then id) and SciPy sparse for the virtual matrices, overlaps, weights and R̄.
- FLOPs: full = 2·I²·Σd per pass; the cpu backend exploits the symmetry of S and computes only the upper-triangle tiles (padded to its 24-item panels), about half. "GFLOP/s computed" counts what each implementation actually computes; "full-equivalent" divides the full count by the same time. "% of GEMM peak" = computed GFLOP/s / NumPy's GEMM peak; "FLOP floor" = computed FLOPs at that peak.
- CPU s = user + system seconds of all the process's threads during \`augment\` (median): on a busy machine it shows the work done better than wall time does.
- Peak RSS beyond features = the child process's maxRSS minus the bytes of the loaded feature arrays (max over reps). It includes the Node/Python runtime itself (~50 MB) and the loaded interactions.
- Noise: the machine is shared (2 vCPUs, other engineers' builds and tests ran concurrently). Load average at start ${loadBefore.map((x) => x.toFixed(2)).join(' / ')}, at end ${loadAfter.map((x) => x.toFixed(2)).join(' / ')} (1/5/15 min). The min–max spread is shown per cell.

## Results
${table}
`;
}

await main();
