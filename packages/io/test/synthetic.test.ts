import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isViMmrecError, type DenseModality, type NeighbourListModality } from '@vi-mmrec/core';
import { type Dataset, readDataset, synthesizeDataset, writeDataset } from '../src/index.js';
import { tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const OPTS = {
  numUsers: 300,
  numItems: 200,
  interactions: 3000,
  modalities: [
    { name: 'image', dim: 16 },
    { name: 'text', dim: 8 },
  ],
  seed: 7,
};

function cosine(m: DenseModality, i: number, j: number): number {
  let dot = 0;
  let a = 0;
  let b = 0;
  for (let c = 0; c < m.dim; c++) {
    const x = m.features[i * m.dim + c]!;
    const y = m.features[j * m.dim + c]!;
    dot += x * y;
    a += x * x;
    b += y * y;
  }
  return dot / Math.sqrt(a * b);
}

describe('synthesizeDataset', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = synthesizeDataset(OPTS);
    const b = synthesizeDataset(OPTS);
    expect(b).toEqual(a);
    const c = synthesizeDataset({ ...OPTS, seed: 8 });
    expect([...c.interactions.items]).not.toEqual([...a.interactions.items]);
  });

  it('has the requested sizes, distinct pairs, valid labels and a training item for every user', () => {
    const d = synthesizeDataset(OPTS);
    expect(d.numUsers).toBe(300);
    expect(d.numItems).toBe(200);
    const { users, items, labels } = d.interactions;
    expect(users.length).toBe(3000);
    const pairs = new Set<number>();
    const hasTrain = new Uint8Array(300);
    let valid = 0;
    let test = 0;
    for (let p = 0; p < users.length; p++) {
      expect(items[p]).toBeLessThan(200);
      pairs.add(users[p]! * 1000 + items[p]!);
      if (labels[p] === 0) hasTrain[users[p]!] = 1;
      else if (labels[p] === 1) valid++;
      else if (labels[p] === 2) test++;
      else throw new Error(`label ${labels[p]}`);
    }
    expect(pairs.size).toBe(3000);
    expect(hasTrain.every((x) => x === 1)).toBe(true);
    // 2,700 non-first interactions at 10 % each: within ±4.5 standard deviations.
    expect(valid).toBeGreaterThan(200);
    expect(valid).toBeLessThan(340);
    expect(test).toBeGreaterThan(200);
    expect(test).toBeLessThan(340);
    expect(d.train.users.length).toBe(3000 - valid - test);
    for (const m of d.modalities) expect(m.kind === 'dense' && m.features.length).toBe(200 * (m.name === 'image' ? 16 : 8));
  });

  it('fills every pair when interactions = users × items', () => {
    const d = synthesizeDataset({ numUsers: 5, numItems: 4, interactions: 20, modalities: [{ name: 'a', dim: 2 }] });
    const pairs = new Set(Array.from(d.interactions.users, (u, p) => `${u},${d.interactions.items[p]}`));
    expect(pairs.size).toBe(20);
  });

  it('has latent structure: items a user co-consumes are more similar than random pairs', () => {
    const d = synthesizeDataset(OPTS);
    const byUser = new Map<number, number[]>();
    d.interactions.users.forEach((u, p) => byUser.set(u, [...(byUser.get(u) ?? []), d.interactions.items[p]!]));
    for (const m of d.modalities as DenseModality[]) {
      // Mean over users of the mean cosine between the user's items (heavy users would
      // otherwise dominate the pair count).
      let co = 0;
      let nCo = 0;
      for (const list of byUser.values()) {
        if (list.length < 2) continue;
        let s = 0;
        let n = 0;
        for (let a = 0; a < list.length; a++) {
          for (let b = a + 1; b < list.length; b++) {
            s += cosine(m, list[a]!, list[b]!);
            n++;
          }
        }
        co += s / n;
        nCo++;
      }
      let rnd = 0;
      let nRnd = 0;
      for (let i = 0; i < 200; i++) {
        for (let j = i + 1; j < 200; j++) {
          rnd += cosine(m, i, j);
          nRnd++;
        }
      }
      expect(co / nCo).toBeGreaterThan(2 * (rnd / nRnd) + 0.1);
    }
  });

  it.each([
    [{ ...OPTS, numUsers: 0 }, 'numUsers'],
    [{ ...OPTS, interactions: 299 }, 'interactions'],
    [{ ...OPTS, interactions: 60_001 }, 'interactions'],
    [{ ...OPTS, modalities: [] }, 'modalities'],
    [{ ...OPTS, modalities: [{ name: 'a/b', dim: 2 }] }, 'modalities'],
    [{ ...OPTS, modalities: [{ name: 'a', dim: 0 }] }, 'modalities.a.dim'],
    [{ ...OPTS, clusters: 201 }, 'clusters'],
    [{ ...OPTS, validFraction: 0.7, testFraction: 0.4 }, 'validFraction'],
  ])('rejects invalid options (%#: %s)', (opts, option) => {
    let caught: unknown;
    try {
      synthesizeDataset(opts);
    } catch (e) {
      caught = e;
    }
    expect(isViMmrecError(caught, 'INVALID_ARGUMENT')).toBe(true);
    expect((caught as { option: string }).option).toBe(option);
  });
});

describe('writeDataset', () => {
  it('writes MMRec layout that readDataset reads back identically', async () => {
    const d = synthesizeDataset({ ...OPTS, name: 'demo' });
    const dir = join(tmp.dir, 'demo');
    await writeDataset(dir, d);
    expect(readFileSync(join(dir, 'demo.inter'), 'utf8').split('\n')[0]).toBe('userID\titemID\tx_label');
    const back = await readDataset(dir);
    expect(back.name).toBe('demo');
    expect(back.numUsers).toBe(d.numUsers);
    expect(back.numItems).toBe(d.numItems);
    expect(back.interactions).toEqual(d.interactions);
    expect(back.train).toEqual(d.train);
    expect(back.modalities).toEqual(d.modalities);
  });

  it('writes neighbour lists ranked by descending cosine', async () => {
    const knn: NeighbourListModality = {
      kind: 'neighbours',
      name: 'graph',
      items: Int32Array.from([1, 0, 0, 0, 1]),
      neighbours: Int32Array.from([0, 2, 1, 3, 2]),
      cosines: Float64Array.from([0.5, 0.25, 0.75, 0.25, 0.125]),
    };
    const d: Dataset = {
      name: 'g',
      numUsers: 1,
      numItems: 4,
      interactions: { users: Int32Array.from([0]), items: Int32Array.from([3]), labels: Uint8Array.from([0]) },
      train: { users: Int32Array.from([0]), items: Int32Array.from([3]) },
      modalities: [knn],
    };
    const dir = join(tmp.dir, 'g');
    await writeDataset(dir, d);
    expect(readFileSync(join(dir, 'graph_knn.tsv'), 'utf8')).toBe(
      'itemID\tneighborID\trank\tcosine\n0\t1\t0\t0.75\n0\t2\t1\t0.25\n0\t3\t2\t0.25\n1\t0\t0\t0.5\n1\t2\t1\t0.125\n',
    );
    const back = await readDataset(dir);
    const m = back.modalities[0] as NeighbourListModality;
    expect([...m.items]).toEqual([0, 0, 0, 1, 1]);
    expect([...m.cosines]).toEqual([0.75, 0.25, 0.25, 0.5, 0.125]);
  });
});
