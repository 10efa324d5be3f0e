r"""Robustness to input noise, predicted from the first-order kernel and measured.

White noise of standard deviation :math:`\nu s_a` added to channel ``a`` of every input
step (:math:`\nu` in units of the channel's standard deviation :math:`s_a`) changes the
mean output at the readout step :math:`L` by :math:`\sum_j \Delta\,r_1(L-1-j)\,\eta_j` to
first order (docs/theory.md (2.4)), so its variance is

.. math:: \mathrm{Var}_i = \nu^2\Delta^2\sum_{k<L}\sum_a r_{1,ia}(k)^2 s_a^2,

the discrete form of :math:`s^2\int|R_1|^2` for a white input of level :math:`s =
\nu\sqrt\Delta`. The same covariance, :math:`\nu^2\Delta^2\sum_k r_1(k)\,\mathrm{diag}(s^2)
\,r_1(k)^\top`, added to the clean class scores predicts the accuracy under noise.

Measured: (a) the mean output :math:`E f(h_L)` of the network started in its stationary law
(the setting of the prediction), from ``n_paths`` paths per test series shared by all noisy
copies; its variance over the noise is estimated without the Monte Carlo bias by averaging,
over pairs of distinct paths :math:`p \ne q`, the covariance across noisy copies of
:math:`f(\eta_k;\xi_p)` and :math:`f(\eta_k;\xi_q)` (unbiased for
:math:`\mathrm{Var}_\eta E_\xi f`); (b) for an estimator, its own outputs (as it predicts,
e.g. the noise-free path from :math:`h_0 = 0`) and its accuracy on the noisy copies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._parallel import seed_child
from .._random import child_sequences
from ..model._linear import psd_sqrt
from ._ensemble import crn_outputs, pad_series

__all__ = ["Robustness", "predicted_output_covariance", "robustness"]

#: Gaussian draws per test series for the predicted accuracy
PREDICTION_DRAWS = 256


@dataclass
class Robustness:
    r"""Output variance and score under white input noise, predicted and measured.

    Parameters
    ----------
    noise_levels : ndarray of shape (K,)
        :math:`\nu`, in units of each channel's standard deviation.
    predicted_variance, predicted_variance_stderr : ndarray of shape (K,)
        Kernel prediction of the output variance (mean over outputs and test series).
    measured_variance, measured_variance_stderr : ndarray of shape (K,)
        Variance of the mean output :math:`E f(h_L)` (stationary start), same average.
    deployed_variance, deployed_variance_stderr : ndarray of shape (K,) or None
        Variance of the estimator's own outputs (None for a bare SRNN).
    metric : str or None
        ``"accuracy"`` (classifier), ``"rmse"`` (regressor) or None (no targets).
    clean_score : float or None
    noisy_score, noisy_score_stderr, predicted_score : ndarray of shape (K,) or None
        Measured score on the noisy copies (SE over test series) and the kernel prediction.
    n_series, n_draws, n_paths : int
    stationary_score : float or None
        Accuracy of the mean output :math:`E f(h_L)` of the network started in its stationary
        law (the setting of the kernels), on the clean test series.

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> model = sk.SRNN(W=[[0.5]], C=[[1.0]], sigma=0.3, gamma=2.0, activation="identity")
    >>> from srnnkit.analysis import robustness
    >>> r1 = sk.response.linear_response(model, dt=0.1, n_lags=20, discrete=True)
    >>> series = [np.random.default_rng(0).standard_normal((20, 1)) for _ in range(4)]
    >>> rob = robustness(model, 0.1, series, r1, np.zeros((4, 8, 1)),
    ...                  noise_levels=(0.1, 1.0), n_draws=16, seed=0)
    >>> float(rob.predicted_variance[1] / rob.predicted_variance[0])   # nu^2 scaling
    100.0
    >>> bool(np.isclose(rob.predicted_variance[1],              # dt^2 sum_k<20 0.85^2k
    ...                 0.01 * sum(0.85 ** (2 * k) for k in range(20))))
    True
    """

    noise_levels: np.ndarray
    predicted_variance: np.ndarray
    predicted_variance_stderr: np.ndarray
    measured_variance: np.ndarray
    measured_variance_stderr: np.ndarray
    deployed_variance: np.ndarray | None
    deployed_variance_stderr: np.ndarray | None
    metric: str | None
    clean_score: float | None
    noisy_score: np.ndarray | None
    noisy_score_stderr: np.ndarray | None
    predicted_score: np.ndarray | None
    n_series: int
    n_draws: int
    n_paths: int
    stationary_score: float | None = None

    @property
    def ratio(self) -> np.ndarray:
        """Measured over predicted variance (mean output, stationary start)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.measured_variance / self.predicted_variance


def predicted_output_covariance(first: Any, length: int, scale: Any) -> np.ndarray:
    r""":math:`\Delta^2\sum_{k<L} r_1(k)\,\mathrm{diag}(s^2)\,r_1(k)^\top` (p, p): the output
    covariance per unit noise level :math:`\nu^2` of a series of ``length`` steps.

    Parameters
    ----------
    first : ResponseFunction
        A first-order kernel (lags beyond its window count as zero).
    length : int
        Steps of the series, :math:`L`.
    scale : array-like of shape (m,)
        The per-channel standard deviations :math:`s_a`.

    Returns
    -------
    ndarray of shape (p, p)

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> from srnnkit.analysis import predicted_output_covariance
    >>> model = sk.SRNN(W=[[0.5]], C=[[1.0]], sigma=0.3, gamma=2.0, activation="identity")
    >>> r1 = sk.response.linear_response(model, dt=0.1, n_lags=50, discrete=True)
    >>> cov = predicted_output_covariance(r1, 50, [1.0])
    >>> bool(np.isclose(cov[0, 0], 0.01 * sum(0.85 ** (2 * k) for k in range(50))))
    True
    """
    from .._validation import check_array, check_int, fail
    from ..response import ResponseFunction

    if not isinstance(first, ResponseFunction):
        fail("first", "a first-order ResponseFunction", type(first).__name__, TypeError)
    length = check_int("length", length, low=1)
    m = first.values.shape[2]
    scale = check_array("scale", scale, shape=(m,), shape_text=f"(n_inputs,) = ({m},)")
    if np.any(scale < 0):
        fail("scale", "non-negative standard deviations", float(scale.min()))
    r = first.values[:min(length, first.n_lags)]                  # (k, p, m)
    s2 = scale ** 2
    return first.dt ** 2 * np.einsum("kia,a,kja->ij", r, s2, r)


def _prediction(first: Any, lengths: np.ndarray, scale: np.ndarray, levels: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Predicted variance (mean over outputs and series), its SE, per-series covariances."""
    covs = [predicted_output_covariance(first, L, scale) for L in lengths]
    unit = np.mean([np.trace(c) for c in covs]) / first.n_outputs
    se_r = first.stderr if first.stderr is not None else np.zeros_like(first.values)
    grads = []
    for L in lengths:       # d(unit)/d r = 2 dt^2 r s^2 / p per series; SE by the delta method
        r = first.values[:min(int(L), first.n_lags)]
        grads.append(np.sum((2 * first.dt ** 2 * r * scale ** 2 * se_r[:r.shape[0]]) ** 2))
    unit_se = np.sqrt(np.mean(grads)) / first.n_outputs
    return levels ** 2 * unit, levels ** 2 * unit_se, covs


def _pair_variance(F: np.ndarray) -> np.ndarray:
    """Unbiased :math:`\\mathrm{Var}_\\eta E_\\xi f` per series from F (K, S, P, p): noisy copies
    k share the paths p. Averages over outputs; returns (S,)."""
    K, _, P, _ = F.shape
    G = F - F.mean(axis=0, keepdims=True)
    tot = G.sum(axis=2)                                            # (K, S, p)
    pairs = (tot ** 2 - (G ** 2).sum(axis=2)).sum(axis=0) / ((K - 1) * P * (P - 1))
    return pairs.mean(axis=-1)


class _Noisy:
    """The clean test series and their noisy copies, a block of steps at a time.

    Series ``s`` draws the noise of its copies from its own child ``(s,)`` of ``root``, step
    after step (``(levels, draws, m)`` normals a step, zero past the series' end), so the
    noise of a series depends neither on the other series nor on the blocks of steps in
    which it is drawn (a block of steps is drawn in one call; NumPy's normals do not depend
    on how a stream is cut).
    """

    def __init__(self, U: np.ndarray, lengths: np.ndarray, levels: np.ndarray,
                 n_draws: int, scale: np.ndarray, root: Any) -> None:
        self.U, self.lengths, self.levels, self.K = U, lengths, levels, n_draws
        self.scale, self.root = scale, root
        self.rngs: dict[int, np.random.Generator] = {}

    def noise(self, s: int, j0: int, j1: int) -> np.ndarray:
        """Noise (levels, draws, j1 - j0, m) of series ``s``'s copies at steps ``j0..j1-1``
        (the next block of its stream; ``j0 = 0`` starts it again)."""
        if j0 == 0:
            self.rngs[s] = np.random.default_rng(seed_child(self.root, s))
        z = self.rngs[s].standard_normal((j1 - j0, self.levels.size, self.K, self.U.shape[2]))
        z[max(0, self.lengths[s] - j0):] = 0.0
        return np.moveaxis(z, 0, 2) * (self.levels[:, None, None, None] * self.scale)

    def __call__(self, chunk: slice, j0: int, j1: int) -> np.ndarray:
        """The variants (1 + levels x draws, c, j1 - j0, m): clean, then the noisy copies."""
        U = self.U[chunk, j0:j1]
        out = np.empty((1 + self.levels.size * self.K, *U.shape))
        out[0] = U
        for i, s in enumerate(range(chunk.start, chunk.stop)):
            out[1:, i] = U[i] + self.noise(s, j0, j1).reshape(-1, *U.shape[1:])
        return out


def _measured(model: Any, dt: float, noisy: _Noisy, h0: np.ndarray, seed: Any
              ) -> tuple[np.ndarray, np.ndarray]:
    """Variance of the stationary-start mean output per level: (mean, SE over series)."""
    from ._ensemble import BLOCK_FLOATS, crn_guard, largest_input_row

    nl, K = noisy.levels.size, noisy.K
    S, N, m = noisy.U.shape
    V, P, lengths = 1 + nl * K, h0.shape[1], noisy.lengths
    T = max(1, BLOCK_FLOATS // (V * S * m))
    every = slice(0, S)
    # the divergence guard of every noisy copy: a first pass over the noise (drawn again)
    row = largest_input_row(model, (noisy(every, j0, min(N, j0 + T)) for j0 in range(0, N, T)))
    ends = np.zeros((V, S, P, model.n_outputs))

    def reduce(chunk: slice, j: int, F: np.ndarray) -> None:
        hit = np.nonzero(lengths[chunk] == j)[0]
        if hit.size:
            ends[:, chunk.start + hit] = F[:, hit]

    crn_outputs(model, dt, noisy, h0, seed, reduce, shape=(V, S, N),
                guard=crn_guard(model, dt, row, h0, N))
    per = np.stack([_pair_variance(ends[1 + l * K:1 + (l + 1) * K]) for l in range(nl)])
    return per.mean(axis=1), _series_se(per)


def _deployed_outputs(deployed: Callable, series: list[np.ndarray], noisy: _Noisy
                      ) -> tuple[np.ndarray, np.ndarray]:
    """The estimator's own outputs on the clean series (S, p) and on their noisy copies
    (levels, draws, S, p), called on groups of series of at most ``BLOCK_FLOATS`` input
    floats (one series at least; the copies made one series at a time): its output on a
    series depends only on that series, so the groups do not change it."""
    from itertools import islice

    from ._ensemble import BLOCK_FLOATS

    nl, K = noisy.levels.size, noisy.K
    g = max(1, BLOCK_FLOATS // max(1, noisy.U.shape[1] * noisy.U.shape[2]))

    def run(batches: Any) -> np.ndarray:
        parts = []
        while batch := list(islice(batches, g)):
            parts.append(deployed(batch))
        return np.concatenate(parts)

    def copies() -> Any:
        for s, w in enumerate(series):
            z = noisy.noise(s, 0, w.shape[0])                  # (levels, draws, L, m)
            yield from (w + z[l, k] for l in range(nl) for k in range(K))

    outs = run(copies()).reshape(len(series), nl, K, -1)
    return run(iter(series)), np.moveaxis(outs, 0, 2)


def robustness(model: Any, dt: float, series: list[np.ndarray], first: Any, h0: np.ndarray, *,
               noise_levels: Any, n_draws: int, scale: Any = None,
               deployed: Callable[[list[np.ndarray]], np.ndarray] | None = None,
               targets: Any = None, metric: str | None = None, seed: Any = None
               ) -> Robustness:
    r"""Predicted and measured effect of white input noise on ``model``'s outputs.

    Parameters
    ----------
    model : SRNN
    dt : float
        The Euler-Maruyama step.
    series : list of ndarray of shape (L_i, m)
        S test series in the network's units.
    first : ResponseFunction
        The network's first-order kernel.
    h0 : ndarray of shape (S, P, n)
        Starting states of the P paths of each series (stationary draws).
    noise_levels : sequence of float
        :math:`\nu`, in units of each channel's standard deviation.
    n_draws : int
        Noisy copies of each series per level (two or more).
    scale : array-like of shape (m,), optional
        The channels' standard deviations in the network's units (default 1).
    deployed : callable, optional
        ``deployed(list of series) -> (S, p)``: an estimator's own outputs (then ``targets``
        and ``metric`` score them).
    targets : array-like of shape (S,), optional
        Class codes (``metric="accuracy"``) or targets (``"rmse"``).
    metric : {"accuracy", "rmse"}, optional
    seed : int, Generator, SeedSequence or None

    Returns
    -------
    Robustness

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> model = sk.SRNN(W=[[0.5]], C=[[1.0]], sigma=0.3, gamma=2.0, activation="identity")
    >>> from srnnkit.analysis import robustness
    >>> r1 = sk.response.linear_response(model, dt=0.1, n_lags=20, discrete=True)
    >>> series = [np.random.default_rng(0).standard_normal((20, 1)) for _ in range(4)]
    >>> rob = robustness(model, 0.1, series, r1, np.zeros((4, 8, 1)),
    ...                  noise_levels=(0.1, 1.0), n_draws=16, seed=0)
    >>> float(rob.predicted_variance[1] / rob.predicted_variance[0])   # nu^2 scaling
    100.0
    >>> bool(np.isclose(rob.predicted_variance[1],              # dt^2 sum_k<20 0.85^2k
    ...                 0.01 * sum(0.85 ** (2 * k) for k in range(20))))
    True
    """
    levels = np.asarray(noise_levels, dtype=float)
    U, lengths = pad_series(series)
    S, _, m = U.shape
    scale = np.ones(m) if scale is None else np.asarray(scale, dtype=float)
    s_noise, s_pred = child_sequences(seed, 2)
    noisy = _Noisy(U, lengths, levels, int(n_draws), scale, s_noise)
    pred, pred_se, covs = _prediction(first, lengths, scale, levels)
    meas, meas_se = _measured(model, dt, noisy, h0, seed)
    out = Robustness(levels, pred, pred_se, meas, meas_se, None, None, metric, None, None,
                     None, None, S, int(n_draws), int(h0.shape[1]))
    if deployed is not None:
        clean, outs = _deployed_outputs(deployed, series, noisy)
        _deployed(out, clean, outs, covs, targets, metric, s_pred)
    return out


def _deployed(out: Robustness, clean: np.ndarray, outs: np.ndarray, covs: list[np.ndarray],
              targets: Any, metric: str | None, seed: Any) -> None:
    """The estimator's own outputs on the clean series (S, p) and on the noisy copies
    (levels, draws, S, p): variance, score, predicted score."""
    S = clean.shape[0]
    per = outs.var(axis=1, ddof=1).mean(axis=-1)                      # (nl, S)
    out.deployed_variance = per.mean(axis=1)
    out.deployed_variance_stderr = _series_se(per)
    if targets is None or metric is None:
        return
    y = np.asarray(targets)
    rng = np.random.default_rng(seed)
    roots = [psd_sqrt(c) for c in covs]
    draws = np.stack([clean[s] + rng.standard_normal((PREDICTION_DRAWS, clean.shape[1]))
                      @ roots[s].T for s in range(S)])                # unit level
    base = draws - clean[:, None]
    if metric == "accuracy":
        out.clean_score = float(np.mean(clean.argmax(axis=1) == y))
        hits = (outs.argmax(axis=-1) == y[None, None]).mean(axis=1)    # (nl, S)
        out.predicted_score = np.array([np.mean((clean[:, None] + lv * base).argmax(-1)
                                                == y[:, None]) for lv in out.noise_levels])
        out.noisy_score = hits.mean(axis=1)
        out.noisy_score_stderr = _series_se(hits)
        return
    yy = y.reshape(S, -1)
    mse0 = float(np.mean((clean - yy) ** 2))
    out.clean_score = float(np.sqrt(mse0))
    mse = ((outs - yy[None, None]) ** 2).mean(axis=(1, 3))             # (nl, S)
    out.noisy_score = np.sqrt(mse.mean(axis=1))
    out.noisy_score_stderr = _series_se(mse) / (2 * out.noisy_score)
    out.predicted_score = np.sqrt(mse0 + out.noise_levels ** 2 * np.mean(base ** 2))


def _series_se(per: np.ndarray) -> np.ndarray:
    """Standard error of the mean over the test series (axis 1): their spread / sqrt(S); inf
    (unknown, said as such) for a single series, where a spread does not exist."""
    S = per.shape[1]
    if S < 2:
        return np.full(per.shape[0], np.inf)
    return per.std(axis=1, ddof=1) / np.sqrt(S)
