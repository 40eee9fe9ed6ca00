"""Blocked NumPy float32 baseline of the similarity phase (benchmark only, not a test).

Same shape and outputs as bench/similarity.mjs: Amazon-Baby (4096-d + 384-d), synthetic
non-negative features, outputs [0], [1], [0,1] with k = 10 (what augment asks for with
synergistic + modality-mean). Per row block: one sgemm per part, the fused sum, self masked,
argpartition for the top k, then a sort of those k.
Usage: python3 bench/numpy_baseline.py [items=7050] [reps=5] [block=1024]
"""
import json, sys, time
import numpy as np

n = int(sys.argv[1]) if len(sys.argv) > 1 else 7050
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
block = int(sys.argv[3]) if len(sys.argv) > 3 else 1024
k = 10
rng = np.random.default_rng(12345)
parts = []
for d in (4096, 384):
    x = rng.random((n, d), dtype=np.float32) * (rng.random((n, d)) < 0.5)
    parts.append(x.astype(np.float32))


def run():
    xs = [p / np.maximum(np.linalg.norm(p.astype(np.float64), axis=1, keepdims=True), 1e-300).astype(np.float32) for p in parts]
    out = [np.empty((n, k), np.int64) for _ in range(3)]
    for r0 in range(0, n, block):
        r1 = min(n, r0 + block)
        s = [x[r0:r1] @ x.T for x in xs]
        s.append(s[0] + s[1])
        rows = np.arange(r1 - r0)
        for o, m in enumerate(s):
            m[rows, rows + r0] = -np.inf
            idx = np.argpartition(-m, k, axis=1)[:, :k]
            vals = np.take_along_axis(m, idx, 1)
            order = np.argsort(-vals, axis=1, kind='stable')
            out[o][r0:r1] = np.take_along_axis(idx, order, 1)
    return out


times = []
cpu = []
for _ in range(reps):
    t = time.perf_counter()
    c = time.process_time()
    run()
    times.append(time.perf_counter() - t)
    cpu.append(time.process_time() - c)
times.sort()
cpu.sort()
med = times[len(times) // 2]
print(json.dumps({"impl": "numpy", "items": n, "block": block, "medianMs": round(med * 1000), "timesMs": [round(t * 1000) for t in times],
                  "gflops": round(2 * n * n * 4480 / med / 1e9, 1), "medianCpuMs": round(cpu[len(cpu) // 2] * 1000)}))
