// The synthetic catalogue of the scale benchmarks (tools/bench/scale.mjs, e2e-scale.mjs):
// N × 384 clustered float32 features, generated once per N and cached as raw float32 in
// $VI_MMREC_SCALE_CACHE (default <tmpdir>/vi-mmrec-scale), so every run reads the same bytes.
import { existsSync, mkdirSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const DIM = 384;
const CLUSTERS = 1000;
const LATENT = 32;
export const SEED = 20261203;

/** splitmix32: small, seeded, good enough for synthetic data. */
export function rng(seed) {
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

const cacheDir = () => process.env.VI_MMREC_SCALE_CACHE ?? path.join(os.tmpdir(), 'vi-mmrec-scale');

/** The cache file of N items' features (raw float32, row-major N × DIM). */
export const featureFile = (n) => path.join(cacheDir(), `${n}-${DIM}-${SEED}.f32`);

/** Writes N items' features to their cache file unless it exists; returns its path. */
export async function ensureFeatures(n) {
  const file = featureFile(n);
  if (!existsSync(file)) {
    mkdirSync(cacheDir(), { recursive: true });
    const x = features(n, SEED);
    await writeFile(`${file}.tmp`, new Uint8Array(x.buffer));
    await rename(`${file}.tmp`, file);
  }
  return file;
}
