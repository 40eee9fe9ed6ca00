import { InvalidArgumentError, type DenseModality } from '@vi-mmrec/core';
import type { Dataset } from './dataset.js';

/** Options of {@link synthesizeDataset}. */
export interface SyntheticOptions {
  /** Number of users (≥ 1). */
  readonly numUsers: number;
  /** Number of items (≥ 1). */
  readonly numItems: number;
  /** Distinct (user, item) pairs over all splits; at least `numUsers` (every user gets one), at most `numUsers × numItems`. */
  readonly interactions: number;
  /** Dense modalities to generate, each with its feature dimension. */
  readonly modalities: ReadonlyArray<{ readonly name: string; readonly dim: number }>;
  /** Seed of the pseudo-random generator (default 1); the same seed gives the same dataset. */
  readonly seed?: number;
  /** Number of latent item clusters (default `max(2, round(√numItems / 2))`, at most `numItems`). */
  readonly clusters?: number;
  /** Probability that a user's non-first interaction is labelled valid (default 0.1). */
  readonly validFraction?: number;
  /** Probability that a user's non-first interaction is labelled test (default 0.1). */
  readonly testFraction?: number;
  /** Dataset name (default `'synthetic'`); `writeDataset` names the `.inter` file after it. */
  readonly name?: string;
}

/** mulberry32: a small, fast, seedable 32-bit generator; returns floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(rand: () => number): () => number {
  return () => {
    const u = 1 - rand();
    const v = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

function checkInt(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new InvalidArgumentError(name, `${name} must be an integer ≥ ${min}, got ${value}.`);
  }
}

/**
 * Generates a small multimodal dataset with latent structure, deterministically for a seed.
 * Items belong to latent clusters; each modality's feature row is the cluster's centroid in
 * that modality plus Gaussian noise (so items of one cluster are similar in every modality).
 * Each user prefers one to three clusters (one of them mainly) and takes about 80 % of their items from them
 * (popular items more often), so similar items are co-consumed. Every user gets at least one
 * interaction; each user's first interaction is training (x_label 0), the others are valid
 * or test with the given probabilities. Throws `InvalidArgumentError` on invalid options.
 */
export function synthesizeDataset(options: SyntheticOptions): Dataset {
  const { numUsers, numItems, interactions } = options;
  checkInt('numUsers', numUsers, 1);
  checkInt('numItems', numItems, 1);
  checkInt('interactions', interactions, numUsers);
  if (interactions > numUsers * numItems) {
    throw new InvalidArgumentError(
      'interactions',
      `interactions must be at most numUsers × numItems = ${numUsers * numItems}, got ${interactions}.`,
    );
  }
  if (options.modalities.length === 0) throw new InvalidArgumentError('modalities', 'at least one modality is required.');
  const names = new Set<string>();
  for (const m of options.modalities) {
    if (!/^[A-Za-z0-9][\w.-]*$/.test(m.name) || names.has(m.name)) {
      throw new InvalidArgumentError('modalities', `modality name '${m.name}' must be unique and made of letters, digits, '_', '.', '-'.`);
    }
    names.add(m.name);
    checkInt(`modalities.${m.name}.dim`, m.dim, 1);
  }
  const clusters = options.clusters ?? Math.min(numItems, Math.max(2, Math.round(Math.sqrt(numItems) / 2)));
  checkInt('clusters', clusters, 1);
  if (clusters > numItems) throw new InvalidArgumentError('clusters', `clusters must be at most numItems (${numItems}), got ${clusters}.`);
  const validFraction = options.validFraction ?? 0.1;
  const testFraction = options.testFraction ?? 0.1;
  if (!(validFraction >= 0 && testFraction >= 0 && validFraction + testFraction <= 1)) {
    throw new InvalidArgumentError('validFraction', 'validFraction and testFraction must be ≥ 0 with a sum ≤ 1.');
  }
  const rand = mulberry32(options.seed ?? 1);
  const normal = gaussian(rand);

  // Items: cluster i % clusters for the first `clusters` items (none empty), random after.
  const itemCluster = new Int32Array(numItems);
  for (let i = 0; i < numItems; i++) itemCluster[i] = i < clusters ? i : Math.floor(rand() * clusters);
  for (let i = numItems - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = itemCluster[i]!;
    itemCluster[i] = itemCluster[j]!;
    itemCluster[j] = t;
  }
  const members: number[][] = Array.from({ length: clusters }, () => []);
  for (let i = 0; i < numItems; i++) members[itemCluster[i]!]!.push(i);

  // Features: centroid + noise, per modality.
  const modalities: DenseModality[] = options.modalities.map(({ name, dim }) => {
    const centroids = new Float64Array(clusters * dim);
    for (let p = 0; p < centroids.length; p++) centroids[p] = normal();
    const features = new Float32Array(numItems * dim);
    for (let i = 0; i < numItems; i++) {
      const c = itemCluster[i]!;
      for (let d = 0; d < dim; d++) features[i * dim + d] = centroids[c * dim + d]! + 0.8 * normal();
    }
    return { kind: 'dense', name, features, dim };
  });

  // Degrees: one interaction each, the rest in proportion to a log-normal activity.
  const degree = new Int32Array(numUsers).fill(1);
  const activity = new Float64Array(numUsers);
  let sum = 0;
  for (let u = 0; u < numUsers; u++) sum += activity[u] = Math.exp(normal());
  let left = interactions - numUsers;
  const extra = left;
  for (let u = 0; u < numUsers && left > 0; u++) {
    const add = Math.min(left, numItems - 1, Math.floor((extra * activity[u]!) / sum));
    degree[u]! += add;
    left -= add;
  }
  for (let u = Math.floor(rand() * numUsers), guard = 0; left > 0 && guard < 2 * numUsers; u = (u + 1) % numUsers, guard++) {
    const add = Math.min(left, numItems - degree[u]!, guard < numUsers ? 1 : numItems);
    degree[u]! += add;
    left -= add;
  }

  const users = new Int32Array(interactions);
  const items = new Int32Array(interactions);
  const labels = new Uint8Array(interactions);
  const taken = new Int32Array(numItems).fill(-1);
  let n = 0;
  for (let u = 0; u < numUsers; u++) {
    const prefs: number[] = [];
    const numPrefs = 1 + Math.floor(rand() * Math.min(3, clusters));
    while (prefs.length < numPrefs) {
      const c = Math.floor(rand() * clusters);
      if (!prefs.includes(c)) prefs.push(c);
    }
    const deg = degree[u]!;
    let got = 0;
    // Records (u, item) once; the user's first interaction is always training.
    const take = (item: number): void => {
      if (taken[item] === u) return;
      taken[item] = u;
      users[n] = u;
      items[n] = item;
      const r = rand();
      labels[n] = got === 0 ? 0 : r < testFraction ? 2 : r < testFraction + validFraction ? 1 : 0;
      n++;
      got++;
    };
    for (let attempt = 0; got < deg && attempt < 20 * deg; attempt++) {
      let item: number;
      if (rand() < 0.8) {
        // The first preferred cluster is the main taste (60 %), the others share the rest.
        const pick = prefs.length === 1 || rand() < 0.6 ? 0 : 1 + Math.floor(rand() * (prefs.length - 1));
        const list = members[prefs[pick]!]!;
        item = list[Math.floor(list.length * rand() ** 2)]!;
      } else {
        item = Math.floor(rand() * numItems);
      }
      take(item);
    }
    // Saturated users (degree close to numItems): fill with the remaining items in order.
    for (let item = Math.floor(rand() * numItems), scanned = 0; got < deg && scanned < numItems; item = (item + 1) % numItems, scanned++) {
      take(item);
    }
  }

  let numTrain = 0;
  for (let p = 0; p < n; p++) if (labels[p] === 0) numTrain++;
  const trainUsers = new Int32Array(numTrain);
  const trainItems = new Int32Array(numTrain);
  for (let p = 0, t = 0; p < n; p++) {
    if (labels[p] !== 0) continue;
    trainUsers[t] = users[p]!;
    trainItems[t++] = items[p]!;
  }
  return {
    name: options.name ?? 'synthetic',
    numUsers,
    numItems,
    interactions: { users: users.slice(0, n), items: items.slice(0, n), labels: labels.slice(0, n) },
    train: { users: trainUsers, items: trainItems },
    modalities,
  };
}
