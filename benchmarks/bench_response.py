"""W-RESP: time to accuracy of the response-kernel estimators (BENCHMARKS.md).

For each SRNN and estimator: the seconds needed to reach a relative standard error of 1 % on
the first-order kernel R(tau), tau in [0, 3], defined as

    relative SE = max over lags of SE(k) / max over lags of |R(k)|

(for the (output, input) pair with the largest |R|: the whole curve to within 1 % of its
peak; a pointwise SE at the peak alone would be zero for several estimators, which are exact
at lag 0 for a linear readout). Each estimator runs at a pilot size whose time t and
relative SE s give the time to 1 %, t (s / 0.01)^2 (cost proportional to the samples); the
fast ones are also run at that size, once, to check the extrapolation.

The anchor is a plain NumPy common-random-numbers loop (``numpy_crn_anchor`` below): a block
of independent paths, each burnt in from h = 0 for the library's burn-in, kicked by
+-eps C e_a (or, input inside the activation, one step with u = +-eps e_a), the same noise for
both copies, central differences, vectorised over the paths. Ratios are side by side in one
process, one thread, interleaved rounds (A B C A B C ...), median over the rounds.

Bias: against the exact kernels where they exist (the grid transfer operator for the 1-D
SRNNs, the closed form for the linear one): max over lags of |mean over rounds - exact| in
units of the standard error of that mean.

SRNNs: W-SIM (n=64, m=2, tanh, spectral radius 0.9, sigma=0.3, dt=0.01, BENCHMARKS.md);
linear 9.1 (dt=0.01); V2 (1-D tanh, dt=0.02); the 1-D tanh SRNN of docs/theory.md §12
(gamma=1.5, w=2, b=0.2, c=0.7, sigma=0.6, f=tanh; the quasi-Gaussian FDT's bias case);
V5 (1-D, input inside the activation).

Goals of the learned score (issue 18), ``--part goals``: on 1-D SRNNs with exact grid kernels,
the largest |z| of the quasi-Gaussian and the learned-score FDT against the grid; on random
8-unit networks, the median |z| against perturbation; the time of both at equal sizes.

Usage:  flock /tmp/srnnkit-bench.lock python benchmarks/bench_response.py [--rounds 5]
        [--quick] [--only NAME] [--part all|time|goals]
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import scipy  # noqa: E402

import srnnkit as sk  # noqa: E402
from srnnkit.dynamics._ensembles import default_burn_in  # noqa: E402

R = sk.response
TARGET = 0.01


# ------------------------------------------------------------------------------ the anchor
def numpy_crn_anchor(model, dt, n_lags, n_paths, seed, eps=1e-3):
    """Plain NumPy common random numbers: burn-in from 0, kicks +-eps, same noise, central
    differences. Returns (mean, stderr) of shape (n_lags, p, m)."""
    rng = np.random.default_rng(seed)
    W, b, C, sig, G = model.W, model.b, model.C, model.sigma, model.gamma_matrix
    act = {"tanh": np.tanh, "identity": lambda z: z}[model.activation]
    inside = model.input_mode == "activation" and not model.is_linear
    n, m = C.shape
    r = sig.shape[1]

    def step(H, xi, cu=0.0):
        z = H @ W.T + b
        if inside:
            return H + dt * (act(z + cu) - H @ G.T) + np.sqrt(dt) * xi @ sig.T
        return H + dt * (act(z) - H @ G.T + cu) + np.sqrt(dt) * xi @ sig.T

    h = np.zeros((n_paths, n))
    for _ in range(default_burn_in(model, dt)):
        h = step(h, rng.standard_normal((n_paths, r)))
    signs = np.repeat([1.0, -1.0], m * n_paths)[:, None]
    kick = np.tile(np.repeat(C.T, n_paths, axis=0), (2, 1))            # (2 m P, n)
    H = np.tile(h, (2 * m, 1))
    if inside:                                     # one step with u = +-eps e_a, then free
        H = step(H, np.tile(rng.standard_normal((n_paths, r)), (2 * m, 1)),
                 cu=signs * eps * kick)
    else:
        H = H + signs * eps * kick
    scale = 2 * eps * (dt if inside else 1.0)
    out = np.empty((n_lags, 2, m, n_paths, model.n_outputs))
    for k in range(n_lags):
        out[k] = model.output(H).reshape(2, m, n_paths, -1)
        H = step(H, np.tile(rng.standard_normal((n_paths, r)), (2 * m, 1)))
    d = (out[:, 0] - out[:, 1]) / scale                                  # (L, m, P, p)
    mean = d.mean(axis=2).transpose(0, 2, 1)
    se = (d.std(axis=2, ddof=1) / np.sqrt(n_paths)).transpose(0, 2, 1)
    return mean, se


# ------------------------------------------------------------------------------- the cases
def cases(quick):
    s = 0.5 if quick else 1.0
    wsim = sk.SRNN.random(64, 2, spectral_radius=0.9, noise=0.3, seed=0)
    lin = sk.SRNN(W=[[0, .5], [-.3, 0]], C=[[1], [.5]], sigma=[[.6, 0], [.2, .5]],
                  gamma=[1, .8], activation="identity", readout=[[1, .5]])
    v2 = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, gamma=1.0, b=[0.3])
    s12 = sk.SRNN(W=[[2.0]], C=[[0.7]], sigma=0.6, gamma=1.5, b=[0.2], readout=np.tanh)
    v5 = sk.SRNN(W=[[1.1]], C=[[0.9]], sigma=0.6, gamma=1.3, b=[-0.1], input_mode="activation")
    out = []
    for name, model, dt, exact in [
            ("W-SIM (n=64)", wsim, 0.01, None),
            ("linear 9.1", lin, 0.01, R.linear_response(lin, dt=0.01, n_lags=301,
                                                         discrete=True).values),
            ("V2 (1-D tanh)", v2, 0.02, R.GridChain(v2, 0.02).linear_response(151).values),
            ("§12 (1-D, f=tanh)", s12, 0.02, R.GridChain(s12, 0.02).linear_response(151).values),
            ("V5 (1-D, input in a)", v5, 0.02,
             R.GridChain(v5, 0.02).linear_response(151).values)]:
        big = model.n_hidden > 8
        runs = dict(n_chains=4, n_steps=int((20_000 if big else 50_000) * s))
        L = round(3 / dt) + 1
        ests = {
            "NumPy CRN loop (anchor)": ("anchor", dict(n_paths=int((128 if big else 2000) * s))),
            "perturbation": ("perturbation", dict(n_paths=int((128 if big else 2000) * s))),
            "pathwise": ("pathwise", runs),
            "girsanov": ("girsanov", runs),
            "fdt (learned score)": ("fdt", {**runs, "score": "learned"}),
        }
        if not model.is_linear:
            ests["fdt (Gaussian score)"] = ("fdt", {**runs, "score": "gaussian"})
        out.append((name, model, dt, L, exact, ests))
    return out


def estimate(model, dt, L, method, kw, seed):
    t0 = time.perf_counter()
    if method == "anchor":
        mean, se = numpy_crn_anchor(model, dt, L, kw["n_paths"], seed)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", R.GaussianScoreWarning)
            rf = R.linear_response(model, dt=dt, n_lags=L, method=method, seed=seed, **kw)
        mean, se = rf.values, rf.stderr
    return time.perf_counter() - t0, mean, se


def relative_se(mean, se, pair):
    i, a = pair
    return float(se[:, i, a].max() / np.abs(mean[:, i, a]).max())


def run_case(name, model, dt, L, exact, ests, rounds):
    """Interleaved rounds; per estimator: median time, relative SE, time to 1 %, bias."""
    ref = exact if exact is not None else None
    res = {k: {"t": [], "s": [], "mean": [], "se": []} for k in ests}
    for r in range(rounds):
        for label, (method, kw) in ests.items():
            t, mean, se = estimate(model, dt, L, method, kw, seed=1000 * r + 7)
            res[label]["t"].append(t)
            res[label]["mean"].append(mean)
            res[label]["se"].append(se)
    if ref is None:                                  # the pair: from the pooled estimates
        ref = np.mean([np.mean(v["mean"], axis=0) for v in res.values()], axis=0)
    i, a = np.unravel_index(int(np.argmax(np.abs(ref).max(axis=0))), ref.shape[1:])
    rows = []
    for label, v in res.items():
        t = float(np.median(v["t"]))
        s = float(np.median([relative_se(m, e, (i, a)) for m, e in zip(v["mean"], v["se"],
                                                                         strict=True)]))
        bias = None
        if exact is not None:
            mean = np.mean(v["mean"], axis=0)[:, i, a]
            se_mean = np.sqrt(np.mean(np.square(v["se"]), axis=0))[:, i, a] / np.sqrt(rounds)
            err = np.abs(mean - exact[:, i, a])
            ok = se_mean > 1e-12 * np.abs(exact[:, i, a]).max()
            bias = (float(err.max()), float((err[ok] / se_mean[ok]).max()) if ok.any() else 0.0)
        rows.append((label, t, s, t * (s / TARGET) ** 2, bias))
    return rows, (int(i), int(a))


def confirm(model, dt, L, method, kw, s, t1, cap, pair):
    """Run once at the size predicted for 1 % from the rounds' relative SE ``s`` (if the
    prediction ``t1`` is at most ``cap`` seconds): (time, relative SE) or None."""
    if method == "anchor" or not np.isfinite(t1) or t1 > cap:
        return None
    key = "n_paths" if "n_paths" in kw else "n_steps"
    big = dict(kw, **{key: int(np.ceil(kw[key] * max(1.0, (s / TARGET) ** 2)))})
    t, mean, se = estimate(model, dt, L, method, big, seed=98)
    return t, relative_se(mean, se, pair)


# ------------------------------------------------------------- #18 goals of the learned score
def goal_cases():
    """1-D SRNNs with exact grid kernels (the §12 family and others nobody tuned on)."""
    def one(w, c, sigma, gamma, b, readout=None, mode="additive"):
        return sk.SRNN(W=[[w]], C=[[c]], sigma=sigma, gamma=gamma, b=[b], readout=readout,
                       input_mode=mode)
    return [
        ("§12, sigma=0.6", one(2.0, 0.7, 0.6, 1.5, 0.2, np.tanh)),
        ("§12, sigma=0.8", one(2.0, 0.7, 0.8, 1.5, 0.2, np.tanh)),
        ("§12, sigma=1.0", one(2.0, 0.7, 1.0, 1.5, 0.2, np.tanh)),
        ("w=2.5, b=-0.3, f=h", one(2.5, 1.0, 0.7, 2.0, -0.3)),
        ("w=1.5, sigma=0.5, f=tanh", one(1.5, 0.5, 0.5, 1.0, 0.0, np.tanh)),
        ("V2 (w=0.8)", one(0.8, 1.0, 0.5, 1.0, 0.3)),
    ]


def goals(rounds, quick):
    """Learned against Gaussian score: z against the grid (1-D), median |z| against
    perturbation (8 units), and the time ratio at equal sizes (interleaved, median)."""
    n_steps = 50_000 if quick else 100_000
    kw = dict(dt=0.02, n_lags=101, method="fdt", n_chains=16, n_steps=n_steps)
    print(f"\n## Learned score: 1-D SRNNs against the exact grid kernel ({kw['n_chains']} runs "
          f"x {n_steps} steps, dt = 0.02, 101 lags, seed 3)\n")
    print("| SRNN | max abs z, Gaussian score | max abs z, learned score | median abs z, "
          "learned | time Gaussian [s] | time learned [s] | ratio |")
    print("|---|---|---|---|---|---|---|")
    with warnings.catch_warnings():                   # compile and calibrate: not timed
        warnings.simplefilter("ignore", R.GaussianScoreWarning)
        for score in ("gaussian", "learned"):
            R.linear_response(goal_cases()[0][1], **dict(kw, n_chains=2, n_steps=500),
                              score=score, seed=0)
    for name, model in goal_cases():
        exact = R.GridChain(model, dt=0.02).linear_response(101)
        res = {}
        for score in ("gaussian", "learned"):
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", R.GaussianScoreWarning)
                rf = R.linear_response(model, score=score, seed=3, **kw)
            res[score] = (time.perf_counter() - t0, np.abs(rf.z_scores(exact)))
        (tg, zg), (tl, zl) = res["gaussian"], res["learned"]
        print(f"| {name} | {zg.max():.1f} | {zl.max():.2f} | {np.median(zl):.2f} | {tg:.2f} | "
              f"{tl:.2f} | {tl / tg:.2f} |")
    eight_units(rounds, quick)


def eight_unit_networks(n_paths):
    """``(seed, model, kw, reference)`` for the random 8-unit networks of the learned-score
    goal (seeds 0-2; dt = 0.02, 60 lags), with a perturbation reference of ``n_paths``."""
    for seed in (0, 1, 2):
        model = sk.SRNN.random(8, 2, spectral_radius=0.8, input_scale=0.5, noise=0.3,
                               seed=seed)
        kw = dict(dt=0.02, n_lags=60)
        yield seed, model, kw, R.linear_response(model, method="perturbation",
                                                 n_paths=n_paths, seed=1, **kw)


def eight_units(rounds, quick):
    n_steps = 50_000 if quick else 100_000
    print(f"\n## Learned score: random 8-unit networks against perturbation (FDT 16 runs x "
          f"{n_steps} steps; perturbation 4000 paths; dt = 0.02, 60 lags; time = median of "
          f"{rounds} interleaved rounds at equal sizes)\n")
    print("| network | median abs z, learned | max abs z, learned | median abs z, Gaussian | "
          "max abs z, Gaussian | time Gaussian [s] | time learned [s] | ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for seed, model, kw, ref in eight_unit_networks(n_paths=4000):
        times = {"gaussian": [], "learned": []}
        z = {}
        for r in range(rounds):
            for score in times:
                t0 = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", R.GaussianScoreWarning)
                    est = R.linear_response(model, method="fdt", score=score, n_chains=16,
                                            n_steps=n_steps, seed=2, **kw)
                times[score].append(time.perf_counter() - t0)
                if r == 0:
                    z[score] = np.abs((est.values - ref.values)
                                      / np.hypot(est.stderr, ref.stderr))
        tg, tl = np.median(times["gaussian"]), np.median(times["learned"])
        print(f"| SRNN.random(8, 2, seed={seed}) | {np.median(z['learned']):.2f} | "
              f"{z['learned'].max():.1f} | {np.median(z['gaussian']):.2f} | "
              f"{z['gaussian'].max():.1f} | {tg:.2f} | {tl:.2f} | {tl / tg:.2f} |")


def random_1d(count=24, seed=123):
    """Learned-score FDT against the exact grid kernel on random 1-D networks (both input
    modes, tanh or sigmoid, identity or tanh readout; drawn, not chosen), 16 runs x 100000
    steps, dt = 0.02, 101 lags."""
    rng = np.random.default_rng(seed)
    print(f"\n## Learned score on {count} random 1-D networks (seed {seed}) against the grid\n")
    print("| # | input | activation | w | c | sigma | gamma | b | readout | max abs z, "
          "Gaussian | max abs z, learned | median abs z, learned |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for i in range(count):
        mode = rng.choice(["additive", "activation"])
        w, c, sig = rng.uniform(-1, 3), rng.uniform(0.3, 1.5), rng.uniform(0.3, 1.2)
        gam, b = rng.uniform(0.5, 2.5), rng.uniform(-0.5, 0.5)
        ro = [None, np.tanh][rng.integers(2)]
        act = rng.choice(["tanh", "sigmoid"]) if mode == "additive" else "tanh"
        model = sk.SRNN(W=[[w]], C=[[c]], sigma=sig, gamma=gam, b=[b], readout=ro,
                        input_mode=mode, activation=act)
        exact = R.GridChain(model, dt=0.02).linear_response(101)
        z = {}
        for score in ("gaussian", "learned"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", R.GaussianScoreWarning)
                rf = R.linear_response(model, dt=0.02, n_lags=101, method="fdt", score=score,
                                       n_chains=16, n_steps=100_000, seed=i)
            z[score] = np.abs(rf.z_scores(exact))
        print(f"| {i} | {mode} | {act} | {w:.2f} | {c:.2f} | {sig:.2f} | {gam:.2f} | {b:.2f} | "
              f"{'tanh' if ro else 'h'} | {z['gaussian'].max():.1f} | "
              f"{z['learned'].max():.2f} | {np.median(z['learned']):.2f} |", flush=True)


def calibration(n_seeds=24):
    """The learned-score FDT on the random 8-unit networks over many FDT seeds: the spread of
    the estimates against their reported standard error (calibration), the median |z| of
    each single estimate against a 16000-path perturbation reference, and the bias of the
    pooled mean. FDT 16 runs x 50000 steps, dt = 0.02, 60 lags."""
    print(f"\n## Learned score on random 8-unit networks: {n_seeds} FDT seeds each\n")
    print("| network | spread / reported SE (median over entries) | median abs z per estimate: "
          "median, max | estimates with median abs z > 1 | pooled mean: median abs z |")
    print("|---|---|---|---|---|")
    for seed, model, kw, ref in eight_unit_networks(n_paths=16000):
        est = [R.linear_response(model, method="fdt", score="learned", n_chains=16,
                                 n_steps=50_000, seed=100 + s, **kw) for s in range(n_seeds)]
        V = np.array([e.values for e in est])
        rep = np.sqrt(np.mean([e.stderr ** 2 for e in est], axis=0))
        ratio = np.median(V.std(axis=0, ddof=1) / rep)
        med = np.array([np.median(np.abs((e.values - ref.values)
                                         / np.hypot(e.stderr, ref.stderr))) for e in est])
        pooled = np.abs((V.mean(axis=0) - ref.values)
                        / np.hypot(rep / np.sqrt(n_seeds), ref.stderr))
        print(f"| SRNN.random(8, 2, seed={seed}) | {ratio:.2f} | {np.median(med):.2f}, "
              f"{med.max():.2f} | {np.sum(med > 1)} of {n_seeds} | {np.median(pooled):.2f} |",
              flush=True)


def draw_network(k):
    """Random network ``k`` of `random_networks`: 2-6 units, 1-2 inputs, tanh, sigmoid or
    ReLU, either input mode, a diagonal or a full leak, a diagonal or triangular noise, two
    linear outputs (drawn, not chosen)."""
    rng = np.random.default_rng(1000 + k)
    n, m = int(rng.choice([2, 3, 4, 6])), int(rng.choice([1, 2]))
    act = str(rng.choice(["tanh", "sigmoid", "relu"]))
    mode = str(rng.choice(["additive", "activation"]))
    radius = rng.uniform(0.3, 0.8) if act == "relu" else rng.uniform(0.5, 1.4)
    W = rng.normal(size=(n, n))
    W *= radius / max(abs(np.linalg.eigvals(W)))
    C = rng.normal(size=(n, m)) * rng.uniform(0.3, 1.2)
    full = bool(rng.random() < 0.5)
    gamma = (np.diag(rng.uniform(0.6, 2.0, n)) + 0.3 * rng.normal(size=(n, n)) / np.sqrt(n)
             if full else rng.uniform(0.6, 2.0, n))
    sigma = np.diag(rng.uniform(0.3, 1.0, n))
    if rng.random() < 0.4:
        sigma = sigma + 0.2 * np.tril(rng.normal(size=(n, n)), -1)
    b = rng.uniform(-0.5, 0.5, n)
    Q = rng.normal(size=(2, n)) / np.sqrt(n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sk.DissipativityWarning)
        model = sk.SRNN(W=W, C=C, sigma=sigma, gamma=gamma, b=b, activation=act, readout=Q,
                        input_mode=mode)
    return model, (n, m, act, mode, radius, full)


def random_networks(count=16):
    """Every first-order estimator on random small networks (`draw_network`; ReLU among
    them) against perturbation with 16000 paths: median and largest |z| over the 60 lags x
    outputs x inputs, z with both standard errors. Entries that both estimators give exactly
    (lag 0 of an additive input: Q C, standard errors at rounding) are left out."""
    print(f"\n## First-order estimators on {count} random networks against perturbation\n")
    methods = [("pathwise", {}), ("girsanov", {}), ("fdt", {"score": "learned"}),
               ("fdt", {"score": "gaussian"})]
    print("| # | units, inputs | activation | input | leak | radius of W | " + " | ".join(
        f"{m}{' ' + kw['score'] if kw else ''}: median, max abs z" for m, kw in methods) + " |")
    print("|---|---|---|---|---|---|" + "---|" * len(methods))
    for k in range(count):
        model, (n, m, act, mode, radius, full) = draw_network(k)
        ref = R.linear_response(model, dt=0.02, n_lags=60, method="perturbation",
                                n_paths=16000, seed=1)
        cells = []
        for method, kw in methods:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", R.GaussianScoreWarning)
                est = R.linear_response(model, dt=0.02, n_lags=60, method=method, seed=2,
                                        **kw)
            se = np.hypot(est.stderr, ref.stderr)
            keep = se > 1e-12 * np.maximum(np.abs(ref.values), 1e-300)
            z = np.abs(est.values - ref.values)[keep] / se[keep]
            cells.append(f"{np.median(z):.2f}, {z.max():.1f}")
        print(f"| {k} | {n}, {m} | {act} | {mode} | {'full' if full else 'diagonal'} | "
              f"{radius:.2f} | " + " | ".join(cells) + " |", flush=True)


def random_networks_second(count=16):
    """Second-order kernels of the `draw_network` networks: mixed and Girsanov (16 runs x
    100000 steps) against double-kick perturbation (20000 paths), 10 lags, dt = 0.02;
    median and largest |z| over the entries, and the largest on the coincident column. A
    ReLU network with the input inside the activation is refused by the weights (its a''
    is a Dirac mass at the kink)."""
    from srnnkit.response._weights import kinked_in_drift

    print(f"\n## Second-order estimators on {count} random networks against perturbation\n")
    print("| # | units, inputs | activation | input | mixed: median, max abs z (coincident) | "
          "girsanov: median, max abs z (coincident) |")
    print("|---|---|---|---|---|---|")
    for k in range(count):
        model, (n, m, act, mode, _radius, _full) = draw_network(k)
        cells = []
        if kinked_in_drift(model):
            cells = ["refused", "refused"]
        else:
            ref = R.second_order_response(model, dt=0.02, n_lags=10, method="perturbation",
                                          n_paths=20000, seed=1)
            for method in ("mixed", "girsanov"):
                est = R.second_order_response(model, dt=0.02, n_lags=10, method=method,
                                              n_chains=16, n_steps=100_000, seed=2)
                se = np.hypot(est.stderr, ref.stderr)
                keep = se > 1e-12 * np.maximum(np.abs(ref.values), 1e-300)
                z = np.where(keep, np.abs(est.values - ref.values) / np.where(keep, se, 1), 0)
                cells.append(f"{np.median(z[keep]):.2f}, {z.max():.1f} ({z[:, 0].max():.1f})")
        print(f"| {k} | {n}, {m} | {act} | {mode} | " + " | ".join(cells) + " |", flush=True)


RELU_1D = [(0.5, 1.0, 0.6, 1.0, 0.1), (-0.8, 0.8, 0.5, 1.2, 0.3), (0.9, 1.2, 0.8, 1.5, -0.2)]


def relu_1d(seeds=4):
    """The learned-score FDT on 1-D ReLU networks (w, c, sigma, gamma, b of `RELU_1D`,
    f = tanh), both input modes, against the exact grid kernel: 16 runs x 100000 steps,
    dt = 0.02, 101 lags, FDT seeds 10, 11, ..."""
    print(f"\n## Learned-score FDT on 1-D ReLU networks against the grid ({seeds} seeds)\n")
    print("| input | w, c, sigma, gamma, b | max abs z per seed | median abs z per seed |")
    print("|---|---|---|---|")
    for mode in ("additive", "activation"):
        for w, c, sig, gam, b in RELU_1D:
            model = sk.SRNN(W=[[w]], C=[[c]], sigma=sig, gamma=gam, b=[b], activation="relu",
                            input_mode=mode, readout=np.tanh)
            exact = R.GridChain(model, 0.02).linear_response(101)
            z = [np.abs(R.linear_response(model, dt=0.02, n_lags=101, method="fdt",
                                          score="learned", n_chains=16, n_steps=100_000,
                                          seed=10 + s).z_scores(exact)) for s in range(seeds)]
            print(f"| {mode} | {w}, {c}, {sig}, {gam}, {b} | "
                  f"{', '.join(f'{x.max():.1f}' for x in z)} | "
                  f"{', '.join(f'{np.median(x):.2f}' for x in z)} |", flush=True)


def _fuzz_network(seed, n=3):
    """The 3-unit tanh networks (input inside the activation) of the products section."""
    rng = np.random.default_rng(seed)
    W, C = rng.normal(size=(n, n)) * 0.6, rng.normal(size=(n, 2))
    b, Q = rng.normal(size=n) * 0.3, rng.normal(size=(2, n))
    return sk.SRNN(W=W, C=C, sigma=0.5, gamma=1.5, b=b, readout=Q, input_mode="activation")


def _pooled_fdt(model, ref_values, ref_se, runs, **kw):
    """Pooled z of ``runs`` learned-score FDT runs against a reference, and the runs' own."""
    vals, ses = [], []
    for s in range(runs):
        est = R.linear_response(model, method="fdt", seed=500 + s, **kw)
        vals.append(est.values)
        ses.append(est.stderr)
    vals, ses = np.array(vals), np.array(ses)
    pse = np.sqrt((ses ** 2).mean(0) / runs)
    pooled = (vals.mean(0) - ref_values) / np.sqrt(pse ** 2 + ref_se ** 2)
    single = (vals - ref_values) / np.sqrt(ses ** 2 + ref_se ** 2)
    return np.abs(pooled), np.abs(single)


def products():
    """The learned score's products a'(z_k) h_i (input inside a smooth activation): 3-unit
    networks pooled over six runs, the drawn networks, and the cost, each with the products
    left out (``PRODUCT_MAX_UNITS = 0``) and in."""
    from srnnkit.response import _score

    keep = _score.PRODUCT_MAX_UNITS
    print("\n## Learned score with the input inside a smooth activation: products\n")
    print("| network | products | pooled abs z, lag 0 | largest pooled abs z | "
          "median single abs z |")
    print("|---|---|---|---|---|")
    for seed in (3, 8, 7):
        model = _fuzz_network(seed)
        kw = dict(dt=0.05, n_lags=10)
        ref = R.linear_response(model, method="pathwise", seed=1, n_chains=16,
                                n_steps=200_000, **kw)
        for cap in (0, keep):
            _score.PRODUCT_MAX_UNITS = cap
            pooled, single = _pooled_fdt(model, ref.values, ref.stderr, 6, **kw)
            print(f"| 3 units, seed {seed} | {'yes' if cap else 'no'} | {pooled[0].max():.1f} "
                  f"| {pooled.max():.1f} | {np.median(single):.2f} |", flush=True)
    print("\n| drawn # | units, inputs | activation | without: median, max abs z | "
          "with: median, max abs z |")
    print("|---|---|---|---|---|")
    for k in range(16):
        model, (n, m, act, mode, _radius, _full) = draw_network(k)
        if mode != "activation" or act == "relu":
            continue
        ref = R.linear_response(model, dt=0.02, n_lags=60, method="perturbation",
                                n_paths=16000, seed=1)
        cells = []
        for cap in (0, keep):
            _score.PRODUCT_MAX_UNITS = cap
            est = R.linear_response(model, dt=0.02, n_lags=60, method="fdt", seed=2)
            z = np.abs(est.z_scores(ref))
            cells.append(f"{np.median(z):.2f}, {z.max():.1f}")
        print(f"| {k} | {n}, {m} | {act} | " + " | ".join(cells) + " |", flush=True)
    print("\n| units | K without / with products | Gaussian [s] | learned, without [s] | "
          "learned, with [s] | with / Gaussian |")
    print("|---|---|---|---|---|---|")
    for n in (4, 8, 16):
        model = sk.SRNN.random(n, 2, noise=0.5, input_mode="activation", seed=2)
        times = {"g": [], "0": [], "p": []}
        for _ in range(3):
            for key in times:
                _score.PRODUCT_MAX_UNITS = 0 if key == "0" else keep
                t0 = time.perf_counter()
                est = R.linear_response(model, dt=0.02, n_lags=60, method="fdt", seed=1,
                                        score="gaussian" if key == "g" else "learned")
                times[key].append(time.perf_counter() - t0)
        t = {key: np.median(v) for key, v in times.items()}
        print(f"| {n} | {1 + 3 * n} / {1 + 3 * n + n * n} | {t['g']:.2f} | {t['0']:.2f} | "
              f"{t['p']:.2f} | {t['p'] / t['g']:.1f}x |", flush=True)
    _score.PRODUCT_MAX_UNITS = keep


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default=None)
    ap.add_argument("--confirm-cap", type=float, default=30.0)
    ap.add_argument("--part", choices=("all", "time", "goals", "random", "calibration",
                                       "networks", "relu", "products"),
                    default="all",
                    help="time to accuracy, the learned score's goals (with the random 1-D "
                         "networks and the calibration), one of the last two alone, every "
                         "first- and second-order estimator on random small networks, or the "
                         "learned score on 1-D ReLU networks, or its products with the input "
                         "inside a smooth activation")
    args = ap.parse_args()
    print(f"# W-RESP time to accuracy  {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"python {platform.python_version()}, numpy {np.__version__}, scipy "
          f"{scipy.__version__}, srnnkit {sk.__version__}, {platform.machine()}, "
          f"{os.cpu_count()} cores, one thread, rounds={args.rounds}, load average "
          f"{os.getloadavg()[0]:.2f} at start")
    parts = {"all": ("time", "goals"), "random": (), "calibration": (),
             "networks": (), "relu": (), "products": ()}.get(args.part,
                                                                          (args.part,))
    for name, model, dt, L, exact, ests in (cases(args.quick) if "time" in parts else []):
        if args.only and args.only not in name:
            continue
        for method, kw in ests.values():          # compile, calibrate, import: not timed
            small = dict(kw, n_paths=8) if "n_paths" in kw else dict(kw, n_steps=2 * L)
            estimate(model, dt, L, method, small, 0)
        rows, pair = run_case(name, model, dt, L, exact, ests, args.rounds)
        anchor, anchor_call = rows[0][3], rows[0][1]
        print(f"\n## {name}: R(tau) on [0, 3] ({L} lags, dt = {dt}), output {pair[0]}, "
              f"input {pair[1]}\n")
        print("| estimator | samples (pilot) | time [s] | relative SE | time to 1 % [s] | "
              "vs anchor | checked: time [s], relative SE | max bias, in SE |")
        print("|---|---|---|---|---|---|---|---|")
        for (label, t, s, t1, bias), (method, kw) in zip(rows, ests.values(), strict=True):
            n = kw.get("n_paths") or kw["n_chains"] * kw["n_steps"]
            chk = confirm(model, dt, L, method, kw, s, t1, args.confirm_cap, pair)
            chk = "-" if chk is None else f"{chk[0]:.2f}, {100 * chk[1]:.2f} %"
            b = "-" if bias is None else f"{bias[0]:.1e}, {bias[1]:.1f}"
            if s < 1e-9:                 # exact up to rounding (CRN on a linear SRNN)
                print(f"| {label} | {n:.3g} | {t:.2f} | {100 * s:.1e} % (exact) | one call: "
                      f"{t:.3g} | {anchor_call / t:.3g}x (per call) | {chk} | {b} |")
                continue
            ratio = f"{anchor / t1:.3g}x" if anchor > 0 else "-"
            print(f"| {label} | {n:.3g} | {t:.2f} | {100 * s:.2f} % | {t1:.3g} | "
                  f"{ratio} | {chk} | {b} |")
    if "goals" in parts:
        goals(args.rounds, args.quick)
    if args.part in ("all", "goals", "random"):
        random_1d()
    if args.part in ("all", "goals", "calibration"):
        calibration()
    if args.part in ("all", "networks"):
        random_networks()
        random_networks_second()
    if args.part in ("all", "relu"):
        relu_1d()
    if args.part in ("all", "products"):
        products()
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
