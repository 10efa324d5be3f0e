r"""The pooled response kernel: response kernels of fading-memory modes, averaged over time.

A linear SRNN's hidden unit is a damped oscillator: its noise-averaged state at time
:math:`t` is :math:`m_t = \int_0^t \psi(t-s)\,u^{k}_s\,ds` with the mode
:math:`\psi(\tau) = e^{-(\gamma - i\omega)\tau}` (docs/theory.md §4, the exponential basis, exact
for a linear SRNN). Read at time :math:`t`, the unit's response path
:math:`X_t(r) = \int_0^r \psi(t-s) u^k_s\,ds`, :math:`r \le t`, is one-dimensional (real or
imaginary part), so its signature is :math:`(1, m_t, m_t^2/2!, \dots)`: every readout of the
unit is a function of :math:`m_t`, and with the level weights :math:`w_n = n!\,\lambda^{2n}` the
normalised response kernel of two such paths is the Gaussian
:math:`e^{-\lambda^2 (m - m')^2/2}` (docs/theory.md §5). The pooled response kernel averages
such kernels over all pairs of readout times and sums them over a bank of modes:

.. math::

    K(u, v) = \sum_c \frac{1}{|T_u||T_v|} \sum_{t \in T_u} \sum_{t' \in T_v}
              k_c\big(m^c_t(u), m^c_{t'}(v)\big),

the kernel of time-averaged readouts :math:`\frac1T \sum_t f(h_t)` of every unit (the
readouts of `LinearSRNNClassifier`, in the limit of infinitely many per unit). The average
over readout times makes it tolerant to shifts: a pattern counts wherever it occurs.

Each unit's state is measured on the rank scale of its training states (``B`` quantile knots,
linear interpolation between them: scale-free, as MiniRocket's biases), and ``k_c`` is the
heat kernel (diffusion for time :math:`\tau`) on the chain of knots, the discrete Gaussian
with reflecting ends; it is diagonal in the DCT-II basis, so the kernel has the explicit
features used here and costs :math:`O(L)` per series plus one matrix product.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._series import as_collection
from .._stats import mean_std
from .._validation import check_int, check_memory, check_positive, fail

__all__ = ["embed", "fit_bank", "heat_features", "pack", "pooled_response_kernel",
           "state_features"]

# Modes of the bank: at least MIN_MODES, and MODES_PER_INPUT for each input channel.
MIN_MODES = 256
MODES_PER_INPUT = 32
# Share of the modes that do not oscillate (omega = 0), as in LinearSRNNFeatures.
NON_OSCILLATING = 0.25
# A mode is read about READS_PER_RADIAN times per radian of its phase or decay.
READS_PER_RADIAN = 1.0
# ... and at least MIN_READS times over the longest training series.
MIN_READS = 64
# States sampled (per coordinate, over the training set) to place the quantile knots.
KNOT_SAMPLES = 16384
# Highest degree of the readout weights in the relative readout time.
MAX_DEGREE = 2
# Heat-kernel components below this weight (relative to the constant one) are dropped: they
# change the kernel by less than its square, far below rounding.
NEGLIGIBLE = 1e-8


def _r3(n: int) -> np.ndarray:
    """The first ``n`` points of the R3 low-discrepancy sequence in [0, 1)^3 (Roberts 2018)."""
    phi = 1.0
    for _ in range(64):                      # the root of x^4 = x + 1
        phi = (1.0 + phi) ** 0.25
    alpha = phi ** -np.arange(1.0, 4.0)
    j = np.arange(1, n + 1)[:, None]
    return (0.5 + j * alpha[None, :]) % 1.0


def _dct(B: int) -> tuple[np.ndarray, np.ndarray]:
    """Orthonormal DCT-II basis ``V`` (B, B) and the Laplacian eigenvalues of the knot chain."""
    k = np.arange(B)
    V = np.cos(np.pi * (k[:, None] + 0.5) * k[None, :] / B)
    V /= np.linalg.norm(V, axis=0)
    return V, 2.0 - 2.0 * np.cos(np.pi * k / B)


def pack(series: list[np.ndarray], shift: Any = 0.0, scale: Any = 1.0,
         derivative: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``(X, offsets)``: the series ``(s - shift) / scale`` one after the other, with their
    first differences appended as channels when ``derivative`` (0 at each series' start)."""
    offsets = np.zeros(len(series) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([s.shape[0] for s in series])
    X = (np.concatenate(series, axis=0) - shift) / scale
    if derivative:
        D = np.diff(X, axis=0, prepend=X[:1])
        D[offsets[:-1]] = 0.0
        X = np.hstack([X, D])
    return np.ascontiguousarray(X, dtype=np.float64), offsets


def fit_bank(packed: tuple[np.ndarray, np.ndarray], *, n_modes: int | None = None,
             n_knots: int = 16, n_jobs: Any = None) -> dict[str, np.ndarray]:
    """The mode bank and the knots, from packed training series (see :func:`pack`).

    Modes ``(gamma_j, omega_j)`` fill ``[1/L, 1] x [2 pi/L, pi]`` (per step; ``L`` the
    longest series) evenly on a log scale along the R3 low-discrepancy sequence, a quarter of
    them with ``omega = 0``; mode ``j`` reads channel ``j mod m``. The knots of a coordinate
    are ``n_knots`` quantiles (0 to 1) of its states over the training series.
    """
    from . import _pde_loops as kr

    X, offsets = packed
    m = X.shape[1]
    L = int(np.diff(offsets).max())
    _check_readout_memory(n_modes, m, offsets.size - 1, n_knots, 0, "X")   # the estimators
    M = max(MIN_MODES, MODES_PER_INPUT * m) if n_modes is None else n_modes
    q = _r3(M)
    gamma = np.exp(math.log(1.0 / L) * q[:, 0])
    w_lo = min(2.0 * math.pi / L, math.pi)
    omega = np.exp(math.log(math.pi) + (math.log(w_lo) - math.log(math.pi)) * q[:, 1])
    omega[q[:, 2] < NON_OSCILLATING] = 0.0
    chan = np.arange(M, dtype=np.int64) % m
    order = np.argsort(chan, kind="stable")            # modes grouped by input channel
    gamma, omega, chan = gamma[order], omega[order], chan[order]
    rate = np.maximum(gamma, omega) * READS_PER_RADIAN
    cap = max(1, L // MIN_READS)
    stride = 2 ** np.clip(np.floor(np.log2(1.0 / rate)), 0, math.floor(math.log2(cap)))
    cmode = np.concatenate([np.arange(M), np.flatnonzero(omega > 0)]).astype(np.int64)
    cpart = np.concatenate([np.zeros(M), np.ones(int((omega > 0).sum()))]).astype(np.int64)
    cstride = stride[cmode].astype(np.int64)
    order = np.lexsort((cpart, cmode, cstride))
    cmode, cpart, cstride = cmode[order], cpart[order], cstride[order]
    bank = {"gamma": gamma, "omega": omega, "channel": chan, "cmode": cmode, "cpart": cpart,
            "cstride": cstride}
    # quantile knots from states sampled every `every` steps of every training series
    every = max(1, int(offsets[-1]) // KNOT_SAMPLES)
    counts = (np.diff(offsets) - 1) // every + 1
    starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    S = np.empty((int(starts[-1]), cmode.size))
    net = _network(bank)
    with _threads(n_jobs, offsets.size - 1):
        kr.pooled_states(X, offsets, net[0], *net[1:5], cmode, cpart, every, starts, S)
    knots = np.quantile(S, np.linspace(0.0, 1.0, n_knots), axis=0).T
    bank["knots"] = np.ascontiguousarray(np.maximum.accumulate(knots, axis=1))
    sd = mean_std(S)[1]                                   # at any scale (1e200, 1e-300 too)
    bank["state_scale"] = np.where(sd > 0, sd, 1.0)
    return bank


def _network(bank: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    """``(channel, Re lam, Im lam, Re kap, Im kap, cstart)``: mode ``j`` steps
    ``z <- lam_j z + kap_j u[channel_j]``; modes ``cstart[k]..cstart[k+1]-1`` read channel
    ``k``."""
    a = bank["gamma"] - 1j * bank["omega"]
    lam = np.exp(-a)
    kap = -np.expm1(-a) / a                  # exact cell integral of the mode
    chan = np.ascontiguousarray(bank["channel"], dtype=np.int64)
    m = int(chan.max()) + 1 if chan.size else 0
    cstart = np.searchsorted(chan, np.arange(m + 1)).astype(np.int64)
    return (chan, lam.real.copy(), lam.imag.copy(), kap.real.copy(), kap.imag.copy(), cstart)


class _threads:
    """Numba threads for ``n_jobs`` (at most one per series) while the block runs."""

    def __init__(self, n_jobs: Any, n_tasks: int) -> None:
        import numba

        from .._parallel import n_threads

        self.n = n_threads(n_jobs, n_tasks, cap=numba.config.NUMBA_NUM_THREADS)

    def __enter__(self) -> None:
        import numba

        self.before = numba.get_num_threads()
        numba.set_num_threads(self.n)

    def __exit__(self, *exc: Any) -> None:
        import numba

        numba.set_num_threads(self.before)


def embed(packed: tuple[np.ndarray, np.ndarray], bank: dict[str, np.ndarray],
          n_jobs: Any = None, n_blocks: int = 1) -> tuple[np.ndarray, np.ndarray]:
    r"""Time-pooled readouts of every coordinate: ``(E, S)``.

    ``E`` ``(n, n_blocks, C, B)``: the hat weights of the states on the knots, averaged over
    the read steps with the time weights :math:`\sqrt{2p+1}P_p(2\tau-1)`, ``p < n_blocks``
    (shifted Legendre polynomials of the relative time :math:`\tau = (t+1/2)/L`), in DCT-II
    coordinates. ``S`` ``(n, n_blocks, C)``: the same averages of the states themselves,
    divided by their training deviation (``bank["state_scale"]``).
    """
    from . import _pde_loops as kr

    cmode, knots = bank["cmode"], bank["knots"]
    C, B = knots.shape
    X, offsets = packed
    n = offsets.size - 1
    H = np.zeros((n, n_blocks, C, B))
    S = np.zeros((n, n_blocks, C))
    net = _network(bank)
    with _threads(n_jobs, n):
        cidx = (cmode + bank["cpart"] * bank["gamma"].size).astype(np.int64)
        kr.pooled_embed(X, offsets, net[5], *net[1:5], cidx, bank["cstride"], knots,
                        _inverse_widths(knots), H, S)
    return np.matmul(H, _dct(B)[0], out=H), S / bank["state_scale"]


def _inverse_widths(knots: np.ndarray) -> np.ndarray:
    w = np.diff(knots, axis=1)
    return np.ascontiguousarray(np.where(w > 0, 1.0 / np.where(w > 0, w, 1.0), 0.0))


def heat_features(E: np.ndarray, bandwidth: float, degree: int) -> np.ndarray:
    r"""Explicit features ``(n, D)`` of the pooled heat kernel: ``K = F F^T``.

    ``E`` from :func:`embed`; the heat kernel at diffusion time
    :math:`\tau = (b (B-1))^2 / 2` (``b = bandwidth`` in rank units: a Gaussian of standard
    deviation about ``b`` of the training range) weighs DCT component ``k`` by
    :math:`e^{-\tau\mu_k}`, :math:`\mu_k = 2 - 2\cos(\pi k/B)`; time weights up to
    ``degree``.
    """
    B = E.shape[-1]
    tau = 0.5 * (bandwidth * (B - 1)) ** 2
    root = np.exp(-0.5 * tau * _dct(B)[1])
    keep = int(np.count_nonzero(root > NEGLIGIBLE))    # root decreases with k
    return (E[:, :degree + 1, :, :keep] * root[:keep]).reshape(E.shape[0], -1)


def state_features(S: np.ndarray, degree: int) -> np.ndarray:
    """Explicit features ``(n, D)`` of the pooled linear (level-1) kernel."""
    return S[:, :degree + 1].reshape(S.shape[0], -1)


def pooled_response_kernel(U: Any, V: Any = None, *, reference: Any = None,
                           n_modes: int | None = None, n_knots: int = 16,
                           bandwidth: float = 0.125, degree: int = 0, linear: float = 0.0,
                           normalize: bool = False, n_jobs: int | None = None) -> np.ndarray:
    r"""Gram matrix of the pooled response kernel (time-averaged readouts of fading modes).

    For a bank of modes :math:`\psi_j(\tau) = e^{-(\gamma_j - i\omega_j)\tau}` (each reading one
    input channel :math:`k_j`), the state of coordinate :math:`c` (real or imaginary part of a
    mode) at time :math:`t` is :math:`m^c_t(u) = \int_0^t \psi_j(t-s)\,u^{k_j}_s\,ds`, the end
    point of the one-dimensional response path read at :math:`t`. The kernel is

    .. math::

        K(u, v) = \sum_c \frac{1}{|T_u||T_v|} \sum_{t \in T_u} \sum_{t' \in T_v}
                  \kappa_d(\tau_t, \tau'_{t'}) \Big[h_c(m^c_t(u))^\top G_\beta\,
                  h_c(m^c_{t'}(v)) + \ell\, \frac{m^c_t(u)\, m^c_{t'}(v)}{s_c^2}\Big],

    where :math:`h_c(m) \in \mathbb{R}^B` are the linear-interpolation (hat) weights of
    :math:`m` on the coordinate's ``n_knots`` quantile knots (fitted on ``reference``), so that
    the state is compared on its rank scale, :math:`G_\beta = e^{-\beta\Delta}` is the heat
    kernel of the chain of knots (Laplacian :math:`\Delta`; a discrete Gaussian of standard
    deviation about ``bandwidth`` in rank units), :math:`\ell` = ``linear`` weighs the
    linear readouts (:math:`s_c` the training deviation of the state), and
    :math:`\kappa_d(\tau, \tau') = \sum_{p \le d} (2p+1) P_p(2\tau-1) P_p(2\tau'-1)` is the
    kernel of readout weights polynomial of degree ``degree`` in the relative readout time
    :math:`\tau = (t+1/2)/L` (``degree=0``: plain time averages). :math:`T_u` are the read
    steps (slow modes are read every :math:`2^k` steps, at least 64 times per series). For a
    linear SRNN every readout of a unit
    is a function of :math:`m^c_t`: this is the kernel of time-averaged unit readouts, and per
    unit and pair of readout times it is the normalised response kernel of the unit's
    one-dimensional response path with level weights :math:`n!\lambda^{2n}` (a Gaussian), on
    the rank scale (the theory page, §4-5).

    Parameters
    ----------
    U : array-like of shape (n_u, n_steps, n_channels), or list of (n_steps_i, n_channels)
        Input series (a 2-D array is ambiguous here and raises).
    V : same as U, or None, default=None
        Right series; ``None`` gives the symmetric Gram of ``U``.
    reference : same as U, or None, default=None
        Series that set the modes (their longest length ``L``: decay rates in
        :math:`[1/L, 1]`, frequencies in :math:`[2\pi/L, \pi]` per step) and the knots (the
        quantiles of their states); ``None`` uses ``U``.
    n_modes : int or None, default=None
        Modes in the bank; ``None``: ``max(256, 32 * n_channels)``.
    n_knots : int, default=16
        Quantile knots per coordinate (at least 2).
    bandwidth : float, default=0.125
        Width of the heat kernel on the rank scale (0 to 1).
    degree : int, default=0
        Degree of the readout weights in the relative readout time (0, 1 or 2).
    linear : float, default=0.0
        Weight of the linear readouts (the level-1 response features).
    normalize : bool, default=False
        Return :math:`K(u,v)/\sqrt{K(u,u)K(v,v)}`.
    n_jobs : int or None, default=None
        Threads over the series (joblib semantics); results do not depend on it.

    Returns
    -------
    K : ndarray of shape (n_u, n_v)

    See Also
    --------
    response_kernel : the response kernel of whole paths (Goursat PDE).

    Examples
    --------
    The same bump at two different times is closer than a bump and a dip:

    >>> import numpy as np
    >>> from srnnkit.kernels import pooled_response_kernel
    >>> t = np.arange(200.0)
    >>> bump = lambda c: np.exp(-((t - c) / 5.0) ** 2)
    >>> U = np.stack([bump(60), bump(140), -bump(60)])[:, :, None]
    >>> K = pooled_response_kernel(U, normalize=True)
    >>> bool(K[0, 1] > K[0, 2])
    True
    """
    Us, Vs, Rs = _check_pooled(U, V, reference, n_knots=n_knots, n_modes=n_modes,
                               bandwidth=bandwidth, degree=degree, linear=linear,
                               normalize=normalize)
    bank = fit_bank(pack(list(Rs)), n_modes=n_modes, n_knots=int(n_knots), n_jobs=n_jobs)

    def features(batch: Any) -> np.ndarray:
        E, S = embed(pack(list(batch)), bank, n_jobs, int(degree) + 1)
        return np.hstack([heat_features(E, float(bandwidth), int(degree)),
                          math.sqrt(linear) * state_features(S, int(degree))])

    Fu = features(Us)
    Fv = Fu if Vs is None else features(Vs)
    K = Fu @ Fv.T
    if normalize:
        K /= np.sqrt(np.einsum("ij,ij->i", Fu, Fu))[:, None]
        K /= np.sqrt(np.einsum("ij,ij->i", Fv, Fv))[None, :]
    return K


def _check_pooled(U: Any, V: Any, reference: Any, **opts: Any) -> tuple[Any, Any, Any]:
    """The series of `pooled_response_kernel` (``V`` may be None) and its checked options."""
    Us = as_collection(U, "U").values
    m = Us[0].shape[-1]
    Vs = None if V is None else as_collection(V, "V", n_channels=m).values
    Rs = Us if reference is None else as_collection(reference, "reference",
                                                    n_channels=m).values
    check_int("n_knots", opts["n_knots"], low=2, high=4096)
    if opts["n_modes"] is not None:
        check_int("n_modes", opts["n_modes"], low=1)
    check_positive("bandwidth", opts["bandwidth"])
    check_int("degree", opts["degree"], low=0, high=MAX_DEGREE)
    check_positive("linear", opts["linear"], allow_zero=True)
    if not isinstance(opts["normalize"], (bool, np.bool_)):
        fail("normalize", "a bool", opts["normalize"], TypeError)
    for name, batch in (("U", Us), ("V", Vs), ("reference", Rs)):
        if batch is not None and not all(np.all(np.isfinite(s)) for s in batch):
            fail(name, "finite values", "NaN or infinite values")
    _check_readout_memory(opts["n_modes"], m, len(Us) if Vs is None else max(len(Us), len(Vs)),
                          int(opts["n_knots"]), int(opts["degree"]), "U")
    return Us, Vs, Rs


def _check_readout_memory(n_modes: int | None, m: int, n: int, n_knots: int, degree: int,
                          series: str) -> None:
    """Refuse a bank whose pooled readouts ``(n, degree + 1, C, n_knots)`` (``C``: up to two
    coordinates per mode, see :func:`embed`) cannot fit in memory, naming ``n_modes`` (a
    typo such as ``n_modes=10**10`` otherwise died in NumPy, or ran for hours); with the
    default ``n_modes``, the argument ``series`` that holds the series is named."""
    M = max(MIN_MODES, MODES_PER_INPUT * m) if n_modes is None else n_modes
    name, value = ("n_modes", n_modes) if n_modes is not None else (series, f"{n} series")
    check_memory(name, value, "the pooled readouts of the series (up to 2 coordinates per "
                 "mode, n_knots values each)", (n, degree + 1, 2 * M, n_knots),
                 hint="Lower n_modes (the default is max(256, 32 * n_channels)) or n_knots.")
