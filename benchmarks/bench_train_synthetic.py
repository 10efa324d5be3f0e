"""NoisyRNNClassifier() on a synthetic task whose class information sits at a fixed number of
steps: sinusoids of period 5 or 8 steps (random phase, Gaussian noise 0.5), beside aeon's
MiniRocket (benchmarks/train.md, "Synthetic held-out-style checks")::

    python benchmarks/bench_train_synthetic.py --length 100 --seeds 3
    python benchmarks/bench_train_synthetic.py --length 100 --dt 0.08

Prints test and training accuracy and the fit's CPU seconds per seed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

from srnnkit.learning import NoisyRNNClassifier


def periods(length, n_per_class, seed, noise=0.5):
    """Series (2 n_per_class, length, 1) of period 5 (class 0) or 8 (class 1) steps."""
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n_per_class)
    per = np.where(y == 0, 5.0, 8.0)[:, None]
    phase = rng.uniform(0, 2 * np.pi, (len(y), 1))
    X = np.sin(2 * np.pi * np.arange(length) / per + phase)
    X = X + noise * rng.standard_normal(X.shape)
    return X[:, :, None], y


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--length", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--dt", type=float, default=None)
    parser.add_argument("--minirocket", action="store_true")
    args = parser.parse_args(argv)
    for seed in range(args.seeds):
        X, y = periods(args.length, 50, 2 * seed)
        X_test, y_test = periods(args.length, 50, 2 * seed + 1)
        c0 = time.process_time()
        clf = NoisyRNNClassifier(dt=args.dt, random_state=seed).fit(X, y)
        cpu = time.process_time() - c0
        line = (f"length {args.length} dt {clf.dt_:.3g} seed {seed}: test "
                f"{clf.score(X_test, y_test):.2f}, train {clf.score(X, y):.2f}, {cpu:.1f} s CPU")
        if args.minirocket:
            from aeon.classification.convolution_based import MiniRocketClassifier

            mr = MiniRocketClassifier(random_state=seed, n_jobs=1)
            mr.fit(X.transpose(0, 2, 1), y)
            line += f"; MiniRocket {mr.score(X_test.transpose(0, 2, 1), y_test):.2f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
