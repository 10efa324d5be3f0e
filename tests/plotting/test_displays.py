"""Displays take the library's own results as returned, draw what they say, never clip."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

import srnnkit as sk
from srnnkit.plotting import (
    GramDisplay,
    ResponseDisplay,
    SecondOrderDisplay,
    TrajectoryDisplay,
    VolterraDisplay,
)

V2 = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, gamma=1.0, b=[0.3])   # docs/theory.md V2
DT = 0.02


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def series():
    return sk.response.VolterraSeries.from_model(V2, order=2, dt=DT, n_lags=60, method="grid")


@pytest.fixture(scope="module")
def step():
    return np.r_[np.ones(30), np.zeros(30)][:, None]


def _quad():
    return sk.SRNN(W=[[0, .5], [-.3, 0]], C=[[1, 0], [.5, 1]], sigma=[[.6, 0], [.2, .5]],
                   gamma=[1, .8], activation="identity",
                   readout=sk.readouts.Quadratic([[1, .3], [.3, .5]]))


# ----------------------------------------------------------------------- Volterra display
def test_volterra_display_takes_simulate_and_predict_arrays(series, step):
    """(n+1, 1) arrays from simulate and predict (it crashed inside matplotlib before)."""
    u = 0.4 * step
    traj = sk.simulate(V2, u, dt=DT, n_paths=200, seed=0)
    pred = series.predict(u)
    assert traj.mean.shape == pred.shape == (61, 1)
    disp = VolterraDisplay.from_predictions(traj.ts, traj.mean, traj.stderr,
                                            {"order 2": pred}).plot()
    np.testing.assert_array_equal(disp.mc_mean, traj.mean[:, 0])
    line = next(ln for ln in disp.ax_[0].lines if ln.get_label() == "order 2")
    np.testing.assert_array_equal(line.get_ydata(), pred[:, 0])
    # the curves are E f(h_t) itself, not a deviation from <f>
    assert disp.ax_[0].get_ylabel() == "E f(h_t)"


def test_volterra_display_from_series_and_convergence(series, step):
    u = 0.4 * step
    traj = sk.simulate(V2, u, dt=DT, n_paths=200, seed=0)
    conv = sk.response.volterra_convergence(V2, step, dt=DT)
    disp = VolterraDisplay.from_series(series, u, traj, convergence=conv).plot()
    terms = series.terms(u)
    np.testing.assert_allclose(disp.predictions["order 1"], series.mean[0] + terms[0, :, 0])
    np.testing.assert_allclose(disp.predictions["order 1 + 2"], series.predict(u)[:, 0])
    assert len(disp.ax_) == 2 and disp.ax_[1].get_xscale() == "log"
    np.testing.assert_array_equal(disp.errors["order 2"], np.abs(conv.error2))


def test_volterra_display_refuses_a_trajectory_at_another_step(series, step):
    """Found by fuzzing: a run at dt = 0.05 was drawn on the series' time axis (0.02)."""
    traj = sk.simulate(V2, 0.4 * step, dt=2.5 * DT, n_paths=10, seed=0)
    with pytest.raises(ValueError, match=r"trajectory must be a simulation at the series' "
                                         r"step dt = 0\.02; got 'one at dt = 0\.05'"):
        VolterraDisplay.from_series(series, 0.4 * step, traj)


def test_volterra_display_checks_lengths(series, step):
    traj = sk.simulate(V2, 0.4 * step, dt=DT, n_paths=10, seed=0)
    with pytest.raises(ValueError, match=r"predictions\['p'\] must be an array with 61 "
                       r"values.*shape \(50, 1\)"):
        VolterraDisplay.from_predictions(traj.ts, traj.mean, traj.stderr,
                                         {"p": np.zeros((50, 1))})
    with pytest.raises(ValueError, match="output must be an integer"):
        VolterraDisplay.from_predictions(traj.ts, traj.mean, None, {}, output=3)


# ----------------------------------------------------------------------- response displays
def test_response_display_takes_a_second_order_result():
    quad = _quad()
    r2 = sk.response.second_order_response(quad, dt=0.05, n_lags=12)
    disp = ResponseDisplay.from_responses({"closed form": r2}, channel=(1, 0), lag2=3).plot()
    np.testing.assert_array_equal(disp.lines_[0].get_ydata(), r2.values[:, 3, 0, 1, 0])
    assert disp.ax_.get_ylabel() == "R2(τ1, τ2 = 0.15)"
    r1 = sk.response.linear_response(quad, dt=0.05, n_lags=12)
    with pytest.raises(ValueError, match="responses must be kernels of one order"):
        ResponseDisplay.from_responses([r1, r2])


def test_response_display_single_result_and_channel_checks():
    quad = _quad()
    r1 = sk.response.linear_response(quad, dt=0.05, n_lags=8, method="perturbation",
                                     n_paths=64, seed=0)
    disp = ResponseDisplay.from_responses(r1, channel=1).plot()
    np.testing.assert_array_equal(disp.lines_[0].get_ydata(), r1.values[:, 0, 1])
    with pytest.raises(ValueError, match="channel must be an integer"):
        ResponseDisplay.from_responses(r1, channel=2)
    with pytest.raises(TypeError, match="responses must be"):
        ResponseDisplay.from_responses([r1.values])


def test_second_order_display_map_and_signal_to_noise():
    est = sk.response.second_order_response(V2, dt=0.05, n_lags=8, method="girsanov",
                                            n_paths=4, n_steps=2000, seed=1)
    disp = SecondOrderDisplay.from_response(est).plot(threshold=3.0)
    np.testing.assert_array_equal(disp.image_.get_array(), est.values[:, :, 0, 0, 0])
    snr = np.abs(est.values[..., 0, 0, 0]) / est.stderr[..., 0, 0, 0]
    assert disp.max_snr_ == pytest.approx(np.nanmax(snr))
    assert disp.resolved_ == (np.nanmax(snr) >= 3.0)
    assert len(disp.ax_) == 2
    exact = sk.response.second_order_response(V2, dt=0.05, n_lags=8, method="grid")
    one = SecondOrderDisplay.from_response(exact).plot()
    assert len(one.ax_) == 1 and one.max_snr_ is None
    with pytest.raises(ValueError, match="response must be an order-2 ResponseFunction"):
        SecondOrderDisplay.from_response(sk.response.linear_response(V2, dt=0.05, n_lags=4,
                                                                     method="grid"))


def test_trajectory_display_picks_a_series_of_a_batch():
    model = sk.SRNN.random(3, 1, seed=0)
    traj = sk.simulate(model, np.ones((2, 20, 1)) * [[[0.0]], [[1.0]]], dt=0.05, n_paths=16,
                       seed=0)
    disp = TrajectoryDisplay.from_trajectory(traj, series=1).plot()
    np.testing.assert_array_equal(disp.lines_[0].get_ydata(), traj.mean[1, :, 0])
    with pytest.raises(ValueError, match="series must be an integer"):
        TrajectoryDisplay.from_trajectory(traj, series=2)


def test_gram_display_takes_a_cross_gram():
    U = np.random.default_rng(0).standard_normal((4, 10, 2))
    basis = sk.features.LegendreBasis(1, 1.0)
    K = sk.kernels.response_kernel(U[:3], U, dt=0.1, basis=basis)
    disp = GramDisplay.from_gram(K).plot()
    np.testing.assert_allclose(disp.image_.get_array(), np.log10(np.abs(K)))


# ------------------------------------------------------------------------ no clipped text
def _text_outside(fig) -> list[str]:
    """Axes (with their tick labels, axis labels, titles, legends; colour bars included)
    whose drawn extent leaves the saved figure."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)        # no bbox_inches="tight": what a user gets
    renderer = fig.canvas.get_renderer()
    W, H = fig.bbox.width, fig.bbox.height
    bad = []
    for ax in fig.axes:
        bb = ax.get_tightbbox(renderer)
        if bb.x0 < -0.5 or bb.y0 < -0.5 or bb.x1 > W + 0.5 or bb.y1 > H + 0.5:
            bad.append(f"{ax.get_xlabel()!r}/{ax.get_ylabel()!r} axes at {bb.bounds} "
                       f"in a {W:g} x {H:g} figure")
    return bad


def _all_displays(series, step):
    quad = _quad()
    traj = sk.simulate(V2, 0.4 * step, dt=DT, n_paths=64, seed=0)
    r1 = sk.response.linear_response(quad, dt=0.05, n_lags=20)
    est = sk.response.second_order_response(V2, dt=0.05, n_lags=6, method="girsanov",
                                            n_paths=4, n_steps=1000, seed=0)
    conv = sk.response.volterra_convergence(V2, step, dt=DT)
    return {
        "trajectory": TrajectoryDisplay.from_trajectory(traj),
        "response": ResponseDisplay.from_responses({"closed form": r1},
                                                   title="a title that is fairly long"),
        "second order": SecondOrderDisplay.from_response(est),
        "volterra": VolterraDisplay.from_series(series, 0.4 * step, traj, convergence=conv),
        "gram": GramDisplay.from_gram(np.eye(4) + 0.5),
    }


def test_saved_pngs_keep_every_label_inside(series, step):
    for name, disp in _all_displays(series, step).items():
        disp.plot()
        assert not _text_outside(disp.figure_), f"{name}: {_text_outside(disp.figure_)}"


def test_displays_draw_on_given_axes(series, step):
    fig, axs = plt.subplots(1, 2)
    disp = _all_displays(series, step)["volterra"].plot(ax=axs)
    assert disp.figure_ is fig and list(disp.ax_) == list(axs)
    with pytest.raises(ValueError, match="ax must be a sequence of 2 matplotlib Axes"):
        _all_displays(series, step)["volterra"].plot(ax=axs[0])
