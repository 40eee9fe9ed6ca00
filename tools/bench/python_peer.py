#!/usr/bin/env python3
"""Python peers of vi-mmrec's `augment` for the benchmark (tools/bench/run.mjs).

The same computation, from the same MMRec folder (`*.inter` + `<modality>_feat.npy`),
following docs/algorithm.md, with one of two neighbour searches:

1. rows L2-normalised (norms in float64, products in float32);
2. search `numpy`: per 2048-row block, S_p = A_rows · X_pᵀ (sgemm, OpenBLAS), per output the
   score (one part, or the float32 sum of the parts for the fused group), invalid rows/columns
   and self masked, then argpartition top-k and a sort by (score desc, id asc) of the k kept:
   the tie rule holds inside the kept set, but argpartition may pick either of two exactly
   tied candidates at the k-th place (practically irrelevant on real-valued features);
   search `faiss`: one exact `faiss.IndexFlatIP` per output over the valid normalised rows
   (the fused output indexes the parts side by side, so its inner product is the sum of the
   per-part cosines), searched for k + 1 and the row itself dropped;
3. virtual matrices R^g = [R+ · A_g > 0] with scipy.sparse, overlaps O^g, weights
   w^g = O^g / O_avg (O_avg = mean of the per-modality overlaps), R̄ = R+ + λ Σ w^g R^g.

Usage:
  python_peer.py augment DIR STRATEGY K LAMBDA [numpy|faiss]
      → one JSON line: seconds (process, read, similarity, virtual, total), maxRSS, BLAS kernel
  python_peer.py gemm-peak → one JSON line: best float32 GEMM GFLOP/s and the BLAS kernel

run.mjs starts these with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from the
environment, so OpenBLAS picks its kernel for the actual CPU; `blas` records which it used.
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


def normalise(x, block=1024):
    """Rows scaled to unit L2 norm (norms in float64, blockwise), and which rows are non-zero."""
    out = np.empty(x.shape, dtype=np.float32)
    nz = np.empty(x.shape[0], dtype=bool)
    for r0 in range(0, x.shape[0], block):
        b = x[r0 : r0 + block].astype(np.float64)
        norms = np.sqrt(np.einsum('ij,ij->i', b, b))
        nz[r0 : r0 + block] = norms > 0
        np.divide(b, np.where(norms > 0, norms, np.inf)[:, None], out=b)
        out[r0 : r0 + block] = b
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


def faiss_tables(parts, nonzero, outputs, k, num_items):
    """Exact search with faiss.IndexFlatIP, one index per output. Same tables as top_k_tables."""
    import faiss

    tables = []
    kk = min(k, max(num_items - 1, 0))
    for o in outputs:
        valid = np.logical_or.reduce([nonzero[p] for p in o])
        ids = np.flatnonzero(valid)
        x = np.ascontiguousarray(np.hstack([parts[p][ids] for p in o]) if len(o) > 1 else parts[o[0]][ids])
        idx = np.full((num_items, k), -1, np.int64)
        val = np.full((num_items, k), -np.inf, np.float32)
        if kk > 0 and len(ids) > 0:
            index = faiss.IndexFlatIP(x.shape[1])
            index.add(x)
            d, i = index.search(x, min(kk + 1, len(ids)))
            i = ids[np.maximum(i, 0)]
            keep = i != ids[:, None]  # drop the row itself
            rank = np.cumsum(keep, axis=1) - 1
            rows, cols = np.nonzero(keep & (rank < kk))
            idx[ids[rows], rank[rows, cols]] = i[rows, cols]
            val[ids[rows], rank[rows, cols]] = d[rows, cols]
        tables.append((idx, val))
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


def augment(folder, strategy, k, lam, search='numpy'):
    t_read = time.perf_counter()
    names, feats, num_users, num_items, train = load(folder)
    t0 = time.perf_counter()
    c0 = resource.getrusage(resource.RUSAGE_SELF)
    normed = [normalise(x) for x in feats]
    parts = [n for n, _ in normed]
    nonzero = [z for _, z in normed]
    outputs = [[p] for p in range(len(parts))]  # per modality: overlay groups, and O^m for modality-mean
    if strategy == 'synergistic':
        outputs.append(list(range(len(parts))))
    t_search = time.perf_counter()
    tables = (faiss_tables if search == 'faiss' else top_k_tables)(parts, nonzero, outputs, k, num_items)
    t_virtual = time.perf_counter()
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
    t_end = time.perf_counter()
    c1 = resource.getrusage(resource.RUSAGE_SELF)
    feature_bytes = int(sum(x.nbytes for x in feats))
    return {
        # Phases as the CLI reports them: read; similarity = normalisation + search; virtual = R̄.
        'read': t0 - t_read,
        'similarity': t_virtual - t0,
        'search': t_virtual - t_search,
        'virtual': t_end - t_virtual,
        'total': t_end - t0,
        'cpuSeconds': (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime),
        'maxRSS': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        'featureBytes': feature_bytes,
        'entries': int(r_bar.nnz),
        'weights': weights,
        'blas': blas_info(),
    }


def blas_info():
    """The BLAS this process loaded and the kernel it runs (as threadpoolctl reports it)."""
    try:
        import threadpoolctl

        return [
            {k: v for k, v in lib.items() if k in ('internal_api', 'version', 'architecture', 'num_threads', 'filepath')}
            for lib in threadpoolctl.threadpool_info()
            if lib.get('user_api') == 'blas'
        ]
    except ImportError:
        pass
    # Without threadpoolctl: ask every loaded OpenBLAS for its core name, as threadpoolctl does.
    import ctypes

    found = []
    with open('/proc/self/maps') as f:
        paths = sorted({line.split()[-1] for line in f if '/' in line})
    for path in paths:
        base = os.path.basename(path)
        if not ('openblas' in base or base.startswith('libblas.so')) or not os.path.isfile(path):
            continue
        lib = ctypes.CDLL(path)
        for prefix in ('openblas_', 'scipy_openblas_', 'scipy_openblas64_'):
            for suffix in ('', '64_'):
                corename = getattr(lib, f'{prefix}get_corename{suffix}', None)
                if corename is None:
                    continue
                corename.restype = ctypes.c_char_p
                config = getattr(lib, f'{prefix}get_config{suffix}')
                config.restype = ctypes.c_char_p
                entry = {
                    'internal_api': 'openblas',
                    'version': config().decode().strip(),
                    'architecture': corename().decode(),
                    'num_threads': getattr(lib, f'{prefix}get_num_threads{suffix}')(),
                    'filepath': path,
                }
                if all(e['version'] != entry['version'] for e in found):
                    found.append(entry)
                break
    return found


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
    return {
        'gflops': best,
        'python': sys.executable,
        'numpy': np.__version__,
        'scipy': None if sp is None else __import__('scipy').__version__,
        'blas': blas_info(),
    }


def main(argv):
    if argv[1] == 'gemm-peak':
        print(json.dumps(gemm_peak()))
    elif argv[1] == 'augment':
        if sp is None:
            raise SystemExit('scipy is required for the augment peer')
        print(json.dumps(augment(argv[2], argv[3], int(argv[4]), float(argv[5]), argv[6] if len(argv) > 6 else 'numpy')))
    else:
        raise SystemExit(__doc__)


if __name__ == '__main__':
    main(sys.argv)
