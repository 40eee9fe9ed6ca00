#!/usr/bin/env python3
"""NumPy peer of vi-mmrec's `augment` for the benchmark (tools/bench/run.mjs).

A blocked float32 implementation of the same computation, from the same MMRec folder
(`*.inter` + `<modality>_feat.npy`), following docs/algorithm.md:

1. rows L2-normalised (norms in float64, products in float32);
2. per row block: S_p = A_rows · X_pᵀ (sgemm, OpenBLAS), per output the score (one part, or the
   float32 sum of the parts for the fused group), invalid rows/columns and self masked, then
   argpartition top-k and a sort by (score desc, id asc) of the k kept: the tie rule holds
   inside the kept set, but argpartition may pick either of two exactly tied candidates at the
   k-th place (practically irrelevant on real-valued features);
3. virtual matrices R^g = [R+ · A_g > 0] with scipy.sparse, overlaps O^g, weights
   w^g = O^g / O_avg (O_avg = mean of the per-modality overlaps), R̄ = R+ + λ Σ w^g R^g.

Usage:
  numpy_peer.py augment DIR STRATEGY K LAMBDA   → one JSON line: seconds (total, similarity), maxRSS
  numpy_peer.py gemm-peak                        → one JSON line: best float32 GEMM GFLOP/s
"""
import glob
import json
import os
import resource
import sys
import time

import numpy as np

try:
    import scipy.sparse as sp
except ImportError:  # pragma: no cover - scipy is optional
    sp = None

BLOCK = 2048


def load(folder):
    inter = glob.glob(os.path.join(folder, '*.inter'))[0]
    with open(inter) as f:
        header = f.readline().rstrip('\n').split('\t')
    cols = [header.index('userID'), header.index('itemID'), header.index('x_label')]
    data = np.loadtxt(inter, delimiter='\t', skiprows=1, usecols=cols, dtype=np.int64, ndmin=2)
    names = sorted(os.path.basename(p)[: -len('_feat.npy')] for p in glob.glob(os.path.join(folder, '*_feat.npy')))
    feats = [np.load(os.path.join(folder, f'{n}_feat.npy')) for n in names]
    num_users = int(data[:, 0].max()) + 1
    num_items = max(int(data[:, 1].max()) + 1, max(x.shape[0] for x in feats))
    train = data[data[:, 2] == 0][:, :2]
    return names, feats, num_users, num_items, train


def normalise(x):
    norms = np.sqrt(np.einsum('ij,ij->i', x.astype(np.float64), x.astype(np.float64)))
    nz = norms > 0
    out = np.zeros(x.shape, dtype=np.float32)
    out[nz] = (x[nz].astype(np.float64) / norms[nz, None]).astype(np.float32)
    return out, nz


def top_k_tables(parts, nonzero, outputs, k, num_items):
    """Blocked similarity + per-row top-k. Returns one (indices, scores) per output."""
    valid = [np.logical_or.reduce([nonzero[p] for p in o]) for o in outputs]
    tables = [(np.full((num_items, k), -1, np.int64), np.full((num_items, k), -np.inf, np.float32)) for _ in outputs]
    used = sorted({p for o in outputs for p in o})
    kk = min(k, max(num_items - 1, 0))
    for r0 in range(0, num_items, BLOCK):
        r1 = min(num_items, r0 + BLOCK)
        prods = {p: parts[p][r0:r1] @ parts[p].T for p in used}  # float32 sgemm
        rows = np.arange(r1 - r0)
        for oi, o in enumerate(outputs):
            s = prods[o[0]].copy() if len(o) > 1 else prods[o[0]]
            for p in o[1:]:
                s += prods[p]
            s[:, ~valid[oi]] = -np.inf
            s[~valid[oi][r0:r1], :] = -np.inf
            s[rows, rows + r0] = -np.inf
            if kk == 0:
                continue
            part = np.argpartition(s, -kk, axis=1)[:, -kk:]
            vals = np.take_along_axis(s, part, axis=1)
            order = np.lexsort((part, -vals), axis=1)  # score desc, then id asc
            idx = np.take_along_axis(part, order, axis=1)
            val = np.take_along_axis(vals, order, axis=1)
            idx[~np.isfinite(val)] = -1
            tables[oi][0][r0:r1, :kk] = idx
            tables[oi][1][r0:r1, :kk] = val
    return tables


def virtual_matrix(train_csr, table, num_items):
    idx = table[0]
    rows = np.repeat(np.arange(num_items), idx.shape[1])
    cols = idx.ravel()
    keep = cols >= 0
    a = sp.csr_matrix((np.ones(keep.sum(), np.float32), (rows[keep], cols[keep])), shape=(num_items, num_items))
    r = (train_csr @ a).tocsr()
    r.data[:] = 1
    return r


def augment(folder, strategy, k, lam):
    names, feats, num_users, num_items, train = load(folder)
    t0 = time.perf_counter()
    c0 = resource.getrusage(resource.RUSAGE_SELF)
    normed = [normalise(x) for x in feats]
    parts = [n for n, _ in normed]
    nonzero = [z for _, z in normed]
    outputs = [[p] for p in range(len(parts))]  # per modality: overlay groups, and O^m for modality-mean
    if strategy == 'synergistic':
        outputs.append(list(range(len(parts))))
    t_sim = time.perf_counter()
    tables = top_k_tables(parts, nonzero, outputs, k, num_items)
    similarity = time.perf_counter() - t_sim
    rp = sp.csr_matrix((np.ones(len(train), np.float32), (train[:, 0], train[:, 1])), shape=(num_users, num_items))
    rp.sum_duplicates()
    rp.data[:] = 1
    groups = [virtual_matrix(rp, t, num_items) for t in tables]

    def overlap(r):
        return float(r.multiply(rp).nnz) / r.nnz if r.nnz else 0.0

    o_mod = [overlap(g) for g in groups[: len(parts)]]
    o_avg = float(np.mean(o_mod))
    used = groups[: len(parts)] if strategy == 'overlay' else [groups[-1]]
    weights = [1.0 if o_avg == 0 else overlap(g) / o_avg for g in used]
    r_bar = rp.copy()
    for w, g in zip(weights, used):
        r_bar = r_bar + (lam * w) * g
    r_bar = r_bar.tocsr()
    r_bar.sort_indices()
    total = time.perf_counter() - t0
    c1 = resource.getrusage(resource.RUSAGE_SELF)
    feature_bytes = int(sum(x.nbytes for x in feats))
    return {
        'total': total,
        'similarity': similarity,
        'cpuSeconds': (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime),
        'maxRSS': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        'featureBytes': feature_bytes,
        'entries': int(r_bar.nnz),
        'weights': weights,
    }


def gemm_peak():
    rng = np.random.default_rng(0)
    best = 0.0
    shapes = [(2048, 4096, 7050), (4096, 4096, 4096)]
    for m, kdim, n in shapes:
        a = rng.standard_normal((m, kdim), dtype=np.float32)
        b = rng.standard_normal((n, kdim), dtype=np.float32)
        a @ b.T  # warm-up
        for _ in range(5):
            t = time.perf_counter()
            a @ b.T
            dt = time.perf_counter() - t
            best = max(best, 2.0 * m * n * kdim / dt / 1e9)
    return {'gflops': best, 'numpy': np.__version__, 'scipy': None if sp is None else __import__('scipy').__version__}


def main(argv):
    if argv[1] == 'gemm-peak':
        print(json.dumps(gemm_peak()))
    elif argv[1] == 'augment':
        if sp is None:
            raise SystemExit('scipy is required for the augment peer')
        print(json.dumps(augment(argv[2], argv[3], int(argv[4]), float(argv[5]))))
    else:
        raise SystemExit(__doc__)


if __name__ == '__main__':
    main(sys.argv)
