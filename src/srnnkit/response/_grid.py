"""Grid-exact transfer operator of the Euler–Maruyama chain of a 1-D SRNN.

An independent oracle for the Monte Carlo estimators: on a fine uniform state grid the
Gaussian transition density of the EM step is a dense matrix, and expectations, the
stationary law and the discrete response kernels of docs/theory.md (2.4) are matrix-vector
products, with no sampling noise.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_array, check_int, check_positive, fail
from ..dynamics._activations import ACTIVATIONS
from ._result import ResponseFunction
from ._weights import in_drift

__all__ = ["GridChain"]


def _one_blas_thread(func: Any) -> Any:
    """Run with one BLAS thread: the grid's matrix-vector products are small, and threaded
    BLAS on a busy machine is many times slower (measured 40x for 950-point products)."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from .._threads import single_threaded_blas

        with single_threaded_blas():
            return func(*args, **kwargs)
    return wrapper

# below this many grid-point standard deviations the Riemann sum of a Gaussian is no longer
# spectrally accurate (error ~ exp(-2 pi^2 (s/h)^2)); we ask for s/h >= 2 (error < 1e-17).
_MIN_SD_PER_SPACING = 2.0


#: relative probability mass an input may push off the grid before `expectation` refuses
#: (the answer then moves by at most that times max |f|: 1e-4 is below any Monte Carlo error)
MASS_TOLERANCE = 1e-4


class GridChain:
    r"""Transfer operator of the Euler–Maruyama chain of a one-dimensional SRNN on a grid.

    The EM step :math:`h' = h + \Delta(F_0(h) + c\cdot u) + \sqrt{\Delta}\,\sigma\xi` has the
    Gaussian transition density :math:`\varphi(h'; \mu(h) + \Delta c\cdot u, s^2)` with
    :math:`\mu(h) = h + \Delta F_0(h)` and :math:`s^2 = \Delta\,\sigma\sigma^\top`.  On the
    uniform grid :math:`x_i` of spacing ``spacing`` the chain becomes the matrix

    .. math:: K_{ij}(u) = \text{spacing}\;\varphi\bigl(x_j;\ \mu(x_i) + \Delta c\cdot u,\ s^2\bigr),

    a Riemann rule for the Chapman–Kolmogorov integral, which is spectrally accurate while
    :math:`s` spans a few grid spacings.  Everything the response theory needs is then linear
    algebra, with no Monte Carlo noise:

    - the stationary law :math:`p_\infty` (left null vector of :math:`K(0) - I`);
    - :math:`E f(h_t)` for any input (:meth:`expectation`);
    - the exact discrete kernels of docs/theory.md (2.4): with :math:`K'_k = \partial K/\partial
      \kappa_k` (a kick :math:`\kappa_k c_k` of the mean) and :math:`g_m = K^m f`,
      :math:`r_1(m) = p_\infty K'_k g_m`, :math:`r_2(m_1, m_2) = p_\infty K'_l K^{m_2} K'_k g_{m_1}`
      and :math:`d_2(m) = \Delta^2 p_\infty K''_{kl} g_m`.

    Parameters
    ----------
    model : SRNN
        An SRNN with ``n_hidden == 1`` (any activation, readout, number of inputs and noises).
    dt : float
        Euler–Maruyama step :math:`\Delta`.
    spacing : float, default=0.01
        Grid spacing; must be at most half the one-step noise standard deviation
        :math:`s = \sqrt{\Delta}\,|\sigma|`.
    bounds : (float, float), optional
        Grid range.  By default the support of :math:`p_\infty` (density above 1e-12 of its
        maximum, found on a coarse pilot grid spanning ``±(R + 8 sd + 2)``, where ``R`` bounds
        the fixed points of the drift and ``sd`` is a pessimistic stationary standard
        deviation), widened by ``margin`` on both sides.
    margin : float, default=1.5
        Room left for inputs to move the law (pass wider ``bounds`` for large inputs).

    Attributes
    ----------
    x : ndarray of shape (n_grid,)
        Grid points.
    stationary : ndarray of shape (n_grid,)
        Stationary probabilities :math:`p_\infty` on the grid (sum 1).
    mean_output : ndarray of shape (p,)
        :math:`\langle f\rangle_\infty`.

    Examples
    --------
    >>> import srnnkit as sk
    >>> model = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, gamma=1.0, b=[0.3])
    >>> chain = sk.response.GridChain(model, dt=0.02)
    >>> round(float(chain.mean_output[0]), 6)
    0.600797
    >>> rf = chain.linear_response(3)
    >>> round(float(rf.values[0, 0, 0]), 6)
    1.0
    """

    @_one_blas_thread
    def __init__(self, model: Any, dt: float, *, spacing: float = 0.01,
                 bounds: tuple[float, float] | None = None, margin: float = 1.5) -> None:
        from ..model import SRNN

        if not isinstance(model, SRNN):
            fail("model", "an srnnkit.SRNN", type(model).__name__, TypeError)
        if model.n_hidden != 1:
            fail("model", "an SRNN with n_hidden == 1 (the grid operator is one-dimensional)",
                 f"n_hidden={getattr(model, 'n_hidden', model)}",
                 hint="Use a Monte Carlo method ('perturbation', 'fdt', 'girsanov') for larger "
                      "networks.")
        self.model = model
        self.dt = dt = check_positive("dt", dt)
        g = float(np.asarray(model.gamma_matrix)[0, 0])
        if not 0.0 < dt * g < 2.0:     # far from the origin the step is h -> (1 - dt g) h + ...
            fail("model", "a network whose Euler-Maruyama chain has a stationary law "
                 "(leak gamma > 0 and dt * gamma < 2: far from the origin the step multiplies "
                 "h by 1 - dt * gamma)", f"gamma={g:.4g}, dt={dt:g}",
                 hint="Use a smaller dt." if g > 0 else None)
        self.spacing = spacing = check_positive("spacing", spacing)
        s2 = dt * float(model.diffusion[0, 0])
        if s2 <= 0:
            fail("model.sigma", "non-zero for the grid operator (the EM chain needs noise)",
                 model.sigma)
        self.s = s = float(np.sqrt(s2))
        if s / spacing < _MIN_SD_PER_SPACING:
            fail("spacing", f"at most {s / _MIN_SD_PER_SPACING:.4g} (half the one-step noise "
                 f"standard deviation sqrt(dt)*sigma = {s:.4g})", spacing,
                 hint="Use a finer grid or a larger dt.")
        if bounds is None:
            bounds = self._default_bounds()
            if spacing < self.s / 2.5:  # trim to the stationary support found on a coarse grid
                pilot = GridChain(model, dt, spacing=self.s / 2.5, bounds=bounds)
                keep = pilot.x[pilot.stationary > 1e-12 * pilot.stationary.max()]
                bounds = (max(bounds[0], keep[0] - margin), min(bounds[1], keep[-1] + margin))
        else:
            bounds = tuple(float(v) for v in check_array("bounds", bounds, shape=(2,),
                                                         shape_text="(2,)"))
            if bounds[1] <= bounds[0]:
                fail("bounds", "(low, high) with low < high", bounds)
        n_grid = int(np.floor((bounds[1] - bounds[0]) / spacing)) + 1
        if n_grid > 20000:
            fail("bounds", "a range of at most 20000 grid points", f"{n_grid} points",
                 hint="Increase spacing or narrow bounds.")
        self.x = bounds[0] + spacing * np.arange(n_grid)
        self.mu = self.x + dt * model.drift(self.x[:, None])[:, 0]
        self.c = np.asarray(model.C[0], dtype=float)            # (m,)
        # input inside the activation: the input moves the mean by dt (a(z + c.u) - a(z)),
        # z = w x + b, with u-derivatives a'(z) c and a''(z) c c (docs/theory.md §11)
        self.in_drift = in_drift(model)
        if self.in_drift:
            act = ACTIVATIONS[model.activation]
            self.z = float(model.W[0, 0]) * self.x + float(model.b[0])
            self.a1, self.a2 = act.derivative(self.z), act.second_derivative(self.z)
            self.a1_sq = self.a1 ** 2
            if act.kinked:                 # relu: a' is a step; its share of each cell
                self.a1 = self.a1_sq = self._step_share()     # (a')^2 = a' for a step
        self.f = np.asarray(model.output(self.x[:, None]), dtype=float)  # (G, p)
        self.K = self._kernel(0.0)
        self.stationary = self._stationary()
        self.mean_output = self.stationary @ self.f

    # ----------------------------------------------------------------- helpers
    def _default_bounds(self) -> tuple[float, float]:
        m = self.model
        g = float(np.asarray(m.gamma_matrix)[0, 0])
        w = abs(float(m.W[0, 0]))
        b = float(m.b[0])
        sig = float(np.sqrt(m.diffusion[0, 0]))
        if m.activation in ("tanh", "sigmoid"):
            reach = 1.0 / g
            rate = g - w if g > w else 0.25 * g
        else:  # identity or relu: |h*| <= |b| / (g - |w|)
            if g <= w:
                fail("model", "gamma > |w| for the default grid bounds of an unbounded activation",
                     f"gamma={g}, w={w}", hint="Pass bounds=(low, high).")
            reach = abs(b) / (g - w)
            rate = g - w
        sd = sig / np.sqrt(2.0 * rate)
        half = reach + 8.0 * sd + 2.0
        return (-half, half)

    def _kernel(self, shift: Any, deriv: int = 0) -> np.ndarray:
        """K (deriv=0), dK/dmu (1) or d2K/dmu2 (2) with the mean shifted by ``shift`` (a
        number, or one shift per starting point)."""
        shift = np.asarray(shift, dtype=float)
        if shift.ndim:
            shift = shift[:, None]
        z = (self.x[None, :] - self.mu[:, None] - shift) / self.s
        K = (self.spacing / (self.s * np.sqrt(2.0 * np.pi))) * np.exp(-0.5 * z * z)
        if deriv == 1:
            K *= z / self.s
        elif deriv == 2:
            K *= (z * z - 1.0) / (self.s * self.s)
        return K

    def _stationary(self) -> np.ndarray:
        G = self.x.size
        A = self.K.T - np.eye(G)
        A[-1, :] = 1.0  # replace one (redundant) equation by the normalisation
        rhs = np.zeros(G)
        rhs[-1] = 1.0
        p = np.linalg.solve(A, rhs)
        p = np.clip(p, 0.0, None)
        return p / p.sum()

    def _check_inputs(self, inputs: Any) -> np.ndarray:
        u = check_array("inputs", inputs, ndim=(1, 2), shape_text="(n_steps, n_inputs)")
        if u.ndim == 1:
            u = u[:, None]
        if u.shape[1] != self.c.size:
            fail("inputs", f"an array of shape (n_steps, {self.c.size})", u)
        return u

    # --------------------------------------------------------------- public API
    @_one_blas_thread
    def expectation(self, inputs: Any, p0: Any = None) -> np.ndarray:
        """Exact :math:`E f(h_t)` of the grid chain, t = 0..n_steps.

        Parameters
        ----------
        inputs : array_like, shape (n_steps, m) or (n_steps,)
            The inputs, with the lag convention: ``inputs[j]`` first changes ``h_{j+1}``.
        p0 : array_like, shape (n_grid,), optional
            The initial law on the grid (default: the stationary law).

        Returns
        -------
        ndarray, shape (n_steps + 1, p)
            The mean output at each step.
        """
        u = self._check_inputs(inputs)
        p = self.stationary if p0 is None else check_array("p0", p0, shape=self.x.shape)
        mass = float(p.sum())
        out = np.empty((u.shape[0] + 1, self.f.shape[1]))
        out[0] = p @ self.f
        cache: dict[float, np.ndarray] = {0.0: self.K}
        for j in range(u.shape[0]):
            shift = self.dt * float(self.c @ u[j])
            if shift not in cache:
                if len(cache) > 8:
                    cache = {0.0: self.K}
                cache[shift] = self._kernel(self._mean_shift(float(self.c @ u[j])))
            p = p @ cache[shift]
            out[j + 1] = p @ self.f
        lost = mass - float(p.sum())
        if lost > MASS_TOLERANCE * mass:
            fail("inputs", f"inputs that keep the law inside the grid [{self.x[0]:.4g}, "
                 f"{self.x[-1]:.4g}]", f"a law that left it ({lost / mass:.3g} of the mass "
                 "lost by the end)", hint="Pass wider bounds=(low, high) to GridChain.")
        return out

    def _mean_shift(self, cu: float) -> Any:
        """The input's shift of the step's mean, for the input term ``cu = c.u``."""
        if not self.in_drift:
            return self.dt * cu
        act = ACTIVATIONS[self.model.activation]
        return self.dt * (act(self.z + cu) - act(self.z))

    def score(self, h: Any) -> np.ndarray:
        r""":math:`\partial_h\log p_\infty(h)` of the grid law, shape of ``h`` (..., 1).

        A centred difference of the log-density on the grid, linearly interpolated.

        Parameters
        ----------
        h : array_like, shape (..., 1)
            The states.

        Returns
        -------
        ndarray, shape (..., 1)
            The score at ``h``.
        """
        h = np.asarray(h, dtype=float)
        logp = np.log(np.maximum(self.stationary, 1e-300) / self.spacing)
        dlogp = np.gradient(logp, self.spacing)
        return np.interp(h[..., 0], self.x, dlogp)[..., None]

    def conjugate_variable(self, h: Any) -> np.ndarray:
        r"""Exact conjugate variables of the chain, shape (..., m) for ``h`` (..., 1).

        The input at step :math:`j` moves the mean of :math:`h_{j+1}` by
        :math:`\Delta\,G_a(h_j)` (:math:`G_a = c_a` for the additive input,
        :math:`a'(wh_j+b)\,c_a` inside the activation), so the response of the chain is
        :math:`E[f(h_{j+1+k})\,v_a(h_{j+1})]` with
        :math:`v_a(x') = E\bigl[G_a(h_j)\,(x' - \mu(h_j))/(\sigma^2\Delta)\bigm|
        h_{j+1} = x'\bigr]`, the one-step likelihood-ratio weight averaged over the previous
        state; here it is summed over the grid's transition matrix. For the additive input
        it is :math:`-c_a\,\partial_h\log p_\infty`; inside the activation it differs
        from the continuous-time form :math:`-\partial_h G_a - G_a\,\partial_h\log
        p_\infty` by :math:`O(\Delta)`. Pass it as ``score=`` to
        ``linear_response(method="fdt")`` for an FDT estimate of the chain's kernel.

        Parameters
        ----------
        h : array_like, shape (..., 1)
            The states.

        Returns
        -------
        ndarray, shape (..., m)
            The conjugate variable of each input at ``h``.
        """
        g = self.stationary * (self.a1 if self.in_drift else 1.0)         # p(x) G(x) / c
        lr = (self.x[None, :] - self.mu[:, None]) / (self.s * self.s)     # (x' - mu(x)) / s2
        num = (g[:, None] * self.K * lr).sum(axis=0)
        den = np.maximum(self.stationary @ self.K, 1e-300)
        v = np.interp(np.asarray(h, dtype=float)[..., 0], self.x, num / den)
        return v[..., None] * self.c

    def _propagated_readouts(self, n_lags: int) -> np.ndarray:
        g = np.empty((n_lags, *self.f.shape))
        g[0] = self.f
        for m in range(1, n_lags):
            g[m] = self.K @ g[m - 1]
        return g  # (n_lags, G, p)

    def _weighted_stationary(self) -> np.ndarray:
        r""":math:`p_\infty` times the input's factor of dK/du per starting point (1 for the
        additive input, :math:`a'(wx+b)` inside the activation)."""
        return self.stationary * self.a1 if self.in_drift else self.stationary

    def _coincident_row(self) -> np.ndarray:
        r""":math:`p\,\partial^2K/\partial u_a\partial u_b / (\Delta^2 c_ac_b)`: the coincident
        kicks; inside the activation :math:`a'^2 K_{\mu\mu} + a'' K_\mu/\Delta` per row."""
        K2 = self._kernel(0.0, 2)
        if not self.in_drift:
            return self.stationary @ K2
        K1 = self._kernel(0.0, 1)
        return (self.stationary * self.a1_sq) @ K2 + (self._curvature_mass() / self.dt) @ K1

    def _step_share(self) -> np.ndarray:
        r"""A ReLU's :math:`a'(wx+b)` averaged over each grid cell
        :math:`[x - \delta/2, x + \delta/2]`: the share of the cell where :math:`wx + b > 0`.
        Pointwise values put the whole cell around the kink on one side, an O(spacing) error
        of the kernels (3e-3 of 0.61 at spacing 0.01 on a 1-D network); the share makes it
        O(spacing^2)."""
        w, b = float(self.model.W[0, 0]), float(self.model.b[0])
        if w == 0.0:
            return np.full_like(self.x, float(b > 0))
        up = np.clip((self.x + 0.5 * self.spacing + b / w) / self.spacing, 0.0, 1.0)
        return up if w > 0 else 1.0 - up

    def _curvature_mass(self) -> np.ndarray:
        r""":math:`p\,a''(wx+b)` per grid point, as probability mass. A ReLU's :math:`a''` is
        a Dirac mass at the kink :math:`x^* = -b/w`: all of it, :math:`p(x^*)/|w|`, goes to
        the two grid points around :math:`x^*` (linear interpolation), where pointwise
        values would give zero."""
        if not ACTIVATIONS[self.model.activation].kinked:
            return self.stationary * self.a2
        w, b = float(self.model.W[0, 0]), float(self.model.b[0])
        out = np.zeros_like(self.stationary)
        kink = -b / w if w else np.nan
        if not self.x[0] <= kink < self.x[-1]:
            return out                      # no kink on the grid (w = 0: a'' = 0 a.e.)
        i = int((kink - self.x[0]) // self.spacing)
        lam = (kink - self.x[i]) / self.spacing
        density = ((1 - lam) * self.stationary[i] + lam * self.stationary[i + 1]) / self.spacing
        out[i], out[i + 1] = (1 - lam) * density / abs(w), lam * density / abs(w)
        return out

    @_one_blas_thread
    def linear_response(self, n_lags: int) -> ResponseFunction:
        """Exact discrete kernel :math:`r_1(m)`, m = 0..n_lags-1.

        Parameters
        ----------
        n_lags : int
            The number of lags (>= 1).

        Returns
        -------
        ResponseFunction
            The first-order kernel, values (n_lags, p, m), ``method="grid"``.
        """
        n_lags = check_int("n_lags", n_lags, low=1)
        g = self._propagated_readouts(n_lags)
        a = self._weighted_stationary() @ self._kernel(0.0, 1)    # (G,)
        base = np.einsum("i,mip->mp", a, g)                         # (n_lags, p)
        values = base[:, :, None] * self.c[None, None, :]
        return ResponseFunction(values, dt=self.dt, method="grid", order=1,
                                discrete=True)

    @_one_blas_thread
    def second_order_response(self, n_lags: int) -> ResponseFunction:
        """Exact discrete second-order kernel on the ``R2(k1 dt, k2 dt)`` layout.

        ``values[k1, k2] = r2(k1, k2 - 1)`` for ``k2 >= 1`` and ``d2(k1) / dt**2`` for ``k2 = 0``.

        Parameters
        ----------
        n_lags : int
            The number of lags (>= 1).

        Returns
        -------
        ResponseFunction
            The second-order kernel, values (n_lags, n_lags, p, m, m), ``method="grid"``.
        """
        n_lags = check_int("n_lags", n_lags, low=1)
        g = self._propagated_readouts(n_lags)
        K1 = self._kernel(0.0, 1)
        if self.in_drift:               # dK/du_a = dt c_a diag(a'(z)) dK/dmu
            K1 = self.a1[:, None] * K1
        z = np.einsum("ij,mjp->mip", K1, g)                         # K' g_{k1}: (n_lags, G, p)
        out = np.empty((n_lags, n_lags, self.f.shape[1]))
        out[:, 0] = np.einsum("i,mip->mp", self._coincident_row(), g)
        b = self.stationary @ K1                                    # p K'  (G,)
        for gap in range(1, n_lags):
            out[:, gap] = np.einsum("i,mip->mp", b, z)
            b = b @ self.K
        cc = np.outer(self.c, self.c)
        values = out[:, :, :, None, None] * cc[None, None, None]
        return ResponseFunction(values, dt=self.dt, method="grid", order=2, discrete=True)
