// Speed of the injected-tfjs path (@tensorflow/tfjs + wasm backend) on a mid-size case.
// Run: npm run bench (builds dist first). Synthetic, seeded Gaussian features; prints medians.
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { tfjsNodeGpuBackend } from '../dist/index.js';

const require = createRequire(import.meta.url);
setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);

const n = Number(process.env.BENCH_ITEMS ?? 7050);
const reps = Number(process.env.BENCH_REPS ?? 5);

function gaussian(rows, dim, seed) {
  let s = seed >>> 0 || 1;
  const u = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
  const out = new Float32Array(rows * dim);
  for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u());
  return out;
}

const cases = [
  { name: `${n} x 384, one output k=10`, parts: [{ data: gaussian(n, 384, 1), dim: 384 }], outputs: [{ parts: [0], k: 10 }] },
  {
    name: `${n} x (384 + 384), outputs [0] [1] [0,1] k=10 (overlay + synergistic)`,
    parts: [
      { data: gaussian(n, 384, 2), dim: 384 },
      { data: gaussian(n, 384, 3), dim: 384 },
    ],
    outputs: [
      { parts: [0], k: 10 },
      { parts: [1], k: 10 },
      { parts: [0, 1], k: 10 },
    ],
  },
];

const backend = tfjsNodeGpuBackend({ tf, backendName: 'wasm' });
await backend.init();
console.log(`tfjs ${tf.version.tfjs}, backend ${tf.getBackend()}, node ${process.version}, ${reps} reps (median)`);
for (const c of cases) {
  const request = { numItems: n, parts: c.parts, outputs: c.outputs };
  await backend.searchNeighbours(request); // warm-up
  const times = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await backend.searchNeighbours(request);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const med = times[Math.floor(times.length / 2)];
  const flops = c.parts.reduce((acc, p) => acc + 2 * n * n * p.dim, 0);
  console.log(
    `${c.name}: median ${(med / 1000).toFixed(2)} s (min ${(times[0] / 1000).toFixed(2)}, max ${(times.at(-1) / 1000).toFixed(2)}), ` +
      `${(flops / med / 1e6).toFixed(1)} GFLOP/s effective, leaked tensors: ${tf.memory().numTensors}`,
  );
}
await backend.dispose();
