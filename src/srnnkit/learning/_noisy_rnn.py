"""Noise-injected RNNs trained by gradient (PyTorch), behind scikit-learn's API.

Importing this module never imports torch: `fit` does (the optional extra
``pip install "srnnkit[torch]"``). Prediction runs on the fitted `srnn_` in NumPy, so a
loaded model predicts without torch.
"""

from __future__ import annotations

import math
import time
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MultiOutputMixin, RegressorMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._progress import Task, current_task, progress_setting
from .._random import child_sequences
from .._validation import check_memory, fail
from ..dynamics._drift import EulerStep
from ._input import (
    SeriesInputMixin,
    SeriesScoreMixin,
    as_series_list,
    channel_scaling,
    check_labels,
    check_not_constant,
    check_params,
    check_targets,
    check_two_classes,
    record_fit_input,
    scaled,
    standardization,
)

__all__ = ["NoisyRNNClassifier", "NoisyRNNRegressor"]

#: The typical (median-length) training series spans this many time units (dt = HORIZON /
#: its n_steps).
HORIZON = 4.0
#: Initial leak rates are log-uniform on [1 / n_steps, 1 / LEAK_STEPS] / dt: memories from
#: LEAK_STEPS steps (the input's own step, the shortest feature a series can carry) to the
#: whole series.
LEAK_STEPS = 1.0
#: A unit whose range 1/leak is below n_steps dt / UNIT_RANGE (the fastest initial memory
#: before LEAK_STEPS, a tenth of the series) has its recurrent-weight and readout columns
#: trained in units of its range: unit_scale = max(1, leak n_steps dt / UNIT_RANGE).
UNIT_RANGE = 10.0

_PARAMS: dict[str, list] = {
    "n_hidden": [Interval(Integral, 1, None, closed="left")],
    "dt": [Interval(Real, 0, None, closed="neither"), None],
    "sigma": [Interval(Real, 0, None, closed="left")],
    "sigma_mult": [Interval(Real, 0, None, closed="left")],
    "activation": [StrOptions({"tanh", "identity", "relu", "sigmoid"})],
    "parameterization": [StrOptions({"free", "dissipative", "lipschitz"})],
    "learning_rate": [Interval(Real, 0, None, closed="neither")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "max_updates": [Interval(Integral, 1, None, closed="left")],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    "prediction": [StrOptions({"noise-free", "noise-averaged"})],
    "n_paths": [Interval(Integral, 1, None, closed="left")],
    "random_state": ["random_state", np.random.Generator],
}


def _import_torch() -> Any:
    try:
        import torch
    except ImportError as err:  # pragma: no cover - exercised in a subprocess by tests/nn
        raise ImportError('training a NoisyRNN needs PyTorch: pip install "srnnkit[torch]"'
                          ) from err
    return torch


def _mean_outputs(model: Any, series: list[np.ndarray], *, dt: float, n_paths: int = 1,
                 seed: Any = None) -> np.ndarray:
    r"""Output at each series' last step, :math:`E f(h_{L_i})`, by Euler-Maruyama in NumPy.

    Every series starts from :math:`h_0 = 0` and steps
    :math:`h_{k+1} = h_k + \Delta F(h_k, u_k) + \sqrt\Delta\,\sigma\xi_k` with the model's own
    drift ``model.drift``. ``n_paths=1`` with ``seed=None`` is the noise-free path
    (:math:`\xi = 0`); otherwise ``n_paths`` noise paths are averaged. The noise of step k is
    the same for every series (common random numbers), drawn in step order from ``seed``, so a
    series' output depends only on itself, never on the other series passed with it.

    Parameters
    ----------
    model : SRNN
    series : list of arrays of shape (L_i, m)
    dt : float
    n_paths : int, default=1
    seed : int, SeedSequence or None, default=None
        ``None``: no noise (then ``n_paths`` must be 1).

    Returns
    -------
    ndarray of shape (n_series, p)

    """
    lengths = np.array([s.shape[0] for s in series])
    order = np.argsort(-lengths, kind="stable")
    L = int(lengths.max())
    n, p, m = model.n_hidden, model.n_outputs, model.n_inputs
    check_memory("X", f"{len(series)} series", "the ensemble of hidden states",
                 (len(series), n_paths, n))
    check_memory("X", f"{len(series)} series", "the padded inputs", (len(series), L, m))
    # active[k]: how many (sorted) series are still running at step k (length > k)
    active = np.searchsorted(-lengths[order], -np.arange(L + 1), side="left")
    noisy = seed is not None and bool(np.any(model.sigma != 0))
    rng = np.random.default_rng(seed) if noisy else None
    step = EulerStep(model, dt)           # the dynamics core's Euler-Maruyama step
    no_noise = np.zeros((n_paths, model.n_noise))
    h = np.zeros((len(series), n_paths, n))
    out = np.empty((len(series), p))
    U = np.zeros((len(series), L, m))
    for j, i in enumerate(order):
        U[j, :lengths[i]] = series[i]
    for k in range(L):
        a = int(active[k])
        u = U[:a, k, None, :]                                                # (a, 1, m)
        xi = rng.standard_normal((n_paths, model.n_noise)) if noisy else no_noise
        hk = h[:a] = step(h[:a], xi, u=u)
        if not np.all(np.isfinite(hk)):
            raise ValueError(f"the network's state became NaN or infinite at step {k + 1}: "
                             f"the Euler-Maruyama chain diverges with dt={dt}.")
        done = slice(int(active[k + 1]), a)
        if done.start < done.stop:
            out[order[done]] = model.output(h[done]).mean(axis=1)
    return out


def _reference_length(lengths: list[int]) -> int:
    """The series length that spans `HORIZON`: the median of the training series' lengths
    (found by fuzzing: with the longest, one 3000-step series among 60-step ones made the
    short series span 0.08 time units, and test accuracy fell from 1.0 to 0.26)."""
    return max(1, math.ceil(float(np.median(lengths))))


class _NoisyRNNModel(SeriesInputMixin, BaseEstimator):
    """Shared shell: standardise, train a `srnnkit.nn.NoisyRNN` with Adam, keep its SRNN."""

    _parameter_constraints: ClassVar[dict] = dict(_PARAMS)
    _loss = "mse"

    def __init__(self, n_hidden: int = 64, *, dt: float | None = None, sigma: float = 0.1,
                 sigma_mult: float = 0.0, activation: str = "tanh",
                 parameterization: str = "dissipative", learning_rate: float = 1e-2,
                 batch_size: int = 32, max_updates: int = 1000, early_stopping: bool = False,
                 validation_fraction: float = 0.1, n_iter_no_change: int = 20,
                 prediction: str = "noise-free", n_paths: int = 32,
                 random_state: Any = None) -> None:
        self.n_hidden = n_hidden
        self.dt = dt
        self.sigma = sigma
        self.sigma_mult = sigma_mult
        self.activation = activation
        self.parameterization = parameterization
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_updates = max_updates
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.prediction = prediction
        self.n_paths = n_paths
        self.random_state = random_state

    # ------------------------------------------------------------------ training
    def _fit(self, X: Any, y: Any) -> None:
        """Validate, standardise, train, and set the fitted attributes."""
        check_params(self)
        series = as_series_list(X)
        targets = self._targets(y, len(series))
        record_fit_input(self, series)
        m = self.n_features_in_
        self.shift_, self.scale_ = channel_scaling(series)
        check_not_constant(series, self.shift_, self.scale_)
        inputs = scaled(self, series)
        L = _reference_length([s.shape[0] for s in inputs])
        self.dt_ = HORIZON / L if self.dt is None else float(self.dt)
        p = self._n_outputs()
        check_memory("n_hidden", self.n_hidden, "the recurrent weights",
                     (self.n_hidden, 2 * self.n_hidden + m + p))
        kids = child_sequences(self.random_state, 5, "random_state")
        self.noise_seed_ = int(kids[4].generate_state(2, np.uint64)[0] >> np.uint64(1))

        torch = _import_torch()
        saved_threads = torch.get_num_threads()
        torch.set_num_threads(1)         # bit-for-bit the same weights on any machine
        try:
            net = self._train(torch, inputs, targets, L, kids)
        finally:
            torch.set_num_threads(saved_threads)
        self.srnn_ = self._as_srnn(net)

    def _network(self, torch: Any, m: int, L: int, kids: list) -> Any:
        from ..nn import NoisyRNN

        span = L * self.dt_
        rng = np.random.default_rng(kids[1])
        hi = 1.0 / (LEAK_STEPS * self.dt_)
        lo = min(1.0 / span, hi)
        leak = np.exp(rng.uniform(math.log(lo), math.log(hi), self.n_hidden))
        # a one-step unit ranges over |h| <= dt: W and Q read the units faster than a tenth
        # of the series in units of their range (the Lipschitz form has one shared leak)
        unit_scale = np.maximum(1.0, leak * span / UNIT_RANGE)
        if self.parameterization == "lipschitz":
            leak, unit_scale = 1.0 / span, None
        return NoisyRNN(m, self.n_hidden, self._n_outputs(), dt=self.dt_, sigma=self.sigma,
                        sigma_mult=self.sigma_mult, activation=self.activation,
                        parameterization=self.parameterization, gamma=leak,
                        unit_scale=unit_scale, seed=kids[0], dtype=torch.float32)

    def _train(self, torch: Any, inputs: list[np.ndarray], targets: np.ndarray, L: int,
               kids: list) -> Any:
        net = self._network(torch, inputs[0].shape[1], L, kids)
        gen = torch.Generator().manual_seed(int(kids[2].generate_state(1, np.uint64)[0]))
        train, val = self._split(targets, kids[3])
        U, lengths = _pad(torch, inputs)
        Y = torch.as_tensor(targets)
        loss_fn = (torch.nn.CrossEntropyLoss() if self._loss == "cross-entropy"
                   else torch.nn.MSELoss())
        batch = min(self.batch_size, len(train))
        per_epoch = math.ceil(len(train) / batch)
        n_epochs = math.ceil(self.max_updates / per_epoch)
        opt = _Adam(torch, list(net.parameters()), lr=self.learning_rate,
                    total=n_epochs * per_epoch)
        self.loss_curve_, self.validation_scores_ = [], []
        best, best_state, since = -np.inf, None, 0
        self.best_epoch_ = None
        with _EpochBar(n_epochs, type(self).__name__) as bar:
            for epoch in range(n_epochs):
                net.train()
                perm = train[torch.randperm(len(train), generator=gen).numpy()]
                total = 0.0
                for start in range(0, len(perm), batch):
                    ids = perm[start:start + batch]
                    out = _forward(torch, net, U, lengths, ids, gen, noise=True)
                    loss = loss_fn(out, Y[ids])
                    if not torch.isfinite(loss):
                        raise ValueError(
                            f"{type(self).__name__}: training diverged at epoch {epoch + 1} "
                            f"(the loss is {loss.item()}); lower learning_rate, or set a "
                            "smaller dt.")
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    total += loss.item() * len(ids)
                self.loss_curve_.append(total / len(train))
                bar.update(1)
                if len(val):
                    score = self._validation_score(torch, net, U, lengths, val, targets)
                    self.validation_scores_.append(score)
                    if score >= best:            # ties: keep the later weights
                        best, since, self.best_epoch_ = score, 0, epoch + 1
                        best_state = {k: v.clone() for k, v in net.state_dict().items()}
                    else:
                        since += 1
                        if since >= self.n_iter_no_change:
                            break
        if best_state is not None:
            net.load_state_dict(best_state)
        self.n_epochs_ = epoch + 1
        self.n_updates_ = self.n_epochs_ * per_epoch
        if self.best_epoch_ is None:
            self.best_epoch_ = self.n_epochs_
        return net

    def _split(self, targets: np.ndarray, seed: Any) -> tuple[np.ndarray, np.ndarray]:
        """Training and validation indices (stratified for classes when every class can)."""
        idx = np.arange(len(targets))
        if not self.early_stopping:
            return idx, idx[:0]
        # at least one validation series, as scikit-learn's splits (rounding to none, or to
        # all, turned early stopping off without a word; found by fuzzing)
        n_val = math.ceil(self.validation_fraction * len(idx) - 1e-9)
        if n_val >= len(idx):
            fail("validation_fraction", f"a fraction that leaves training series out of "
                 f"{len(idx)} (early_stopping=True)", self.validation_fraction)
        from sklearn.model_selection import train_test_split

        strat = None
        if self._loss == "cross-entropy":
            counts = np.bincount(targets)
            if counts[counts > 0].min() >= 2 and n_val >= np.count_nonzero(counts):
                strat = targets
        seed_int = int(np.random.default_rng(seed).integers(2**31))
        train, val = train_test_split(idx, test_size=n_val, stratify=strat,
                                      random_state=seed_int)
        return np.sort(train), np.sort(val)

    def _validation_score(self, torch: Any, net: Any, U: Any, lengths: np.ndarray,
                          val: np.ndarray, targets: np.ndarray) -> float:
        net.eval()
        with torch.no_grad():
            out = _forward(torch, net, U, lengths, val, None, noise=False).numpy()
        return self._score_outputs(out, targets[val])

    # ------------------------------------------------------------------ prediction
    def _outputs(self, X: Any) -> np.ndarray:
        """:math:`E f(h_T)` (or the noise-free output) of every series, shape (n, p)."""
        check_is_fitted(self, "srnn_")
        inputs = scaled(self, as_series_list(X))
        if self.prediction == "noise-free":
            return _mean_outputs(self.srnn_, inputs, dt=self.dt_)
        return _mean_outputs(self.srnn_, inputs, dt=self.dt_, n_paths=self.n_paths,
                            seed=self.noise_seed_)


class _EpochBar:
    """The fit's progress bar, one step per epoch (a `srnnkit._progress.Task`).

    An explicit switch (`srnnkit.show_progress`, ``SRNNKIT_PROGRESS``) decides at once. In
    the automatic mode the fit's cost estimate is its first epoch's time times the epochs
    (every epoch does the same work), so a fit projected past ``AUTO_SECONDS`` draws a bar
    from its second epoch on when someone watches, as the library's other heavy calls do.
    Inside another heavy call it stays silent (that call owns the bar). It only counts: the
    weights are the same with and without it.

    Parameters
    ----------
    total : int
        Epochs planned.
    desc : str
        The bar's label.
    """

    def __init__(self, total: int, desc: str) -> None:
        self.total, self.desc = total, desc
        self.quiet = total <= 1 or current_task() is not None
        self.task: Task | None = None
        self.done = 0
        self.start = time.perf_counter()

    def __enter__(self) -> _EpochBar:
        if not self.quiet and progress_setting() is not None:
            self._open(None)
        return self

    def _open(self, seconds: float | None) -> None:
        task = Task(self.desc, total=self.total, unit=" epochs", seconds=seconds).open()
        if task.bar is None:                  # not drawn here: decided once, for the fit
            self.quiet = True
            return
        self.task = task
        if self.done:
            task.update(self.done)

    def update(self, n: int = 1) -> None:
        """Count ``n`` finished epochs (the first one opens the bar in the automatic mode)."""
        self.done += n
        if self.task is not None:
            self.task.update(n)
        elif not self.quiet and self.done == n:
            self._open((time.perf_counter() - self.start) * self.total / n)

    def __exit__(self, kind: Any, *exc: Any) -> None:
        if self.task is not None:
            self.task.close(finished=kind is None)


class _Adam:
    r"""Adam (Kingma and Ba, 2015) with torch's defaults, in a few fused tensor operations.

    :math:`m \leftarrow \beta_1 m + (1-\beta_1) g`, :math:`v \leftarrow \beta_2 v +
    (1-\beta_2) g^2`, :math:`\theta \leftarrow \theta - \eta\,\hat m / (\sqrt{\hat v} +
    \epsilon)` with the bias corrections :math:`\hat m = m / (1-\beta_1^t)`,
    :math:`\hat v = v / (1-\beta_2^t)`; the same steps as ``torch.optim.Adam`` (tests/nn
    compares them), without importing torch's compiler stack, which ``torch.optim`` loads on
    first use (seconds on a busy machine).
    """

    def __init__(self, torch: Any, params: list, lr: float, betas: tuple = (0.9, 0.999),
                 eps: float = 1e-8, total: int | None = None) -> None:
        self.torch, self.params, self.lr, self.eps = torch, params, lr, eps
        self.total = total
        self.b1, self.b2 = betas
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]
        self.t = 0

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        torch = self.torch
        self.t += 1
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in self.params]
        with torch.no_grad():
            torch._foreach_lerp_(self.m, grads, 1.0 - self.b1)
            torch._foreach_mul_(self.v, self.b2)
            torch._foreach_addcmul_(self.v, grads, grads, 1.0 - self.b2)
            c1 = 1.0 - self.b1 ** self.t
            c2 = math.sqrt(1.0 - self.b2 ** self.t)
            denom = torch._foreach_sqrt(self.v)
            torch._foreach_div_(denom, c2)
            torch._foreach_add_(denom, self.eps)
            lr = self.lr
            if self.total:                        # cosine decay to 0 over `total` steps
                lr *= 0.5 * (1.0 + math.cos(math.pi * min(self.t - 1, self.total) / self.total))
            torch._foreach_addcdiv_(self.params, self.m, denom, -lr / c1)


def _pad(torch: Any, inputs: list[np.ndarray]) -> tuple[Any, np.ndarray]:
    """Zero-padded float32 tensor (n, L, m) and the lengths."""
    lengths = np.array([x.shape[0] for x in inputs])
    U = np.zeros((len(inputs), int(lengths.max()), inputs[0].shape[1]), dtype=np.float32)
    for i, x in enumerate(inputs):
        U[i, :len(x)] = x
    return torch.from_numpy(U), lengths


def _forward(torch: Any, net: Any, U: Any, lengths: np.ndarray, ids: np.ndarray, gen: Any,
             *, noise: bool) -> Any:
    """The network's last-step output for the series ``ids`` (cut to their longest)."""
    L = int(lengths[ids].max())
    sub = lengths[ids]
    return net(U[ids, :L], None if np.all(sub == L) else sub, noise=noise, generator=gen)


_DOC_PARAMS = r"""
    Parameters
    ----------
    n_hidden : int, default=64
        Hidden units n.
    dt : float or None, default=None
        Step :math:`\Delta`. ``None``: a training series of the median length :math:`L`
        spans 4 time units, :math:`\Delta = 4 / L`.
    sigma : float, default=0.1
        Additive noise :math:`\sigma` injected in training (and kept in `srnn_`).
    sigma_mult : float, default=0.0
        Multiplicative noise injected in training only (see `srnnkit.nn.NoisyRNN`).
    activation : {"tanh", "identity", "relu", "sigmoid"}, default="tanh"
    parameterization : {"dissipative", "free", "lipschitz"}, default="dissipative"
        How :math:`\Gamma` and :math:`W` are parameterised (`srnnkit.nn.NoisyRNN`);
        ``"dissipative"`` makes the linear part :math:`I - \Delta\Gamma` of every step a
        contraction, so the trained network and its SRNN have a stationary law (what
        `srnnkit.analysis.analyze_network` reads). Initial leak rates :math:`\gamma_j` are
        log-uniform on :math:`[1/L, 1] / \Delta` (memories from one step to the whole
        series). A unit ranges over :math:`|h_j| \le 1/\gamma_j`; the recurrent-weight and
        readout columns of the units faster than a tenth of the series are trained in units
        of that range, scaled by :math:`s_j = \max(1, \gamma_j L\Delta / 10)`
        (`srnnkit.nn.NoisyRNN`'s ``unit_scale``; not in the Lipschitz form). `srnn_` holds
        the resulting :math:`W` and :math:`Q`.
    learning_rate : float, default=1e-2
        Adam's initial step size, decayed to 0 over the training budget by a cosine
        schedule, :math:`\eta_t = \eta\,(1 + \cos(\pi t / T))/2`.
    batch_size : int, default=32
    max_updates : int, default=1000
        Training budget in Adam steps (mini-batches); the number of epochs is
        ``ceil(max_updates / batches per epoch)``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training series (stratified by class where
        possible), stop when its score has not improved for ``n_iter_no_change`` epochs and
        keep the best weights.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=20
    prediction : {"noise-free", "noise-averaged"}, default="noise-free"
        Predict from the noise-free path (:math:`\xi = 0`), or from the noise-averaged
        output :math:`E f(h_T)` over ``n_paths`` Monte Carlo paths (a fixed seed drawn at
        fit, so predictions are repeatable). docs/trained.md compares the two.
    n_paths : int, default=32
    random_state : int, numpy Generator or None, default=None
        Seeds the initial weights, the mini-batches and the injected noise (a
        ``torch.Generator``; torch's global state is not used), the validation split and the
        prediction noise. The same seed gives the same weights: `fit` runs torch on one
        thread (restoring the caller's setting afterwards), since reductions split over
        several threads round differently (and these small products gain nothing from
        them); fit several models in parallel processes instead.
"""

_DOC_ATTRS = r"""
    Attributes
    ----------
    srnn_ : SRNN
        The trained network (float64 copies of the weights), ``input_mode="activation"``,
        driven by the standardised inputs :math:`(u - \text{shift\_}) / \text{scale\_}`.
    dt_ : float
        The step :math:`\Delta` it was trained with.
    shift_, scale_ : ndarray of shape (m,)
        Per-channel standardisation from the training series.
    n_features_in_ : int
        Number of input channels m.
    n_epochs_, n_updates_ : int
        Epochs and Adam steps taken (the budget is rounded up to whole epochs).
    loss_curve_ : list of float
        Mean training loss per epoch (with the noise on).
    validation_scores_ : list of float
        Validation score per epoch (accuracy or R²; empty without early stopping).
    best_epoch_ : int
        The epoch whose weights were kept: the last one with the best validation score
        (ties keep the later weights), or the last epoch without early stopping.
    noise_seed_ : int
        Seed of the prediction noise (``prediction="noise-averaged"``).
"""

_DOC_REG_ATTRS = r"""    target_shift_, target_scale_ : ndarray of shape (n_targets,)
        Target standardisation (folded into the readout of `srnn_`).
    n_outputs_, target_ndim_ : int
        Number of targets, and whether ``y`` was 1-D or 2-D.
"""


class NoisyRNNClassifier(SeriesScoreMixin, ClassifierMixin, _NoisyRNNModel):
    __doc__ = r"""Time-series classifier: a noise-injected RNN trained by gradient (PyTorch).

    The network is the Euler-Maruyama discretisation of the SRNN with the input inside the
    activation (docs/theory.md §11),
    :math:`h_{k+1} = h_k + \Delta[-\Gamma h_k + \tanh(W h_k + C u_k + b)] +
    \sigma\sqrt\Delta\,\xi_k`, :math:`h_0 = 0`, with one output per class read from the
    state after each series' own last step, :math:`Q h_L + q` (the class scores, or
    logits). All weights are trained with Adam on the cross-entropy, with the noise on
    (Lim, Erichson, Hodgkinson, Mahoney, "Noisy Recurrent Neural Networks", 2021). The
    fitted `srnn_` is that network as an `srnnkit.SRNN`, ready for simulation and response
    analysis.
""" + _DOC_PARAMS + _DOC_ATTRS + r"""    classes_ : ndarray of shape (n_classes,)

    See Also
    --------
    srnnkit.nn.NoisyRNN : the torch module trained here.

    Examples
    --------
    >>> import numpy as np
    >>> from srnnkit.learning import NoisyRNNClassifier
    >>> rng = np.random.default_rng(0)
    >>> t = np.linspace(0, 1, 20)
    >>> X = np.stack([np.sin(2 * np.pi * (1 + k % 2) * t) + 0.2 * rng.standard_normal(20)
    ...               for k in range(60)])
    >>> y = np.arange(60) % 2
    >>> clf = NoisyRNNClassifier(n_hidden=16, max_updates=200, random_state=0)
    >>> clf.fit(X[:40], y[:40]).score(X[40:], y[40:])
    1.0
    >>> clf.srnn_.input_mode, clf.srnn_.n_outputs
    ('activation', 2)
    """

    _loss = "cross-entropy"

    def fit(self, X: Any, y: Any) -> NoisyRNNClassifier:
        """Train the network.

        Parameters
        ----------
        X : array-like of shape (n_series, n_steps, m) or (n_series, n_steps), or list
            Series (unequal lengths as a list of ``(n_steps_i, m)`` arrays).
        y : array-like of shape (n_series,)
            Class labels.

        Returns
        -------
        self
        """
        self._fit(X, y)
        return self

    def _targets(self, y: Any, n: int) -> np.ndarray:
        y = check_labels(y, n, own_shape_text=True)
        self.classes_, codes = np.unique(y, return_inverse=True)
        check_two_classes(self.classes_)
        return codes.astype(np.int64)

    def _n_outputs(self) -> int:
        return len(self.classes_)

    def _as_srnn(self, net: Any) -> Any:
        return net.to_srnn()

    def _score_outputs(self, out: np.ndarray, codes: np.ndarray) -> float:
        return float(np.mean(out.argmax(axis=1) == codes))

    def decision_function(self, X: Any) -> np.ndarray:
        """Class scores :math:`Q h_L + q` (noise-free or noise-averaged, see ``prediction``).

        Parameters
        ----------
        X : array-like of shape (n_series, n_steps) or (n_series, n_steps, n_channels)
            Time series (or a list of series of different lengths), as in ``fit``.

        Returns
        -------
        ndarray of shape (n_series, n_classes), or (n_series,) for two classes (the second
        class's score minus the first's)
        """
        out = self._outputs(X)
        return out[:, 1] - out[:, 0] if out.shape[1] == 2 else out

    def predict_proba(self, X: Any) -> np.ndarray:
        """Softmax of the class scores.

        Parameters
        ----------
        X : array-like of shape (n_series, n_steps) or (n_series, n_steps, n_channels)
            Time series (or a list of series of different lengths), as in ``fit``.

        Returns
        -------
        ndarray of shape (n_series, n_classes)
            Class probabilities; each row sums to one.
        """
        out = self._outputs(X)
        out = np.exp(out - out.max(axis=1, keepdims=True))
        return out / out.sum(axis=1, keepdims=True)

    def predict(self, X: Any) -> np.ndarray:
        """The class with the largest score.

        Parameters
        ----------
        X : array-like of shape (n_series, n_steps) or (n_series, n_steps, n_channels)
            Time series (or a list of series of different lengths), as in ``fit``.

        Returns
        -------
        ndarray of shape (n_series,)
            One label of ``classes_`` per series.
        """
        out = self._outputs(X)
        return self.classes_[out.argmax(axis=1)]


class NoisyRNNRegressor(SeriesScoreMixin, MultiOutputMixin, RegressorMixin,
                        _NoisyRNNModel):
    __doc__ = r"""Time-series regressor: a noise-injected RNN trained by gradient (PyTorch).

    The network of `NoisyRNNClassifier` with a linear readout of the state after each
    series' last step, trained with Adam on the mean squared error of the standardised
    targets; the target standardisation is folded into the readout, so `srnn_` outputs the
    targets in their own units.
""" + _DOC_PARAMS + _DOC_ATTRS + _DOC_REG_ATTRS + r"""
    Examples
    --------
    >>> import numpy as np
    >>> from srnnkit.learning import NoisyRNNRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((80, 10))
    >>> y = X.mean(axis=1)                                # target: each series' mean
    >>> reg = NoisyRNNRegressor(n_hidden=16, max_updates=300, random_state=0)
    >>> bool(reg.fit(X[:60], y[:60]).score(X[60:], y[60:]) > 0.9)
    True
    """

    def fit(self, X: Any, y: Any) -> NoisyRNNRegressor:
        """Train the network.

        Parameters
        ----------
        X : array-like of shape (n_series, n_steps, m) or (n_series, n_steps), or list
        y : array-like of shape (n_series,) or (n_series, n_targets)

        Returns
        -------
        self
        """
        self._fit(X, y)
        return self

    def _targets(self, y: Any, n: int) -> np.ndarray:
        y = check_targets(y, n)
        self.target_ndim_ = y.ndim
        Y = y.reshape(n, -1)
        self.target_shift_, self.target_scale_ = standardization(Y)
        self.n_outputs_ = Y.shape[1]
        return ((Y - self.target_shift_) / self.target_scale_).astype(np.float32)

    def _n_outputs(self) -> int:
        return self.n_outputs_

    def _as_srnn(self, net: Any) -> Any:
        from ..model import SRNN, Linear

        model = net.to_srnn()
        ro = model.readout
        s, c = self.target_scale_, self.target_shift_
        return SRNN(model.W, model.C, model.sigma, gamma=model.gamma_matrix, b=model.b,
                    activation=model.activation, readout=Linear(s[:, None] * ro.Q, s * ro.q + c),
                    input_mode="activation", dt=model.dt)

    def _score_outputs(self, out: np.ndarray, targets: np.ndarray) -> float:
        from sklearn.metrics import r2_score

        return float(r2_score(targets, out)) if len(targets) > 1 else float(
            -np.mean((targets - out) ** 2))

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets.

        Parameters
        ----------
        X : array-like of shape (n_series, n_steps) or (n_series, n_steps, n_channels)
            Time series (or a list of series of different lengths), as in ``fit``.

        Returns
        -------
        ndarray of shape (n_series,) or (n_series, n_targets)
            The network's readout after each series' last step, in the targets' own units.
        """
        out = self._outputs(X)
        return out[:, 0] if self.target_ndim_ == 1 else out
