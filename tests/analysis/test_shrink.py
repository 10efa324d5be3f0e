"""Entry-wise shrinkage of noisy kernel estimates (shrink_weights, shrink_kernel,
shrink_batches) against a direct NumPy computation of max(0, 1 - SE^2 / r^2)."""

from __future__ import annotations

import numpy as np

import srnnkit as sk
from srnnkit.analysis import shrink_kernel, shrink_weights, volterra_capture
from srnnkit.analysis._ensemble import stationary_states
from srnnkit.analysis._kernels import pool_batches, shrink_batches


def _direct(r, s):
    out = np.empty_like(r)
    for i, (ri, si) in enumerate(zip(r.ravel(), s.ravel(), strict=True)):
        if si == 0:
            out.flat[i] = 1.0
        elif ri == 0:
            out.flat[i] = 0.0
        else:
            out.flat[i] = max(0.0, 1.0 - si ** 2 / ri ** 2)
    return out


def test_weights_by_hand():
    rng = np.random.default_rng(0)
    r = rng.standard_normal((5, 4, 3))
    s = np.abs(rng.standard_normal((5, 4, 3)))
    s[0, 0, 0], r[1, 1, 1] = 0.0, 0.0
    np.testing.assert_allclose(shrink_weights(r, s), _direct(r, s), rtol=0, atol=1e-15)
    # |r| = SE is removed, |r| = 2 SE keeps 3/4, |r| = 100 SE is nearly unchanged
    np.testing.assert_allclose(shrink_weights([0.3, -0.6, 30.0], [0.3] * 3),
                               [0.0, 0.75, 1 - 1e-4], rtol=1e-12, atol=1e-15)
    # inside one SE: zero, whatever the sign
    assert np.all(shrink_weights([0.1, -0.2, 0.0], [0.25, 0.25, 0.25]) == 0.0)


def test_shrink_kernel_scales_values_and_stderr():
    rng = np.random.default_rng(1)
    v, se = rng.standard_normal((6, 2, 2)), 0.5 * np.ones((6, 2, 2))
    r = sk.response.ResponseFunction(v, dt=0.1, stderr=se)
    w = _direct(v, se)
    out = shrink_kernel(r)
    np.testing.assert_allclose(out.values, v * w, rtol=1e-14)
    np.testing.assert_allclose(out.stderr, se * w, rtol=1e-14)
    assert out.info["shrunk"] and out.dt == r.dt
    assert shrink_kernel(sk.response.ResponseFunction(v, dt=0.1)) is not None  # no SE: as is


def test_batches_share_the_pooled_weights():
    """Each batch is multiplied by the weights of the pooled estimate, so the mean of the
    shrunk batches is the shrunk pooled kernel."""
    rng = np.random.default_rng(2)
    truth1, truth2 = rng.standard_normal((4, 1, 1)), np.zeros((3, 3, 1, 1, 1))
    truth2[0, 0] = 1.0

    def rf(t, order):
        return sk.response.ResponseFunction(t + 0.3 * rng.standard_normal(t.shape), dt=0.1,
                                            stderr=np.full(t.shape, 0.3), order=order)

    batches = [(rf(truth1, 1), rf(truth2, 2)) for _ in range(4)]
    shrunk = shrink_batches(batches)
    for order in (0, 1):
        pooled = pool_batches([b[order] for b in batches])
        want = pooled.values * _direct(pooled.values, pooled.stderr)
        got = np.mean([b[order].values for b in shrunk], axis=0)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_shrinkage_lowers_the_error_of_a_sparse_kernel():
    """A kernel with 2 % resolved entries (10 SE) and the rest zero, estimated with unit
    noise: shrinkage removes most of the noise of the zero entries (expected squared error
    E[(z - 1/z)^2; |z| > 1] = 0.333 of a raw one, by quadrature) and keeps the resolved
    ones (weight about 0.99, squared error about 1.01 of a raw one), so the ratio of its total
    squared error to the raw one is 0.98 * 0.333 + 0.02 * 1.01 = 0.347 (40000 entries:
    standard error of the ratio about 0.005)."""
    rng = np.random.default_rng(3)
    truth = np.where(rng.random(40_000) < 0.02, 10.0, 0.0)
    est = truth + rng.standard_normal(truth.size)
    shrunk = est * shrink_weights(est, np.ones_like(est))
    ratio = np.sum((shrunk - truth) ** 2) / np.sum((est - truth) ** 2)
    assert abs(ratio - 0.347) < 0.03


def test_exact_kernels_are_left_alone():
    """Kernels with zero standard errors (exact) have weight 1: shrinking changes nothing."""
    model = sk.SRNN(W=[[0.5]], C=[[1.0]], sigma=0.3, gamma=2.0, activation="tanh")
    r1 = sk.response.linear_response(model, dt=0.1, n_lags=8, method="grid")
    r2 = sk.response.second_order_response(model, dt=0.1, n_lags=4, method="grid")
    r1.stderr, r2.stderr = np.zeros_like(r1.values), np.zeros_like(r2.values)
    series = [np.random.default_rng(4).standard_normal((6, 1)) for _ in range(3)]
    h0 = stationary_states(model, 0.1, 3 * 16, 5).reshape(3, 16, -1)
    on, off = (volterra_capture(model, 0.1, series, [(r1, r2), (r1, r2)], h0, seed=6,
                                shrink=s) for s in (True, False))
    assert on.shrunk and not off.shrunk
    np.testing.assert_array_equal(on.per_series, off.per_series)


def test_order2_fit_recovers_a_known_multiple():
    """Responses built as eps V1 + c eps^2 V2 (no noise): the fitted multiple of the order-2
    term is c at every amplitude; order 1+2 beats order 1 exactly when c > 1/2."""
    from srnnkit.analysis._capture import _errors

    rng = np.random.default_rng(7)
    S, N, p = 5, 6, 2
    V = rng.standard_normal((S, 2, N + 1, p))
    amps = np.array([1.0, 0.5])
    mask = np.ones((S, N + 1), dtype=bool)
    mask[:, 0] = False
    for c in (0.3, 0.7, 1.0):
        Y = np.stack([a * V[:, 0] + c * a * a * V[:, 1] for a in amps])
        err = _errors(amps, Y, 0 * Y, V, 0 * V, mask, 0)
        np.testing.assert_allclose(err["order2_fit"], c, rtol=1e-12)
        assert np.all((err["per_series"][1] < err["per_series"][0]) == (c > 0.5))
