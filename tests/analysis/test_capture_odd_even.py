"""volterra_capture's odd/even split (runs at -eps with the same noise): zero even part and
odd remainder on a linear network, the split of a 1-D tanh network against a plain NumPy
common-random-numbers simulation, and the old fields untouched by the extra runs."""

from __future__ import annotations

import numpy as np
import pytest

import srnnkit as sk
from srnnkit._parallel import seed_child
from srnnkit._random import as_seed_sequence
from srnnkit.analysis import volterra_capture
from srnnkit.analysis._capture import ODD_EVEN_FIELDS
from srnnkit.analysis._ensemble import stationary_states
from tests.conftest import ou_model

DT = 0.1
OLD_FIELDS = ("error1", "error2", "error1_stderr", "error2_stderr", "floor", "converges",
              "improved", "error1_pooled", "error2_pooled", "response_rms", "order2_fit",
              "per_series", "ts", "stationary_mean_outputs")


def _tanh_setup(n_paths):
    """The 1-D tanh SRNN of test_capture_robustness with exact (grid) kernels."""
    model = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, gamma=1.0, b=[0.3], activation="tanh")
    r1 = sk.response.linear_response(model, dt=DT, n_lags=16, method="grid")
    r2 = sk.response.second_order_response(model, dt=DT, n_lags=16, method="grid")
    r1.stderr, r2.stderr = np.zeros_like(r1.values), np.zeros_like(r2.values)
    rng = np.random.default_rng(1)
    series = [rng.standard_normal((16, 1)) for _ in range(5)]
    h0 = stationary_states(model, DT, 5 * n_paths, 3).reshape(5, n_paths, -1)
    return model, [(r1, r2), (r1, r2)], series, h0


def test_linear_network_has_no_even_part_and_no_odd_remainder():
    """A linear chain's input-driven mean output is exactly eps * (r1 * u): its even part is
    zero to rounding, and with exact kernels order 1 is all of the odd part."""
    model = ou_model()
    r1 = sk.response.linear_response(model, dt=DT, n_lags=30, discrete=True)
    r2 = sk.response.second_order_response(model, dt=DT, n_lags=10, discrete=True)
    r1.stderr, r2.stderr = np.zeros_like(r1.values), np.zeros_like(r2.values)
    rng = np.random.default_rng(0)
    series = [rng.standard_normal((L, 1)) for L in (12, 12, 7, 20)]
    h0 = stationary_states(model, DT, 4 * 16, 1).reshape(4, 16, -1)
    cap = volterra_capture(model, DT, series, [(r1, r2), (r1, r2)], h0, seed=2)
    assert cap.odd_even
    for name in ("odd_error1", "even_part", "even_error2"):
        assert np.all(getattr(cap, name) < 1e-12), (name, getattr(cap, name))
    assert np.all(np.isfinite(cap.odd_error1_stderr))


@pytest.mark.filterwarnings("ignore::srnnkit.CostWarning")
def test_tanh_odd_even_parts_match_a_numpy_simulation():
    """The split recomputed from a plain NumPy Euler-Maruyama loop on the same starts and
    the same noise (the child (s,) of the seed for series s, as crn_outputs documents), at
    +-eps; with exact kernels the even part (order 2) falls like eps relative to the
    response, order 2 takes most of it, and the odd remainder (order 3) is small."""
    model, batches, series, h0 = _tanh_setup(4000)
    amps = np.array([2.0, 1.0])
    cap = volterra_capture(model, DT, series, batches, h0, amplitudes=amps, seed=4)
    r1, r2 = batches[0]
    vs = sk.response.VolterraSeries(r1, r2, mean=np.zeros(1))
    root = as_seed_sequence(4)
    ratios = np.zeros((3, 2, len(series)))
    for s, w in enumerate(series):
        rng = np.random.default_rng(seed_child(root, s))
        eps = np.concatenate([[0.0], amps, -amps])[:, None, None]       # (5, 1, 1)
        H = np.broadcast_to(h0[s], (5, *h0[s].shape)).copy()            # (5, P, 1)
        Ys = np.zeros((5, w.shape[0] + 1))
        for j in range(w.shape[0]):
            xi = rng.standard_normal((h0.shape[1], 1))
            H = H + DT * (np.tanh(0.8 * H + 0.3) - H + eps * w[j, 0]) + np.sqrt(DT) * 0.5 * xi
            Ys[:, j + 1] = (H - H[0])[..., 0].mean(axis=1)
        V = vs.terms(w)[:, 1:, 0]                                         # (2, L)
        for i, a in enumerate(amps):
            y, ym = Ys[1 + i, 1:], Ys[3 + i, 1:]
            odd, even = (y - ym) / 2, (y + ym) / 2
            n = np.linalg.norm(y)
            ratios[:, i, s] = (np.linalg.norm(odd - a * V[0]) / n, np.linalg.norm(even) / n,
                               np.linalg.norm(even - a * a * V[1]) / n)
    np.testing.assert_allclose(cap.odd_even_per_series, ratios, rtol=1e-7)
    np.testing.assert_allclose(cap.odd_error1, np.median(ratios[0], axis=1), rtol=1e-7)
    np.testing.assert_allclose(cap.even_part, np.median(ratios[1], axis=1), rtol=1e-7)
    np.testing.assert_allclose(cap.even_error2, np.median(ratios[2], axis=1), rtol=1e-7)
    # this network (bias 0.3) is nearly quadratic: what order 1 misses is its even part
    # (relative size ~ eps: 0.062, 0.032), order 2 takes most of it (order 4 left, ~ eps^3:
    # 0.005, 0.0006) and the odd orders 3+ are near the noise floor (0.002, 0.0008)
    np.testing.assert_allclose(cap.even_part[1] / cap.even_part[0], 0.5, atol=0.05)
    assert np.all(cap.even_error2 < 0.2 * cap.even_part)
    assert np.all(cap.odd_error1 < 0.1 * cap.even_part)
    np.testing.assert_allclose(cap.error1, cap.even_part, rtol=0.1)


def test_without_odd_even_the_old_fields_are_bit_identical():
    """The runs at -eps are extra variants of the same noise: every other field is the same
    to the bit with and without them (seed an int and a Generator); without them the new
    fields are NaN and metrics() has no keys for them."""
    from srnnkit.analysis._result import _odd_reason

    model, batches, series, h0 = _tanh_setup(300)
    for seed in (5, "generator"):
        caps = [volterra_capture(model, DT, series, batches, h0, seed=(
                    np.random.default_rng(7) if seed == "generator" else seed), odd_even=oe)
                for oe in (True, False)]
        for name in OLD_FIELDS:
            a, b = getattr(caps[0], name), getattr(caps[1], name)
            assert np.array_equal(a, b, equal_nan=True), name
        for k in caps[0].example:
            assert np.array_equal(caps[0].example[k], caps[1].example[k]), k
        assert not caps[1].odd_even
        for name in ODD_EVEN_FIELDS:
            assert np.isnan(getattr(caps[1], name)).all() and getattr(caps[1], name).shape == (4,)
            assert np.isfinite(getattr(caps[0], name)).all()
        assert np.isnan(caps[1].odd_even_per_series).all()
        assert _odd_reason(caps[1], 0) == ""


def test_the_problem_names_an_odd_remainder():
    """When order 2 does not converge at the data's amplitude and what order 1 misses is
    mostly odd, the problem line says so with the two numbers; an even part that dominates
    (or no split) adds nothing."""
    from types import SimpleNamespace

    from srnnkit.analysis._result import _volterra_problems

    amps = np.array([1.0, 0.5])
    v = SimpleNamespace(converges_at_data=False, largest_converging=0.5, amplitudes=amps,
                        response_rms=np.ones(2), error1=np.array([0.48, 0.15]),
                        error2=np.array([0.51, 0.14]), floor=np.full(2, 0.05),
                        improved=np.full(2, 0.4), order2_fit=np.full(2, 0.6),
                        odd_error1=np.array([0.49, 0.1]), even_part=np.array([0.14, 0.1]),
                        even_error2=np.array([0.22, 0.05]))
    (line,) = _volterra_problems(v)
    assert "mostly odd" in line and "odd remainder 0.49 against an even part of 0.14" in line
    assert "order 2 leaves at 0.22" in line and line.endswith("and below.")
    v.even_part = np.array([0.6, 0.1])
    (line,) = _volterra_problems(v)
    assert "mostly odd" not in line
    del v.odd_error1, v.even_part, v.even_error2
    (line,) = _volterra_problems(v)
    assert "mostly odd" not in line
