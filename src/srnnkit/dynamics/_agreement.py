r"""Do independent stationary runs agree? The between/within ratio of their mean outputs.

An estimator that reads "the stationary law" from a few long runs (Girsanov, FDT, pathwise)
assumes every run samples the same law. A network with several stable states that the noise
switches between too rarely breaks this: each run settles in one state, and the estimate is
the mixture its runs happened to reach. The ratio compares the spread of the runs' mean
outputs with what each run's own fluctuations explain (batch means), per output:

.. math:: \rho_i = \frac{\frac{1}{M-1}\sum_j (\bar f_{ij} - \bar f_i)^2}
          {\frac{1}{M}\sum_j \frac{1}{b(b-1)}\sum_c (\bar f_{ijc} - \bar f_{ij})^2}
          \sim F\bigl(M-1,\, M(b-1)\bigr)

for ``M`` runs of ``b`` batches each, when the runs mix and the batches are longer than the
correlation time (Gelman and Rubin's between/within comparison, with the within-run variance
of the mean from batch means). A ratio beyond the :math:`1 - 10^{-4}/p` quantile flags the
runs. Runs that all settle in the *same* state agree, so no check on them can see the other
states; `srnnkit.analysis.analyze_network` runs 64 short runs for that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["FALSE_ALARM", "RunAgreement", "RunWatch", "RunsDisagreeWarning", "agreement",
           "batch_means", "between_within", "watching"]

#: false-alarm probability of the flag (over all outputs together)
FALSE_ALARM = 1e-4


class RunsDisagreeWarning(UserWarning):
    r"""The independent stationary runs of an estimator do not sample one law.

    ``linear_response(method="fdt" | "girsanov" | "pathwise")`` compares the spread of its
    runs' mean outputs with each run's own fluctuations (the between/within ratio of
    :mod:`srnnkit.dynamics._agreement`, recorded in ``info["runs"]``). A ratio beyond its
    :math:`1 - 10^{-4}` quantile means the runs settled in different stable states: the
    estimate is the mixture they reached, and its standard error is unreliable.

    Examples
    --------
    >>> import warnings
    >>> import srnnkit as sk
    >>> flip = sk.SRNN(W=[[3.0]], C=[[1.0]], sigma=0.2, input_mode="activation")
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     rf = sk.response.linear_response(flip, dt=0.1, n_lags=5, method="girsanov",
    ...                                      n_chains=8, n_steps=2000, seed=3)
    >>> [w.category.__name__ for w in caught], rf.info["runs"]["agree"]
    (['RunsDisagreeWarning'], False)
    """


def batch_means(outputs: np.ndarray, n_batches: int) -> np.ndarray:
    """Means of ``n_batches`` consecutive equal batches of outputs (M, T, p): (M, b, p).

    The last ``T mod n_batches`` steps are left out so that the batches have equal lengths.
    """
    M, T, p = outputs.shape
    size = T // n_batches
    return outputs[:, :size * n_batches].reshape(M, n_batches, size, p).mean(axis=2)


def between_within(batch: np.ndarray) -> np.ndarray:
    r"""The ratio :math:`\rho_i` of the module docstring for batch means (M, b, p): (p,).

    Examples
    --------
    >>> import numpy as np
    >>> from srnnkit.dynamics._agreement import between_within
    >>> rng = np.random.default_rng(0)
    >>> same = rng.standard_normal((64, 4, 1))              # one law: about 1
    >>> split = same + 5.0 * (np.arange(64) % 2)[:, None, None]
    >>> bool(between_within(same)[0] < 2), bool(between_within(split)[0] > 20)
    (True, True)
    """
    n_batches = batch.shape[1]
    between = batch.mean(axis=1).var(axis=0, ddof=1)
    within = (batch.var(axis=1, ddof=1) / n_batches).mean(axis=0)
    return between / np.maximum(within, np.finfo(float).tiny)


@dataclass
class RunAgreement:
    """Result of `agreement`.

    Parameters
    ----------
    ratio : ndarray of shape (p,)
        Between-run variance of the runs' mean outputs over the within-run variance of a
        run's mean, per output (about 1 when the runs sample one law).
    threshold : float
        The flag's threshold (the F quantile).
    run_means : ndarray of shape (M, p)
        Each run's mean output.
    """

    ratio: np.ndarray
    threshold: float
    run_means: np.ndarray

    @property
    def agree(self) -> bool:
        """Whether no output's ratio exceeds the threshold."""
        return bool(np.all(self.ratio <= self.threshold))

    def as_info(self) -> dict[str, Any]:
        """The summary an estimator's ``info`` carries."""
        return {"between/within": float(self.ratio.max()), "threshold": self.threshold,
                "n_runs": int(self.run_means.shape[0]), "agree": self.agree}


def agreement(batch: np.ndarray, false_alarm: float = FALSE_ALARM) -> RunAgreement | None:
    """The between/within check of batch means (M, b, p); ``None`` below two runs or two
    batches (nothing to compare)."""
    from scipy.stats import f as f_dist

    M, b, p = batch.shape
    if M < 2 or b < 2:
        return None
    level = float(f_dist.ppf(1.0 - false_alarm / p, M - 1, M * (b - 1)))
    return RunAgreement(ratio=between_within(batch), threshold=level,
                        run_means=batch.mean(axis=1))


class RunWatch:
    """Collects the batch means of the outputs of an estimator's stationary runs as they go.

    ``watch.body(body)`` wraps a `map_chains` body (``states`` first) so that it also returns
    the runs' batch means; ``watch.results(iterator)`` unwraps the results in order and keeps
    the means; ``watch.check()`` is the `agreement` of all runs so far.

    Parameters
    ----------
    model : SRNN
        The network (its readout gives the outputs).
    n_batches : int, default=4
        Batches per run.

    Examples
    --------
    >>> import srnnkit as sk
    >>> from srnnkit._parallel import Runner
    >>> from srnnkit.dynamics import map_chains
    >>> from srnnkit.dynamics._agreement import RunWatch
    >>> flip = sk.SRNN(W=[[3.0]], C=[[1.0]], sigma=0.2, input_mode="activation")
    >>> watch = RunWatch(flip)
    >>> runs = map_chains(Runner(), watch.body(lambda h, xi: h.shape), flip, 0.1, 8, 2000,
    ...                   seed=3, burn_in=200)
    >>> shapes = list(watch.results(runs))
    >>> watch.check().agree                 # runs settled at +-2.99, never switching
    False
    """

    def __init__(self, model: Any, n_batches: int = 4) -> None:
        self.model, self.n_batches = model, n_batches
        self.batches: list[np.ndarray] = []

    def body(self, body: Callable) -> Callable:
        """``body`` that also returns the batch means of its runs' outputs."""
        model, b = self.model, self.n_batches

        def watched(states: np.ndarray, *rest: Any) -> tuple:
            return batch_means(model.output(states[:, 1:]), b), body(states, *rest)
        return watched

    def results(self, items: Iterable[tuple]) -> Iterator:
        """The results of a watched body, in order, keeping their batch means."""
        for means, result in items:
            self.batches.append(means)
            yield result

    def check(self) -> RunAgreement | None:
        """The `agreement` of every run seen so far."""
        if not self.batches:
            return None
        return agreement(np.concatenate(self.batches, axis=0))


class _NoWatch:
    """A `RunWatch` that keeps nothing (the estimators' default)."""

    @staticmethod
    def body(body: Callable) -> Callable:
        return body

    @staticmethod
    def results(items: Iterable) -> Iterable:
        return items


def watching(watch: RunWatch | None) -> RunWatch | _NoWatch:
    """``watch``, or a watch that keeps nothing when it is ``None``."""
    return _NoWatch() if watch is None else watch
