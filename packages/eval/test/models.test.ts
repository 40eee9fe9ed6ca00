import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthesizeDataset } from '@vi-mmrec/io';
import { baselineLoader, csrFromPairs } from '../src/loader.js';
import { createModel } from '../src/models/models.js';
import { bipartiteAdjacency } from '../src/models/graph.js';
import { csrFromCoo, gatherRows, spmm } from '../src/models/ops.js';
import type { ModelName } from '../src/models/types.js';
import { Rng } from '../src/rng.js';
import { initTf, tf } from '../src/tf-backend.js';

beforeAll(async () => {
  expect(await initTf()).toBe('wasm');
});

describe('graph ops against float64 references', () => {
  it('spmm forward and gradient equal dense A·X and Aᵀ·dY', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), (seed) => {
        const rng = new Rng(seed);
        const R = 1 + rng.int(6);
        const C = 1 + rng.int(6);
        const d = rng.next() < 0.5 ? 1 + rng.int(4) : 8 * (1 + rng.int(2)); // generic and 8-wide paths
        const r: number[] = [];
        const c: number[] = [];
        const v: number[] = [];
        for (let i = 0; i < R; i++) {
          for (let j = 0; j < C; j++) {
            if (rng.next() < 0.4) {
              r.push(i);
              c.push(j);
              v.push(rng.next() * 2 - 1);
            }
          }
        }
        const a = csrFromCoo(R, C, Int32Array.from(r), Int32Array.from(c), Float32Array.from(v));
        const x = Array.from({ length: C * d }, () => rng.next() * 2 - 1);
        const w = Array.from({ length: R * d }, () => rng.next() * 2 - 1); // loss = Σ w ⊙ (A X)
        const dense = (i: number, j: number): number => r.reduce((s, ri, p) => s + (ri === i && c[p] === j ? Math.fround(v[p]!) : 0), 0);
        const xs = tf.tensor2d(Float32Array.from(x), [C, d]);
        const ys = spmm(a, xs).dataSync();
        const g = tf
          .grad((t: tf.Tensor) => tf.sum(tf.mul(spmm(a, t as tf.Tensor2D), tf.tensor2d(Float32Array.from(w), [R, d]))))(xs)
          .dataSync();
        for (let i = 0; i < R; i++)
          for (let k = 0; k < d; k++) {
            let s = 0;
            for (let j = 0; j < C; j++) s += dense(i, j) * Math.fround(x[j * d + k]!);
            expect(ys[i * d + k]).toBeCloseTo(s, 5);
          }
        for (let j = 0; j < C; j++)
          for (let k = 0; k < d; k++) {
            let s = 0;
            for (let i = 0; i < R; i++) s += dense(i, j) * Math.fround(w[i * d + k]!);
            expect(g[j * d + k]).toBeCloseTo(s, 5);
          }
        xs.dispose();
      }),
      { numRuns: 40 },
    );
  });

  it('gatherRows gradient sums repeated indices', () => {
    const t = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
    const g = tf.grad((x: tf.Tensor) => tf.sum(gatherRows(x as tf.Tensor2D, Int32Array.from([2, 0, 2]))))(t);
    expect(Array.from(g.dataSync())).toEqual([1, 1, 0, 0, 2, 2]);
  });

  it('bipartite adjacency is D^-1/2 A D^-1/2 with weighted degrees', () => {
    // user 0 – items 0 (w 1), 1 (w 0.5); user 1 – item 1 (w 1)
    const m = {
      numUsers: 2,
      numItems: 2,
      rowPtr: Int32Array.from([0, 2, 3]),
      items: Int32Array.from([0, 1, 1]),
      values: Float32Array.from([1, 0.5, 1]),
    };
    const a = bipartiteAdjacency(m);
    const deg = [1.5, 1, 1, 1.5]; // u0, u1, i0, i1
    const entry = (i: number, j: number): number => {
      for (let p = a.rowPtr[i]!; p < a.rowPtr[i + 1]!; p++) if (a.colIdx[p] === j) return a.values[p]!;
      return 0;
    };
    expect(entry(0, 2)).toBeCloseTo(1 / Math.sqrt(deg[0]! * deg[2]!), 6);
    expect(entry(0, 3)).toBeCloseTo(0.5 / Math.sqrt(deg[0]! * deg[3]!), 6);
    expect(entry(3, 0)).toBeCloseTo(entry(0, 3), 7);
    expect(entry(3, 1)).toBeCloseTo(1 / Math.sqrt(deg[1]! * deg[3]!), 6);
    expect(entry(0, 1)).toBe(0);
  });
});

describe('each model trains: the loss decreases on a tiny dataset', () => {
  const ds = synthesizeDataset({
    numUsers: 60,
    numItems: 40,
    interactions: 600,
    modalities: [
      { name: 'image', dim: 8 },
      { name: 'text', dim: 6 },
    ],
    seed: 3,
  });
  const train = csrFromPairs(ds.numUsers, ds.numItems, ds.train.users, ds.train.items);
  for (const name of ['bpr', 'lightgcn', 'vbpr', 'freedom'] as ModelName[]) {
    it(name, async () => {
      const model = createModel(name, ds.numUsers, ds.numItems, { seed: 1, modalities: ds.modalities, embeddingSize: 16 });
      const loader = baselineLoader(train, { seed: 1, batchSize: 64 });
      const opt = tf.train.adam(0.01);
      const rng = new Rng(1);
      const epochLoss: number[] = [];
      const tensors: number[] = [];
      for (let e = 0; e < 15; e++) {
        model.beginEpoch(loader, rng);
        let s = 0;
        let n = 0;
        for await (const b of loader) {
          const l = opt.minimize(() => model.loss(b), true, model.variables)!;
          s += l.dataSync()[0]! * b.users.length;
          n += b.users.length;
          l.dispose();
        }
        epochLoss.push(s / n);
        tensors.push(tf.memory().numTensors);
      }
      expect(tensors[14]).toBe(tensors[1]); // no tensor leaks per epoch
      expect(epochLoss[0]).toBeGreaterThan(0.6); // ≈ log 2 at initialisation
      expect(epochLoss[14]!).toBeLessThan(epochLoss[0]! * 0.9);
      const emb = model.embeddings();
      expect(emb.users.shape[0]).toBe(ds.numUsers);
      expect(emb.items.shape[0]).toBe(ds.numItems);
      expect(emb.users.shape[1]).toBe(emb.items.shape[1]);
      emb.users.dispose();
      emb.items.dispose();
      model.dispose();
      opt.dispose();
    });
  }

  it('VBPR and FREEDOM also run on neighbour-list modalities (no dense features)', () => {
    const lists = [
      {
        kind: 'neighbours' as const,
        name: 'text',
        items: Int32Array.from([0, 0, 1, 2]),
        neighbours: Int32Array.from([1, 2, 0, 0]),
        cosines: Float64Array.from([0.9, 0.5, 0.9, 0.5]),
      },
    ];
    for (const name of ['vbpr', 'freedom'] as const) {
      const m = createModel(name, 3, 3, { modalities: lists, embeddingSize: 4 });
      const loader = baselineLoader(csrFromPairs(3, 3, Int32Array.from([0, 1, 2]), Int32Array.from([0, 1, 2])), { batchSize: 3 });
      m.beginEpoch(loader, new Rng(0));
      const l = m.loss({ users: Int32Array.from([0]), positives: Int32Array.from([0]), negatives: Int32Array.from([1]) });
      expect(Number.isFinite(l.dataSync()[0])).toBe(true);
      m.dispose();
    }
  });
});
