"""numpy baseline for `klscope bench`: fused log-softmax + KL both ways on float32 logits.

Same data sets as the klscope benchmark (T = 256 rows, vocab 32000 and 128256, float32):
"synthetic" (P ~ 3 N(0,1), Q = P + 0.5 N(0,1)) and the LM-like regimes "lm-1e-3", "lm-1e-2",
"lm-1e-1" (each row of P a Zipf law over a random permutation of the vocabulary with H(P)
drawn from 1-4 nats, plus N(0, 0.3^2) texture; Q = P + sigma N(0,1) with KL(P||Q) ~ the
regime's value). Prints one JSON document with Melem/s (T*V / median time) for two variants:
the way numpy code is usually written, and a tuned one (row chunks that stay in cache, in-place
ufuncs with out=, float32 throughout, float64 sums). numpy runs these on one thread.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 bench/numpy_baseline.py
    python3 bench/numpy_baseline.py --regime lm-1e-3 --vocab 128256
    python3 bench/numpy_baseline.py --input rows.f32 --rows 256 --vocab 128256 --regime lm-1e-3

--input reads the very rows klscope measured (float32 P then Q, as bench/regimes.mjs writes
them), so both sides of a ratio see the same data.
"""
import argparse
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


REGIMES = {"synthetic": None, "lm-1e-3": 1e-3, "lm-1e-2": 1e-2, "lm-1e-1": 1e-1}


def zipf_table(V):
    """H(s) and sum p^2 of the Zipf law p_r ~ r^-s over ranks 1..V, on a grid of exponents."""
    lr = np.log(np.arange(1, V + 1, dtype=np.float64))
    s = np.linspace(0.6, 4.0, 161)
    h = np.empty_like(s)
    p2 = np.empty_like(s)
    for k, e in enumerate(s):
        w = np.exp(-e * lr)
        z = w.sum()
        h[k] = np.log(z) + e * (w * lr).sum() / z
        p2[k] = (w * w).sum() / (z * z)
    return s, h, p2


def make_rows(regime, T, V, rng):
    if regime == "synthetic":
        a = (3 * rng.standard_normal((T, V))).astype(np.float32)
        return a, (a + 0.5 * rng.standard_normal((T, V))).astype(np.float32)
    kl = REGIMES[regime]
    s_grid, h_grid, p2_grid = zipf_table(V)
    lr = np.log(np.arange(1, V + 1, dtype=np.float64))
    a = np.empty((T, V), np.float32)
    b = np.empty((T, V), np.float32)
    for t in range(T):
        H = rng.uniform(1, 4)
        # H(s) decreases with s
        s = np.interp(H, h_grid[::-1], s_grid[::-1])
        p2 = np.interp(H, h_grid[::-1], p2_grid[::-1])
        sigma = np.sqrt(2 * kl / max(1e-3, 1 - p2))
        row = -s * lr[rng.permutation(V)] + 0.3 * rng.standard_normal(V)
        a[t] = row
        b[t] = row + sigma * rng.standard_normal(V)
    return a, b


def measure(a, b, repeat):
    T, V = a.shape
    ref_f, ref_r = typical(a.astype(np.float64), b.astype(np.float64))
    res = []
    for name, fn in (("numpy-typical", typical), ("numpy-tuned", tuned)):
        fn(a, b)
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            f, r = fn(a, b)
            times.append(time.perf_counter() - t0)
        # relative error where KL >= 1e-4, as klscope's rule
        mf, mr = ref_f >= 1e-4, ref_r >= 1e-4
        err = float(max(np.max(np.abs(f - ref_f)[mf] / ref_f[mf], initial=0), np.max(np.abs(r - ref_r)[mr] / ref_r[mr], initial=0)))
        res.append({"backend": name, "threads": 1, "vocab": V, "rows": T, "melemPerSec": round(T * V / np.median(times) / 1e6, 1), "maxRelErr": err})
    return res


def main():
    ap = argparse.ArgumentParser(description="numpy baseline: fused log-softmax + KL both ways, float32")
    ap.add_argument("--regime", default=",".join(REGIMES), help="data sets, comma-separated: " + ", ".join(REGIMES))
    ap.add_argument("--vocab", default="32000,128256", help="vocabulary sizes, comma-separated")
    ap.add_argument("--rows", type=int, default=256)
    ap.add_argument("--repeat", type=int, default=5, help="timed runs; the median is reported")
    ap.add_argument("--input", help="raw float32 file: rows x vocab of P, then of Q (one regime, one vocab)")
    o = ap.parse_args()
    regimes = o.regime.split(",")
    for g in regimes:
        if g not in REGIMES:
            ap.error(f"invalid --regime: {g!r} (expected {', '.join(REGIMES)})")
    vocabs = [int(v) for v in o.vocab.split(",")]
    rng = np.random.default_rng(0)
    out = {"numpy": np.__version__, "threadsEnv": {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}, "loadavg": os.getloadavg(), "results": []}
    if o.input:
        if len(regimes) != 1 or len(vocabs) != 1:
            ap.error("--input takes one --regime and one --vocab")
        x = np.fromfile(o.input, dtype=np.float32)
        n = o.rows * vocabs[0]
        if x.size != 2 * n:
            ap.error(f"{o.input}: {x.size} floats, expected 2 x {o.rows} x {vocabs[0]}")
        for r in measure(x[:n].reshape(o.rows, vocabs[0]), x[n:].reshape(o.rows, vocabs[0]), o.repeat):
            out["results"].append({"regime": regimes[0], **r})
    else:
        for g in regimes:
            for V in vocabs:
                a, b = make_rows(g, o.rows, V, rng)
                for r in measure(a, b, o.repeat):
                    out["results"].append({"regime": g, **r})
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
