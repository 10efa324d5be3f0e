"""W-TRAIN (BENCHMARKS.md): trained noise-injected RNNs, NoisyRNNClassifier with its defaults.

Run under the shared lock (one benchmark at a time on the machine)::

    flock /tmp/srnnkit-bench.lock python benchmarks/bench_train.py digits --seeds 5
    flock /tmp/srnnkit-bench.lock python benchmarks/bench_train.py panel --seeds 5

``digits``: scikit-learn's 8x8 digits read row by row (8 steps x 8 channels), 70/30 split
stratified with random_state=0; NoisyRNNClassifier() beside a PyTorch LSTM(64) (60 epochs, Adam
3e-3, batch 64, two threads, the setup of BENCHMARKS.md) in the same process, interleaved
over seeds. ``panel``: the short sets of the development panel (JapaneseVowels, BasicMotions,
GunPoint, ItalyPowerDemand; ``--sets long`` for the rest of the panel: Chinatown, Coffee,
PigCVP, PLAID) beside aeon's MiniRocket (edge-padded to equal lengths for aeon only).
Accuracy: mean and standard deviation over seeds; time: median fit + predict seconds, and
its ratio to the peer's. The noise-averaged prediction (``prediction="noise-averaged"``, 32
paths) of the same fitted networks is reported beside the default noise-free one.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

from srnnkit.learning import NoisyRNNClassifier

PANEL = ["JapaneseVowels", "BasicMotions", "GunPoint", "ItalyPowerDemand"]
#: the rest of the development panel (BENCHMARKS.md): longer series, run with --sets
LONG = ["Chinatown", "Coffee", "PigCVP", "PLAID"]


def digits_rows():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    return train_test_split(d.images.astype(float), d.target, test_size=0.3,
                            stratify=d.target, random_state=0)


def lstm_fit_score(X, y, X_test, y_test, seed, epochs=60, threads=2):
    """LSTM(64) on the last hidden state, Adam 3e-3, batch 64, standardised channels."""
    import torch

    saved = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        t0 = time.perf_counter()
        torch.manual_seed(seed)
        mu, sd = X.reshape(-1, X.shape[2]).mean(0), X.reshape(-1, X.shape[2]).std(0)
        sd[sd == 0] = 1.0
        Xt = torch.tensor((X - mu) / sd, dtype=torch.float32)
        Xv = torch.tensor((X_test - mu) / sd, dtype=torch.float32)
        classes, codes = np.unique(y, return_inverse=True)
        Y = torch.tensor(codes)
        lstm = torch.nn.LSTM(X.shape[2], 64, batch_first=True)
        head = torch.nn.Linear(64, len(classes))
        params = list(lstm.parameters()) + list(head.parameters())
        opt = torch.optim.Adam(params, lr=3e-3)
        loss_fn = torch.nn.CrossEntropyLoss()
        for _ in range(epochs):
            perm = torch.randperm(len(Xt))
            for i in range(0, len(Xt), 64):
                idx = perm[i:i + 64]
                out, _ = lstm(Xt[idx])
                loss = loss_fn(head(out[:, -1]), Y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
        with torch.no_grad():
            out, _ = lstm(Xv)
            pred = classes[head(out[:, -1]).argmax(1).numpy()]
        return float(np.mean(pred == y_test)), time.perf_counter() - t0
    finally:
        torch.set_num_threads(saved)


def ours_fit_score(X, y, X_test, y_test, seed):
    """NoisyRNNClassifier() (fit runs torch on one thread; NumPy prediction on one thread)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        t0 = time.perf_counter()
        clf = NoisyRNNClassifier(random_state=seed).fit(X, y)
        acc = float(clf.score(X_test, y_test))
        seconds = time.perf_counter() - t0
        clf.set_params(prediction="noise-averaged")
        return acc, seconds, float(clf.score(X_test, y_test)), clf


def load_panel(name):
    """A panel set from the files the peers bundle (never downloaded): bench_learning's
    loader, with aeon's layout edge-padded to equal lengths for MiniRocket."""
    sys.path.insert(0, os.path.dirname(__file__))
    from bench_learning import panel_set

    return panel_set(name)


def minirocket_fit_score(Xa, y, Xa_test, y_test, seed):
    from aeon.classification.convolution_based import MiniRocketClassifier
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        t0 = time.perf_counter()
        clf = MiniRocketClassifier(random_state=seed, n_jobs=1).fit(Xa, y)
        acc = float(np.mean(clf.predict(Xa_test) == y_test))
        return acc, time.perf_counter() - t0


def summary(rows, name, ours_label, peer_label):
    a = np.array([r[0] for r in rows["ours"]])
    an = np.array([r[2] for r in rows["ours"]])
    t = np.median([r[1] for r in rows["ours"]])
    p = np.array([r[0] for r in rows["peer"]])
    tp = np.median([r[1] for r in rows["peer"]])
    print(f"| {name} | {ours_label} | {a.mean():.3f} ± {a.std():.3f} | "
          f"{an.mean():.3f} ± {an.std():.3f} | {t:.2f} | {t / tp:.1f}x |")
    print(f"| {name} | {peer_label} | {p.mean():.3f} ± {p.std():.3f} | | {tp:.2f} | 1 |",
          flush=True)


def header():
    load = os.getloadavg()
    import sklearn
    import torch

    print(f"date {time.strftime('%Y-%m-%d %H:%M')}, {platform.machine()}, "
          f"{os.cpu_count()} cores, load average at start {load[0]:.2f} {load[1]:.2f}")
    print(f"Python {platform.python_version()}, numpy {np.__version__}, torch "
          f"{torch.__version__}, scikit-learn {sklearn.__version__}")
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, cwd=os.path.dirname(__file__)).stdout.strip()
        print(f"srnnkit commit {rev}")
    except OSError:
        pass
    print("| set | method | accuracy (noise-free) | accuracy (noise-averaged) | seconds "
          "(fit + predict) | time / peer |")
    print("|---|---|---|---|---|---|", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workload", choices=["digits", "panel"])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--sets", default=",".join(PANEL))
    parser.add_argument("--lstm-threads", type=int, default=2)
    args = parser.parse_args(argv)
    header()
    if args.workload == "digits":
        X, X_test, y, y_test = digits_rows()
        # warm-up (imports, torch.optim's first-use compilation stack) outside the timings
        ours_fit_score(X[:40], y[:40], X_test[:5], y_test[:5], 0)
        lstm_fit_score(X[:40], y[:40], X_test[:5], y_test[:5], 0, epochs=1)
        rows = {"ours": [], "peer": []}
        for seed in range(args.seeds):
            acc, sec, acc_n, clf = ours_fit_score(X, y, X_test, y_test, seed)
            rows["ours"].append((acc, sec, acc_n))
            rows["peer"].append(lstm_fit_score(X, y, X_test, y_test, seed,
                                               threads=args.lstm_threads))
            print(f"  seed {seed}: ours {acc:.4f} ({acc_n:.4f} noise-averaged) {sec:.1f} s, "
                  f"{clf.n_epochs_} epochs; LSTM {rows['peer'][-1][0]:.4f} "
                  f"{rows['peer'][-1][1]:.1f} s", flush=True)
        summary(rows, "digits (rows)", "NoisyRNNClassifier()",
                f"PyTorch LSTM(64), {args.lstm_threads} thread(s)")
        return
    for name in (LONG if args.sets == "long" else args.sets.split(",")):
        X, y, X_test, y_test, Xa, Xa_test = load_panel(name)
        minirocket_fit_score(Xa, y, Xa_test[:5], y_test[:5], 0)     # warm-up (numba JIT)
        rows = {"ours": [], "peer": []}
        for seed in range(args.seeds):
            acc, sec, acc_n, _ = ours_fit_score(X, y, X_test, y_test, seed)
            rows["ours"].append((acc, sec, acc_n))
            rows["peer"].append(minirocket_fit_score(Xa, y, Xa_test, y_test, seed))
            print(f"  {name} seed {seed}: ours {acc:.4f} ({acc_n:.4f}) {sec:.1f} s; "
                  f"MiniRocket {rows['peer'][-1][0]:.4f} {rows['peer'][-1][1]:.2f} s",
                  flush=True)
        summary(rows, name, "NoisyRNNClassifier()", "aeon MiniRocket")


if __name__ == "__main__":
    main()
