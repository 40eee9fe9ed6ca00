#!/usr/bin/env python3
"""Python peers of tools/bench/scale.mjs: one neighbour table (k) over N synthetic items.

Reads the raw float32 N × DIM features that scale.mjs wrote, L2-normalises them and searches
all N rows with one of:
  faiss-flat  faiss.IndexFlatIP (exact, BLAS sgemm), python_peer.faiss_tables;
  numpy       blocked NumPy sgemm + argpartition top-k (exact), python_peer.top_k_tables;
  faiss-hnsw  faiss.IndexHNSWFlat, inner product, with usearch's defaults in vi-mmrec
              (M = 16, efConstruction = 128, efSearch = max(128, 2k + 1)), k + 1 searched and
              the row itself dropped (approximate).

Usage:
  scale_peer.py IMPL FEATURES.f32 DIM K QUERIES.i32
      → one JSON line: seconds and CPU seconds of normalisation + index build + search, maxRSS,
        featureBytes, the neighbour rows of the sampled QUERIES (for recall), BLAS kernel
        (faiss-hnsw: also the seconds of the index build and of the search).

scale.mjs starts it with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from the environment.
"""
import json
import os
import resource
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from python_peer import blas_info, faiss_tables, normalise, top_k_tables  # noqa: E402

HNSW = {'M': 16, 'efConstruction': 128, 'efSearch': 128}
PHASES = {}  # faiss-hnsw: seconds of the index build and of the search


def hnsw_table(unit, k):
    """Approximate k nearest neighbours (inner product) of every row, the row itself excluded."""
    import faiss

    index = faiss.IndexHNSWFlat(unit.shape[1], HNSW['M'], faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = HNSW['efConstruction']
    t0 = time.perf_counter()
    index.add(unit)
    t1 = time.perf_counter()
    index.hnsw.efSearch = max(HNSW['efSearch'], 2 * k + 1)
    _, found = index.search(unit, k + 1)
    PHASES.update(buildSeconds=t1 - t0, searchSeconds=time.perf_counter() - t1)
    keep = found != np.arange(len(unit))[:, None]
    # Stable sort moves the (at most one) self match behind the others; keep the first k.
    order = np.argsort(~keep, axis=1, kind='stable')[:, :k]
    return np.take_along_axis(found, order, axis=1)


def search(impl, x, k):
    unit, nonzero = normalise(x)
    n = len(x)
    if impl == 'faiss-flat':
        return faiss_tables([unit], [nonzero], [[0]], k, n)[0][0]
    if impl == 'numpy':
        return top_k_tables([unit], [nonzero], [[0]], k, n)[0][0]
    if impl == 'faiss-hnsw':
        return hnsw_table(unit, k)
    raise SystemExit(f'unknown implementation {impl}')


def main(argv):
    if len(argv) != 6:
        raise SystemExit(__doc__)
    impl, path, dim, k, queries = argv[1], argv[2], int(argv[3]), int(argv[4]), argv[5]
    x = np.fromfile(path, dtype=np.float32).reshape(-1, dim)
    q = np.fromfile(queries, dtype=np.int32)
    c0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    table = search(impl, x, k)
    seconds = time.perf_counter() - t0
    c1 = resource.getrusage(resource.RUSAGE_SELF)
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    import faiss

    print(
        json.dumps(
            {
                'impl': impl,
                'n': len(x),
                'seconds': seconds,
                'cpuSeconds': (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime),
                'maxRSS': max_rss,
                'featureBytes': int(x.nbytes),
                'rows': table[q].tolist(),
                'threads': faiss.omp_get_max_threads(),
                'faiss': faiss.__version__,
                'numpy': np.__version__,
                'blas': blas_info(),
                **({'hnsw': HNSW, **PHASES} if impl == 'faiss-hnsw' else {}),
            }
        )
    )


if __name__ == '__main__':
    main(sys.argv)
