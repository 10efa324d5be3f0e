"""docs/conventions.md states the constants the code uses (block sizes, burn-in floors,
divergence margin, lag layout, the 2-D rule); change one and this test says which line."""

from pathlib import Path

import numpy as np

import srnnkit as sk
from srnnkit import dynamics
from srnnkit._series import as_collection, as_series, as_sklearn_series
from srnnkit.simulate import BLOCK_SIZE, default_burn_in

PAGE = (Path(__file__).resolve().parent.parent / "docs" / "conventions.md").read_text()


def _says(text):
    assert text in " ".join(PAGE.split()), f"docs/conventions.md should say: {text!r}"


def test_block_sizes_and_seed_addressing():
    assert BLOCK_SIZE == dynamics.PATH_BLOCK
    _says(f"`simulate`: blocks of {dynamics.PATH_BLOCK} paths")
    _says("SeedSequence(entropy, spawn_key=(s, j))")
    _says(f"ensembles in blocks of {dynamics.ENSEMBLE_BLOCK} paths")
    _says(f"in groups of {dynamics.CHAIN_GROUP} per task")


def test_burn_in_rule_and_floors():
    floors = dynamics.BURN_IN_FLOORS
    _says(f"| `simulate` | `lambda / {1 / floors['simulate']:g}` | "
          f"{10 / floors['simulate']:g} leak times |")
    _says(f"| the Monte Carlo response estimators | `lambda / {1 / floors['estimators']:g}` | "
          f"{10 / floors['estimators']:g} leak times |")
    _says(f"`lambda / {1 / floors['reservoir']:g}` (the leak alone) | "
          f"{10 / floors['reservoir']:g} leak times |")
    _says("ceil(10 / (max(lambda - Lip(a) ||W||_2, f * lambda) * dt))")
    # the rule itself: V2 tanh SRNN, contraction bound 0.2, dt 0.02 -> 50 time units
    model = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, b=[0.3])
    assert default_burn_in(model, 0.02) == 2500


def test_divergence_margin():
    _says(f"the bound is {dynamics.MARGIN:g} times the state scale")
    model = sk.SRNN(W=[[0.0]], C=[[1.0]], sigma=0.0, gamma=1.0, activation="identity")
    assert dynamics.state_bound(model, 0.1, h0=[[1.0]]).base == dynamics.MARGIN


def test_lag_convention_matches_the_kernels():
    _says("`r1(k)` is the response of the output at step `N` to the input at step "
          "`j = N - 1 - k`")
    _says("`values[k1, k2] = r2(k1, k2 - 1)` for `k2 >= 1`")
    # a linear SRNN: an input at step j moves E h_N by dt * (I - dt A)^(N-1-j) C u_j
    model = sk.SRNN(W=[[0.0]], C=[[1.0]], sigma=0.1, gamma=2.0, activation="identity")
    rf = sk.response.linear_response(model, dt=0.1, n_lags=4, discrete=True)
    np.testing.assert_allclose(rf.values[:, 0, 0], 0.8 ** np.arange(4))


def test_two_d_rule():
    _says("read a 2-D array as ONE series `(n_steps, n_channels)`")
    _says("pass `U[:, :, None]` for n univariate series or `U[None]` for one series")
    _says("a 2-D `X` is `(n_series, n_steps)`")
    x = np.zeros((50, 3))
    assert as_series(x).values.shape == (1, 50, 3)
    assert as_sklearn_series(x).values.shape == (50, 3, 1)
    try:
        as_collection(x, "U")
    except ValueError as err:
        assert "U[:, :, None]" in str(err) and "(50, 3)" in str(err)
    else:
        raise AssertionError("a 2-D collection must raise")


def test_series_argument_names():
    """The vocabulary of docs/conventions.md: `inputs` drive an SRNN, `paths` go to the
    signature functions, `U`/`V` are the response kernels' collections, `X`/`Y` the paths of
    signature_kernel."""
    import inspect

    def first_series(func, skip=("model",)):
        return next(p for p in inspect.signature(func).parameters if p not in skip)

    from srnnkit.simulate import simulate

    for func in (simulate, sk.response.volterra_terms, sk.response.volterra_convergence,
                 sk.response_features):
        assert first_series(func) == "inputs", func.__name__
    for func in (sk.signature, sk.signatures.time_augment, sk.signatures.lead_lag):
        assert first_series(func) == "paths", func.__name__
    assert list(inspect.signature(sk.kernels.response_kernel).parameters)[:2] == ["U", "V"]
    assert list(inspect.signature(sk.kernels.signature_kernel).parameters)[:2] == ["X", "Y"]
    _says("`inputs` for series that drive an SRNN")
    _says("`paths` for the signature functions")


def test_a_legacy_random_state_seeds_like_a_generator():
    """scikit-learn's convention (found by fuzzing: every estimator refused one): 128 bits
    drawn from it, advancing it; two equal states give equal results."""
    from srnnkit.learning import LinearSRNNClassifier

    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 15, 2))
    y = np.arange(12) % 2
    a = LinearSRNNClassifier(random_state=np.random.RandomState(3)).fit(X, y)
    b = LinearSRNNClassifier(random_state=np.random.RandomState(3)).fit(X, y)
    np.testing.assert_array_equal(a.decision_function(X), b.decision_function(X))
    state = np.random.RandomState(3)
    sk.simulate(sk.SRNN.random(3, 1, seed=0), np.zeros((5, 1)), dt=0.1, seed=state)
    assert state.randint(2**31) != np.random.RandomState(3).randint(2**31)   # it advanced
