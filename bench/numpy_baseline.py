"""numpy baseline for `klscope bench`: fused log-softmax + KL both ways on float32 logits.

Same data shape as the klscope benchmark (T = 256 rows, vocab 32000 and 128256, P ~ 3 N(0,1),
Q = P + 0.5 N(0,1), float32). Prints one JSON document with Melem/s (T*V / median time) for
two variants: the way numpy code is usually written, and a tuned one (row chunks that stay in
cache, in-place ufuncs with out=, float32 throughout, float64 sums). numpy runs these on one
thread. Run it as the README says:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 bench/numpy_baseline.py
"""
import json
import os
import time

import numpy as np


def typical(a, b):
    la = a - a.max(axis=1, keepdims=True)
    la -= np.log(np.exp(la).sum(axis=1, keepdims=True))
    lb = b - b.max(axis=1, keepdims=True)
    lb -= np.log(np.exp(lb).sum(axis=1, keepdims=True))
    p = np.exp(la)
    q = np.exp(lb)
    d = la - lb
    return (p * d).sum(axis=1, dtype=np.float64), -(q * d).sum(axis=1, dtype=np.float64)


def tuned(a, b, chunk=8):
    T, V = a.shape
    fwd = np.empty(T)
    rev = np.empty(T)
    la = np.empty((chunk, V), np.float32)
    lb = np.empty((chunk, V), np.float32)
    p = np.empty((chunk, V), np.float32)
    for r0 in range(0, T, chunk):
        r1 = min(r0 + chunk, T)
        n = r1 - r0
        x, y, u, w, e = la[:n], lb[:n], a[r0:r1], b[r0:r1], p[:n]
        np.subtract(u, u.max(axis=1, keepdims=True), out=x)
        np.exp(x, out=e)
        x -= np.log(e.sum(axis=1, keepdims=True, dtype=np.float64)).astype(np.float32)
        np.subtract(w, w.max(axis=1, keepdims=True), out=y)
        np.exp(y, out=e)
        y -= np.log(e.sum(axis=1, keepdims=True, dtype=np.float64)).astype(np.float32)
        np.subtract(x, y, out=y)  # y = log p - log q
        np.exp(x, out=e)
        fwd[r0:r1] = np.einsum('ij,ij->i', e, y, dtype=np.float64)
        np.subtract(x, y, out=x)  # x = log q
        np.exp(x, out=e)
        rev[r0:r1] = -np.einsum('ij,ij->i', e, y, dtype=np.float64)
    return fwd, rev


def main():
    rng = np.random.default_rng(0)
    out = {"numpy": np.__version__, "threadsEnv": {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}, "loadavg": os.getloadavg(), "results": []}
    for V in (32000, 128256):
        T = 256
        a = (3 * rng.standard_normal((T, V))).astype(np.float32)
        b = (a + 0.5 * rng.standard_normal((T, V))).astype(np.float32)
        ref_f, ref_r = typical(a.astype(np.float64), b.astype(np.float64))
        for name, fn in (("numpy-typical", typical), ("numpy-tuned", tuned)):
            fn(a, b)
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                f, r = fn(a, b)
                times.append(time.perf_counter() - t0)
            err = float(max(np.max(np.abs(f - ref_f) / ref_f), np.max(np.abs(r - ref_r) / ref_r)))
            out["results"].append({"backend": name, "threads": 1, "vocab": V, "rows": T, "melemPerSec": round(T * V / np.median(times) / 1e6, 1), "maxRelErr": err})
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
