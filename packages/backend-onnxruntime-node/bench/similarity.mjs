// Benchmark of the similarity phase (not a test). Build first: `npx tsc -b tsconfig.build.json`.
// Usage: node bench/similarity.mjs [items=7050] [reps=5] [backend options as JSON, e.g. '{"blockRows":512}']
// Env: OUTPUTS=synergistic|overlay|fused, MAX_BLOCKS=n (abort after n blocks: memory probes at large shapes),
//      BACKEND=cpu (time @vi-mmrec/backend-cpu instead, for the speed-up factor).
// Shape: Amazon-Baby (4096-d image + 384-d text), synthetic non-negative features (like CNN
// activations); outputs as augment requests them for synergistic + modality-mean: [0], [1], [0,1], k = 10.
import fs from 'node:fs';
import { onnxruntimeNodeBackend } from '../dist/index.js';

const maxBlocks = Number(process.env.MAX_BLOCKS ?? Infinity);

const numItems = Number(process.argv[2] ?? 7050);
const reps = Number(process.argv[3] ?? 5);
const extra = JSON.parse(process.argv[4] ?? '{}');
const outputsKind = process.env.OUTPUTS ?? 'synergistic';
const dims = [4096, 384];
let seed = 12345;
const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
const parts = dims.map((dim) => {
  const data = new Float32Array(numItems * dim);
  for (let i = 0; i < data.length; i++) data[i] = rand() < 0.5 ? 0 : rand();
  return { data, dim };
});
const outputs =
  outputsKind === 'overlay'
    ? [
        { parts: [0], k: 10 },
        { parts: [1], k: 10 },
      ]
    : outputsKind === 'fused'
      ? [{ parts: [0, 1], k: 10 }]
      : [
          { parts: [0], k: 10 },
          { parts: [1], k: 10 },
          { parts: [0, 1], k: 10 },
        ];
const hwm = () => Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
const base = process.memoryUsage().rss / 2 ** 20;
const backend =
  process.env.BACKEND === 'cpu' ? (await import('../../backend-cpu/dist/index.js')).cpuBackend(extra) : onnxruntimeNodeBackend(extra);
await backend.init();
const times = [];
const cpuTimes = [];
let blocks = 0;
for (let r = 0; r < reps; r++) {
  blocks = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const ac = new AbortController();
  const onProgress = () => {
    if (++blocks >= maxBlocks) ac.abort();
  };
  try {
    await backend.searchNeighbours({ numItems, parts, outputs }, { onProgress, signal: ac.signal });
  } catch (e) {
    if (!ac.signal.aborted) throw e;
  }
  times.push(performance.now() - t0);
  const c = process.cpuUsage(c0);
  cpuTimes.push((c.user + c.system) / 1000);
}
cpuTimes.sort((a, b) => a - b);
times.sort((a, b) => a - b);
const med = times[Math.floor(times.length / 2)];
const flops = 2 * numItems * numItems * dims.reduce((a, b) => a + b, 0);
console.log(
  JSON.stringify({
    items: numItems,
    outputs: outputsKind,
    options: extra,
    blocks,
    medianMs: Math.round(med),
    timesMs: times.map(Math.round),
    gflops: +(flops / med / 1e6).toFixed(1),
    // CPU time (all threads): less sensitive to a loaded machine than wall time.
    medianCpuMs: Math.round(cpuTimes[Math.floor(cpuTimes.length / 2)]),
    rssBaseMiB: Math.round(base),
    peakMiB: Math.round(hwm()),
    peakAboveBaseMiB: Math.round(hwm() - base),
  }),
);
await backend.dispose();
