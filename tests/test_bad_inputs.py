"""The bad-input matrix: every public function and class gets the classic bad inputs.

Each case feeds one argument a bad value (wrong ndim, wrong channel count, NaN, inf, empty,
length-1 series, negative or zero ``dt``, non-integer or absurd counts, strings, object or
complex arrays, ragged lists, unknown options) while every other argument is valid, and
checks that the right exception type comes (TypeError for a wrong kind of object, ValueError
for a wrong shape or value) and that its message names the argument.

Number of cases: 1402 (kept in sync by ``test_case_count``; update both when adding targets).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import srnnkit as sk
from srnnkit.features import ExponentialBasis, LegendreBasis, MonomialBasis, WeightedMonomialBasis
from srnnkit.readouts import Linear, Quadratic
from srnnkit.response import ResponseFunction, VolterraSeries

N_CASES = 1402

T, V = TypeError, ValueError
HUGE = 10**13
RNG = np.random.default_rng(0)
U3 = RNG.standard_normal((3, 6, 2))           # batch of series (n_series, n_steps, m=2)
U2 = U3[0]                                     # one series (n_steps, m=2)
P3 = RNG.standard_normal((3, 5, 2))            # batch of paths


def _model():
    return sk.SRNN.random(3, 2, noise=0.2, seed=0)


def _linear():
    return sk.SRNN(W=[[0.0, 0.5], [-0.3, 0.0]], C=[[1.0], [0.5]], sigma=0.5, gamma=1.0,
                   activation="identity", readout=[[1.0, 0.5]])


def _activation_model(sigma=0.3):
    return sk.SRNN(W=[[0.2, -0.4], [0.3, 0.1]], C=[[1.0], [0.5]], sigma=sigma, gamma=1.0,
                   input_mode="activation")


def _rf1():
    return ResponseFunction(np.ones((4, 1, 2)), dt=0.1)


def _rf2():
    return ResponseFunction(np.ones((4, 4, 1, 2, 2)), dt=0.1, order=2)


def _ts_file():
    with open("data.ts", "w") as fh:
        fh.write("@univariate true\n@classLabel true a b\n@data\n1,2,3:a\n4,5,6:b\n")
    return "data.ts"


def _series_batch():
    return np.random.default_rng(5).standard_normal((6, 8, 2))


def _labels():
    return np.array([0, 1] * 3)


def _estimator(name, **params):
    cls = getattr(sk.learning, name)
    if name in ("ResponseFeatures", "ResponseKernelRidge", "ResponseKernelClassifier") \
            and "basis" not in params and params.get("kernel") != "signature":
        params.setdefault("basis", LegendreBasis(1, 1.0))
    if name == "SRNNReservoir":
        params.setdefault("n_hidden", 6)
        params.setdefault("n_paths", 2)
    if name.startswith("LinearSRNN"):
        params.setdefault("n_oscillators", 5)
    if name.startswith("NoisyRNN"):
        pytest.importorskip("torch")                 # the optional extra srnnkit[torch]
        params.setdefault("n_hidden", 4)
        params.setdefault("max_updates", 2)
    return cls(**params)


def _fit(name):
    def run(X):
        y = _labels() if name.endswith("Classifier") else np.arange(6.0)
        if name in ("SRNNReservoir", "ResponseFeatures", "SignatureTransformer",
                    "LinearSRNNFeatures"):
            y = None
        return _estimator(name).fit(X, y)
    return run


def _transform(name):
    def run(X):
        est = _fit(name)(_series_batch())
        return est.transform(X) if hasattr(est, "transform") else est.predict(X)
    return run


def _fit_with(name):
    def run(**params):
        X = _series_batch()
        y = np.arange(len(X), dtype=float) if name == "ResponseKernelRidge" else None
        est = _estimator(name, **params).fit(X, y)
        return est.transform(X) if hasattr(est, "transform") else est
    return run


def _fit_labels(name):
    def run(y):
        return _estimator(name).fit(_series_batch(), y)
    return run


def _score(name):
    def run(y):
        est = _fit(name)(_series_batch())
        if not name.endswith("Classifier") and len(y) == 6:        # the valid baseline
            y = np.arange(6.0)
        return est.score(_series_batch(), y)
    return run


def _pandas_series():
    pd = pytest.importorskip("pandas")
    return pd.Series(np.linspace(0.0, 1.0, 8))


def _fit_noisy(name):
    def run(**params):
        y = _labels() if name.endswith("Classifier") else np.arange(6.0)
        return _estimator(name, **params).fit(_series_batch(), y)
    return run


def _noisy_net(**kw):
    pytest.importorskip("torch")
    return sk.nn.NoisyRNN(2, 3, 1, dt=0.1, seed=0, **kw)


def _forecaster():
    return sk.learning.ReservoirForecaster(n_hidden=10, washout=5, random_state=0).fit(
        np.sin(np.arange(60) * 0.2))


def _saved_file():
    sk.save(MonomialBasis(1), "basis.npz")    # tests run in a temporary directory
    return "basis.npz"


def _text_file():
    with open("notes.txt", "w") as fh:
        fh.write("not an archive")
    return "notes.txt"


# ------------------------------------------------------------------ bad-value factories
def _nan(v):
    a = np.array(v, dtype=float)
    a.flat[-1] = np.nan
    return a


def _inf(v):
    a = np.array(v, dtype=float)
    a.flat[0] = np.inf
    return a


def _object(v):
    return np.full(np.shape(v), None, dtype=object)


ARRAY = {  # kind -> (make(valid), exception)
    "nan": (_nan, V),
    "inf": (_inf, V),
    "string": (lambda v: "abc", T),
    "none": (lambda v: None, T),
    "object": (_object, T),
    "complex": (lambda v: np.asarray(v, dtype=float) * (1 + 1j), T),
    "empty": (lambda v: np.zeros((0, *np.shape(v)[1:])), V),
    "ndim+": (lambda v: np.asarray(v, dtype=float)[None, None], V),
    "ndim-": (lambda v: 1.5, V),
}
POSITIVE = {  # a positive finite number such as dt
    "negative": (lambda v: -0.1, V),
    "zero": (lambda v: 0.0, V),
    "nan": (lambda v: float("nan"), V),
    "inf": (lambda v: float("inf"), V),
    "string": (lambda v: "0.1", T),
    "none": (lambda v: None, T),
    "list": (lambda v: [0.1], T),
}
COUNT = {  # an integer >= 1 such as n_paths, depth
    "float": (lambda v: 2.5, T),
    "zero": (lambda v: 0, V),
    "negative": (lambda v: -3, V),
    "string": (lambda v: "3", T),
    "bool": (lambda v: True, T),
    "none": (lambda v: None, T),
}
CHOICE = {
    "unknown": (lambda v: "no-such-option", V),
    "int": (lambda v: 3, T),
}
FLAG = {"string": (lambda v: "yes", T)}
SEED = {
    "negative": (lambda v: -1, V),
    "float": (lambda v: 1.5, T),
    "string": (lambda v: "seed", T),
}
NJOBS = {"zero": (lambda v: 0, V), "float": (lambda v: 1.5, T), "string": (lambda v: "2", T)}
# the Gram functions' tile, read only with an executor, was not checked without one
TILE = {"zero": (lambda v: 0, V), "float": (lambda v: 1.5, T), "string": (lambda v: "x", T)}
# a flag read by bool() took "no", NaN or 2.5 as True (linear_response's discrete)
DISCRETE = {"string": (lambda v: "no", T), "nan": (lambda v: float("nan"), T),
            "none": (lambda v: None, T), "float": (lambda v: 2.5, T)}


# Estimators follow scikit-learn's input conventions (its common checks demand them): an
# object array is converted to float, so None becomes NaN (ValueError), and complex input is a
# ValueError ("Complex data not supported").
SKLEARN_X = {"object": (_object, V), "complex": (ARRAY["complex"][0], V)}


@dataclass
class Target:
    name: str
    call: Callable[..., Any]
    valid: Callable[[], dict]
    bad: dict[str, dict] = field(default_factory=dict)        # arg -> {kind: (make, exc)}
    names: dict[str, str] = field(default_factory=dict)       # arg -> regex the message has


def only(table: dict, *kinds: str) -> dict:
    return {k: table[k] for k in kinds}


def but(table: dict, *kinds: str) -> dict:
    return {k: v for k, v in table.items() if k not in kinds}


def const(value: Any, exc: type) -> tuple:
    return (lambda v: value, exc)


TARGETS: list[Target] = [
    # ------------------------------------------------------------------------ model
    Target("SRNN", lambda **k: sk.SRNN(**k),
           lambda: dict(W=np.eye(2) * 0.3, C=np.ones((2, 1)), sigma=0.5, gamma=1.0,
                        b=np.zeros(2), activation="tanh", readout=None),
           {"W": {**ARRAY, "not-square": const(np.ones((2, 3)), V)},
            "C": {**but(ARRAY, "empty"), "rows": const(np.ones((3, 1)), V)},
            "sigma": {**but(ARRAY, "empty", "ndim-", "none"), "negative": const(-0.5, V),
                      "rows": const(np.ones((3, 3)), V)},
            "gamma": {**but(ARRAY, "empty", "ndim-", "none"), "shape": const(np.ones(3), V)},
            "b": {**but(ARRAY, "none", "ndim-"), "shape": const(np.ones(3), V)},
            "activation": CHOICE,
            "readout": {"string": const("Q", T), "nan": const(np.array([[np.nan, 1.0]]), V),
                        "columns": const(np.ones((1, 3)), V),
                        "object": const(np.full((1, 2), None, dtype=object), T)}},
           names={"readout": "readout|Q"}),
    Target("SRNN.random", lambda **k: sk.SRNN.random(**k),
           lambda: dict(n_hidden=3, n_inputs=2, n_outputs=1, spectral_radius=0.9, noise=0.1,
                        density=1.0, activation="tanh", seed=0),
           {"n_hidden": {**COUNT, "huge": const(HUGE, V)},
            "n_inputs": {**COUNT, "huge": const(HUGE, V)},
            "n_outputs": {**COUNT, "huge": const(HUGE, V)},
            "spectral_radius": only(POSITIVE, "negative", "nan", "inf", "string"),
            "noise": only(POSITIVE, "negative", "nan", "string"),
            "density": {"zero": const(0.0, V), "above-one": const(1.5, V),
                        "string": const("0.5", V)},
            "activation": CHOICE,
            "seed": SEED}),
    Target("Linear", lambda **k: Linear(**k), lambda: dict(Q=np.ones((1, 2)), q=None),
           {"Q": but(ARRAY, "empty"), "q": {**only(ARRAY, "nan", "string", "object"),
                                            "shape": const(np.ones(3), V)}}),
    Target("Quadratic", lambda **k: Quadratic(**k), lambda: dict(M=np.eye(2)),
           {"M": {**ARRAY, "not-square": const(np.ones((2, 3)), V)}}),
    # ------------------------------------------------------------------- simulation
    Target("simulate", lambda **k: sk.simulate(**k),
           lambda: dict(model=_model(), inputs=U3.copy(), dt=0.05, n_paths=2, seed=0,
                        h0="zeros", method="euler", save="mean", save_every=1, n_jobs=None),
           {"model": {"string": const("model", T), "none": const(None, T),
                      "array": const(np.eye(3), T)},
            "inputs": {**but(ARRAY, "none", "ndim-"), "ndim+": const(U3[None, None], V),
                       "channels": const(np.ones((6, 3)), V),
                       "ragged": const([np.ones((6, 2)), np.ones((5, 2))], V)},
            "dt": POSITIVE,
            "n_paths": {**COUNT, "huge": const(HUGE, V)},
            "seed": SEED,
            "h0": {"unknown": const("random", V), "shape": const(np.ones(4), V),
                   "nan": const(np.array([np.nan, 0, 0]), V), "object": const(_object((3,)), T)},
            "burn_in": {"negative": const(-1, V), "float": const(2.5, T)},
            "method": CHOICE,
            "save": CHOICE,
            "save_every": only(COUNT, "float", "zero", "string"),
            "chunk_size": only(COUNT, "float", "zero", "string"),
            "n_jobs": NJOBS,
            "n_steps": {"mismatch": const(7, V), "float": const(6.0, T)}}),
    Target("simulate(inputs=None)", lambda **k: sk.simulate(**k),
           lambda: dict(model=_model(), inputs=None, dt=0.05, n_steps=5, seed=0),
           {"n_steps": {**but(COUNT, "none"), "none": const(None, V), "huge": const(HUGE, V)}}),
    Target("simulate(save=paths)", lambda **k: sk.simulate(**k),
           lambda: dict(model=_model(), inputs=U2.copy(), dt=0.05, n_paths=2, seed=0,
                        save="paths"),
           {"n_paths": {"huge": const(HUGE, V)}}),
    Target("simulate(method=exact)", lambda **k: sk.simulate(**k),
           lambda: dict(model=_linear(), inputs=np.ones((4, 1)), dt=0.05, method="exact"),
           {"model": {"nonlinear": const(sk.SRNN.random(2, 1, seed=0), V)}},
           names={"model": "method|activation"}),
    # ---------------------------------------------------------------------- response
    Target("stationary_covariance", lambda **k: sk.response.stationary_covariance(**k),
           lambda: dict(model=_linear(), dt=None),
           {"model": {"string": const("model", T), "nonlinear": const(_model(), V)},
            "dt": but(POSITIVE, "none")},
           names={"model": "model|activation"}),
    Target("linear_response", lambda **k: sk.response.linear_response(**k),
           lambda: dict(model=_linear(), dt=0.1, n_lags=3, method="analytic"),
           {"model": {"string": const("model", T), "none": const(None, T)},
            "dt": POSITIVE, "n_lags": {**COUNT, "huge": const(HUGE, V)}, "method": CHOICE,
            "discrete": DISCRETE}),
    Target("linear_response(perturbation)", lambda **k: sk.response.linear_response(**k),
           lambda: dict(model=_linear(), dt=0.1, n_lags=3, method="perturbation", n_paths=4,
                        seed=0),
           {"n_paths": only(COUNT, "float", "zero", "string"), "seed": SEED,
            "eps": only(POSITIVE, "negative", "zero", "nan", "string")}),
    Target("linear_response(lag window)", lambda **k: sk.response.linear_response(**k),
           lambda: dict(model=_linear(), dt=0.1, n_lags=3, method="perturbation", n_paths=2048,
                        seed=0),
           {"n_lags": {"window-too-large": const(10**8, V)}}),
    Target("linear_response(girsanov window)", lambda **k: sk.response.linear_response(**k),
           lambda: dict(model=_linear(), dt=0.1, n_lags=3, method="girsanov", n_paths=2,
                        seed=0),
           {"n_lags": {"window-too-large": const(10**8, V)}}),
    Target("second_order_response(lag window)",
           lambda **k: sk.response.second_order_response(**k),
           lambda: dict(model=_linear(), dt=0.1, n_lags=3, method="perturbation", n_paths=64,
                        seed=0),
           {"n_lags": {"window-too-large": const(10**5, V)}}),
    Target("linear_response(girsanov)", lambda **k: sk.response.linear_response(**k),
           lambda: dict(model=_linear(), dt=0.1, n_lags=3, method="girsanov", n_chains=2,
                        n_steps=20, seed=0),
           {"n_chains": {**only(COUNT, "float", "zero", "string", "bool"),
                         "one": const(1, V)}}),
    Target("linear_response(girsanov, input in the activation)",
           lambda **k: sk.response.linear_response(**k),
           lambda: dict(model=_activation_model(), dt=0.1, n_lags=3, method="girsanov",
                        n_chains=2, n_steps=20, seed=0, burn_in=10),
           {"model": {"noise-misses-input": const(_activation_model(sigma=[[0.3], [0.1]]), V)}},
           names={"model": "sigma"}),
    Target("second_order_response", lambda **k: sk.response.second_order_response(**k),
           lambda: dict(model=_linear(), dt=0.1, n_lags=3, method="analytic"),
           {"model": {"string": const("model", T)}, "dt": POSITIVE,
            "n_lags": {**COUNT, "huge": const(10**7, V)}, "method": CHOICE,
            "discrete": DISCRETE}),
    Target("ResponseFunction", lambda **k: ResponseFunction(**k),
           lambda: dict(values=np.ones((4, 1, 2)), dt=0.1, stderr=None, order=1),
           {"values": but(ARRAY, "nan", "inf"), "dt": POSITIVE,
            "stderr": {"shape": const(np.ones((3, 1, 2)), V), "string": const("abc", T)},
            "order": {"three": const(3, V), "float": const(1.0, T)}}),
    Target("VolterraSeries", lambda **k: VolterraSeries(**k),
           lambda: dict(first=_rf1(), second=_rf2(), mean=np.zeros(1)),
           {"first": {"string": const("rf", T), "order-2": const(_rf2(), T)},
            "second": {"string": const("rf", T), "order-1": const(_rf1(), T),
                       "dt": const(ResponseFunction(np.ones((4, 4, 1, 2, 2)), dt=0.2, order=2),
                                   V)},
            "mean": {**only(ARRAY, "nan", "inf", "string", "object", "empty"),
                     "shape": const(np.zeros(3), V)}}),
    Target("VolterraSeries.predict",
           lambda inputs: VolterraSeries(_rf1(), _rf2(), mean=[0.0]).predict(inputs),
           lambda: dict(inputs=np.ones((4, 2))),
           {"inputs": {**but(ARRAY, "ndim-"), "channels": const(np.ones((4, 3)), V)}}),
    Target("ResponseFunction(tau)", lambda tau: _rf1()(tau), lambda: dict(tau=[0.0, 0.15]),
           {"tau": {**only(ARRAY, "nan", "inf", "string", "object", "ndim+"),
                    "beyond": const([0.0, 5.0], V), "negative": const([-0.1], V)}}),
    Target("VolterraSeries.from_model", lambda **k: VolterraSeries.from_model(**k),
           lambda: dict(model=_linear(), order=2, dt=0.1, n_lags=3, method="analytic"),
           {"model": {"string": const("model", T)}, "order": {"three": const(3, V),
                                                              "float": const(2.0, T)},
            "dt": POSITIVE, "n_lags": only(COUNT, "float", "zero", "string"),
            "method": CHOICE}),
    Target("volterra_terms", lambda **k: sk.response.volterra_terms(**k),
           lambda: dict(model=_linear(), inputs=np.ones((4, 1)) * 0.1, dt=0.1, order=1,
                        n_paths=8, seed=0),
           {"model": {"string": const("model", T)},
            "inputs": {**but(ARRAY, "ndim-", "ndim+", "none"),
                       "channels": const(np.ones((4, 2)), V)},
            "dt": POSITIVE, "order": {"zero": const(0, V), "float": const(1.5, T)},
            "n_paths": only(COUNT, "float", "zero", "string")}),
    Target("GridChain", lambda **k: sk.response.GridChain(**k),
           lambda: dict(model=sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, b=[0.3]), dt=0.05,
                        spacing=0.02),
           {"model": {"string": const("model", T), "2-D": const(_linear(), V)},
            "dt": POSITIVE, "spacing": {**POSITIVE, "tiny": const(1e-9, V)}}),
    # -------------------------------------------------------------------- signatures
    Target("signature", lambda **k: sk.signature(**k),
           lambda: dict(paths=P3.copy(), depth=2, stream=False, scalar_term=False, n_jobs=None),
           {"paths": {**but(ARRAY, "ndim+"), "len1": const(np.ones((1, 2)), V),
                      "batch-len1": const(np.ones((3, 1, 2)), V),
                      "no-channels": const(np.ones((4, 0)), V),
                      "ragged": const([np.ones((5, 2)), np.ones((4, 2))], V)},
            "depth": {**COUNT, "huge": const(40, V)},
            "stream": FLAG, "scalar_term": FLAG, "n_jobs": NJOBS,
            "max_bytes": {"negative": const(-1, V), "string": const("1GB", T)}},
           names={"depth": "depth|max_bytes"}),
    Target("signature_dim", lambda **k: sk.signature_dim(**k),
           lambda: dict(n_channels=2, depth=3),
           {"n_channels": COUNT, "depth": COUNT}),
    Target("signature_combine", lambda **k: sk.signatures.signature_combine(**k),
           lambda: dict(sig1=np.ones(6), sig2=np.ones(6), n_channels=2, depth=2),
           {"sig1": {**only(ARRAY, "nan", "inf", "string", "object", "none"),
                     "length": const(np.ones(5), V)},
            "sig2": {**only(ARRAY, "nan", "string"), "length": const(np.ones(7), V)},
            "n_channels": only(COUNT, "float", "zero", "string"),
            "depth": only(COUNT, "float", "zero", "string")}),
    # batch axes that do not broadcast: NumPy's "shape mismatch" named neither argument
    Target("signature_combine(batch)", lambda **k: sk.signatures.signature_combine(**k),
           lambda: dict(sig1=np.ones((2, 6)), sig2=np.ones((2, 6)), n_channels=2, depth=2),
           {"sig2": {"batch": const(np.ones((3, 6)), V),
                     "batch-2d": const(np.ones((2, 3, 6)), V)}}),
    Target("signature_inverse", lambda **k: sk.signatures.signature_inverse(**k),
           lambda: dict(sig=np.ones(6), n_channels=2, depth=2),
           {"sig": {**only(ARRAY, "nan", "inf", "string", "object", "none", "empty"),
                    "length": const(np.ones(5), V)},
            "depth": only(COUNT, "float", "zero")}),
    Target("time_augment", lambda **k: sk.signatures.time_augment(**k),
           lambda: dict(paths=P3.copy(), times=None),
           {"paths": but(ARRAY, "ndim+", "empty"),
            "times": {**only(ARRAY, "nan", "string", "object"),
                      "length": const(np.arange(4.0), V)}}),
    Target("add_basepoint", lambda **k: sk.signatures.add_basepoint(**k),
           lambda: dict(paths=P3.copy(), basepoint=None),
           {"paths": but(ARRAY, "ndim+", "empty"),
            "basepoint": {**only(ARRAY, "nan", "string", "object"),
                          "channels": const(np.zeros(3), V)}}),
    Target("lead_lag", lambda **k: sk.signatures.lead_lag(**k), lambda: dict(paths=P3.copy()),
           {"paths": but(ARRAY, "ndim+", "empty")}),
    Target("word_to_index", lambda **k: sk.signatures.word_to_index(**k),
           lambda: dict(word=(0, 1), n_channels=2),
           {"word": {"string": const("01", T), "letter": const((0, 2), V),
                     "float-letter": const((0, 1.0), T), "empty": const((), V),
                     "negative": const((-1,), V)},
            "n_channels": only(COUNT, "float", "zero", "string")}),
    Target("index_to_word", lambda **k: sk.signatures.index_to_word(**k),
           lambda: dict(index=3, n_channels=2),
           {"index": only(COUNT, "float", "negative", "string"),
            "n_channels": only(COUNT, "float", "zero")}),
    Target("words", lambda **k: sk.signatures.words(**k), lambda: dict(n_channels=2, depth=2),
           {"n_channels": COUNT, "depth": {**COUNT, "huge": const(10**4, V)}}),
    Target("level_slices", lambda **k: sk.signatures.level_slices(**k),
           lambda: dict(n_channels=2, depth=2),
           {"n_channels": COUNT, "depth": {**COUNT, "huge": const(10**9, V)}}),
    # ---------------------------------------------------------------------- features
    Target("MonomialBasis", lambda **k: MonomialBasis(**k), lambda: dict(degree=2),
           {"degree": but(COUNT, "zero")}),
    Target("WeightedMonomialBasis", lambda **k: WeightedMonomialBasis(**k),
           lambda: dict(degree=2), {"degree": but(COUNT, "zero", "none")}),
    Target("LegendreBasis", lambda **k: LegendreBasis(**k), lambda: dict(degree=2, T=1.0),
           {"degree": but(COUNT, "zero"), "T": POSITIVE}),
    Target("ExponentialBasis", lambda **k: ExponentialBasis(**k),
           lambda: dict(rates=np.array([0.0, 1.0])), {"rates": ARRAY}),
    Target("basis(t)", lambda t, degree=2: MonomialBasis(degree)(t),
           lambda: dict(t=np.linspace(0, 1, 4)),
           {"t": but(ARRAY, "ndim-", "empty", "none"),
            "degree": {"huge": const(HUGE, V)}}),
    Target("basis.kappa", lambda s, t: LegendreBasis(2, 1.0).kappa(s, t),
           lambda: dict(s=np.linspace(0, 1, 4), t=np.linspace(0, 1, 4)),
           {"s": {"string": const("abc", T), "none": const(None, T),
                  "shape": const(np.ones(3), V)},
            "t": {"string": const("abc", T), "shape": const(np.ones((2, 3)), V)}},
           names={"s": r"\bs\b", "t": r"\bt\b"}),
    Target("basis.integrals", lambda a, b: ExponentialBasis([1.0]).integrals(a, b),
           lambda: dict(a=np.zeros(3), b=np.ones(3)),
           {"a": {**only(ARRAY, "nan", "string", "object"), "length": const(np.zeros(2), V)},
            "b": {**only(ARRAY, "inf", "string"), "ndim+": const(np.ones((3, 1)), V)}},
           names={"a": r"\ba\b", "b": r"\bb\b"}),
    Target("tensor_path", lambda **k: sk.features.tensor_path(**k),
           lambda: dict(inputs=U3.copy(), dt=0.1, basis=MonomialBasis(1), refine=1),
           {"inputs": {**but(ARRAY, "ndim-"), "1-D": const(np.ones(5), V),
                       "ragged": const([np.ones((5, 2)), np.ones((4, 2))], V)},
            "dt": POSITIVE,
            "basis": {"string": const("monomial", T), "none": const(None, T),
                      "infinite": const(WeightedMonomialBasis(), V)},
            "refine": {**COUNT, "huge": const(HUGE, V)}},
           names={"refine": "refine"}),
    Target("response_features", lambda **k: sk.response_features(**k),
           lambda: dict(inputs=U3.copy(), dt=0.1, basis=LegendreBasis(1, 1.0), depth=2,
                        stream=False, refine=1, n_jobs=None),
           {"inputs": {**but(ARRAY, "ndim-"), "1-D": const(np.ones(5), V),
                       "ragged": const([np.ones((5, 2)), np.ones((4, 2))], V)},
            "dt": POSITIVE,
            "basis": {"string": const("legendre", T), "class": const(LegendreBasis, T),
                      "infinite": const(WeightedMonomialBasis(), V)},
            "depth": {**COUNT, "huge": const(30, V)},
            "stream": FLAG, "scalar_term": FLAG, "refine": {**COUNT, "huge": const(HUGE, V)},
            "n_jobs": NJOBS},
           names={"depth": "depth", "refine": "refine"}),
    # ----------------------------------------------------------------------- kernels
    Target("signature_kernel", lambda **k: sk.kernels.signature_kernel(**k),
           lambda: dict(X=P3.copy(), Y=None, static="linear", dyadic_order=0, scale=1.0),
           {"X": {**but(ARRAY, "ndim-"), "len1": const(np.ones((3, 1, 2)), V),
                  "ragged-channels": const([np.ones((5, 2)), np.ones((4, 3))], V)},
            "Y": {**only(ARRAY, "nan", "inf", "string", "object"),
                  "channels": const(np.ones((2, 5, 3)), V)},
            "static": CHOICE,
            "dyadic_order": {**but(COUNT, "zero", "none"), "huge": const(60, V)},
            "scale": only(POSITIVE, "negative", "zero", "nan", "string"),
            "tile": TILE}),
    Target("response_kernel", lambda **k: sk.kernels.response_kernel(**k),
           lambda: dict(U=U3.copy(), V=None, dt=0.1, basis=LegendreBasis(1, 1.0),
                        dyadic_order=0, depth=None),
           {"U": {**but(ARRAY, "ndim-")},
            "V": {**only(ARRAY, "nan", "string"), "channels": const(np.ones((2, 5, 3)), V)},
            "dt": POSITIVE,
            "basis": {"string": const("legendre", T), "none": const(None, T)},
            "depth": {**only(COUNT, "float", "zero", "string"), "huge": const(10**6, V)},
            "dyadic_order": {"negative": const(-1, V), "float": const(1.5, T),
                             "huge": const(60, V)},
            "tile": TILE}),
    # --------------------------------------------------------------------- plotting
    Target("TrajectoryDisplay", lambda **k: sk.plotting.TrajectoryDisplay.from_trajectory(**k),
           lambda: dict(traj=sk.simulate(_model(), U2, dt=0.05, n_paths=2, seed=0)),
           {"traj": {"string": const("traj", T), "array": const(np.ones((3, 1)), T)}}),
    Target("GramDisplay", lambda **k: sk.plotting.GramDisplay.from_gram(**k),
           lambda: dict(gram=np.eye(3)),
           {"gram": {**but(ARRAY, "empty", "ndim-", "inf", "nan"),
                     "3-d": const(np.ones((2, 3, 3)), V)}}),
    Target("ResponseDisplay", lambda **k: sk.plotting.ResponseDisplay.from_responses(**k),
           lambda: dict(responses={"a": _rf2()}, output=0, channel=(1, 0), lag2=2),
           {"responses": {"string": const("rf", T), "empty": const([], V),
                          "array": const([np.ones((4, 1, 2))], T)},
            "output": {"too-large": const(1, V), "float": const(0.5, T)},
            "channel": {"too-large": const(2, V), "triple": const((0, 0, 0), V)},
            "lag2": {"too-large": const(4, V), "string": const("1", T)}}),
    Target("SecondOrderDisplay", lambda **k: sk.plotting.SecondOrderDisplay.from_response(**k),
           lambda: dict(response=_rf2(), output=0, channels=(0, 1)),
           {"response": {"string": const("rf", T), "order-1": (lambda v: _rf1(), V)},
            "channels": {"too-large": const((0, 2), V), "float": const(0.5, T)},
            "output": {"too-large": const(3, V)}}),
    Target("VolterraDisplay", lambda **k: sk.plotting.VolterraDisplay.from_predictions(**k),
           lambda: dict(ts=np.linspace(0, 1, 5), mc_mean=np.ones((5, 1)), mc_stderr=None,
                        predictions={"p": np.ones((5, 1))}, amplitudes=[0.1, 0.2],
                        errors={"e": [1e-3, 4e-3]}, output=0),
           {"ts": {"2-d": const(np.ones((5, 2)), V), "nan": const([0, np.nan, 1, 2, 3], V)},
            "mc_mean": {"length": const(np.ones((4, 1)), V), "string": const("m", T)},
            "mc_stderr": {"length": const(np.ones(6), V)},
            "predictions": {"list": const([np.ones(5)], T),
                            "length": const({"p": np.ones((3, 1))}, V)},
            "amplitudes": {"negative": const([-0.1, 0.2], V), "length": const([0.1], V)},
            "errors": {"string": const("e", T)},
            "output": {"too-large": const(1, V)}},
           names={"predictions": r"predictions", "errors": r"errors"}),
    # ----------------------------------------------------------------------- datasets
    Target("narma10", lambda **k: sk.datasets.narma10(**k),
           lambda: dict(n_steps=50, seed=0),
           {"n_steps": {**COUNT, "huge": const(HUGE, V)}, "seed": SEED}),
    Target("mackey_glass", lambda **k: sk.datasets.mackey_glass(**k),
           lambda: dict(n_steps=50, tau=17.0, dt=1.0),
           {"n_steps": {**COUNT, "huge": const(HUGE, V)}, "tau": POSITIVE,
            "dt": POSITIVE}),
    Target("srnn_teacher", lambda **k: sk.datasets.srnn_teacher(**k),
           lambda: dict(n_series=3, n_steps=10, n_paths=4, seed=0),
           {"n_series": only(COUNT, "float", "zero", "string"),
            "n_steps": only(COUNT, "float", "zero", "string"),
            "n_paths": only(COUNT, "float", "zero", "string")}),
    Target("load_ts", lambda **k: sk.datasets.load_ts(**k),
           lambda: dict(path=_ts_file(), missing="raise", return_type="auto"),
           {"path": {"int": const(3, T), "none": const(None, T)},
            "missing": CHOICE, "return_type": CHOICE}),
    # --------------------------------------------------------------------- learning
    *[Target(f"{name}.fit", _fit(name), lambda: dict(X=_series_batch()),
             {"X": {**but(ARRAY, "ndim-", "ndim+"), "4-D": const(np.ones((2, 3, 4, 2)), V),
                    **SKLEARN_X,
                    "ragged-channels": const([np.ones((5, 2)), np.ones((4, 3))], V)}})
      for name in ("SRNNReservoir", "ResponseFeatures", "SignatureTransformer",
                   "ResponseKernelRidge", "ResponseKernelClassifier", "LinearSRNNFeatures",
                   "LinearSRNNClassifier", "LinearSRNNRegressor", "NoisyRNNClassifier",
                   "NoisyRNNRegressor")],
    *[Target(f"{name}.transform", _transform(name), lambda: dict(X=_series_batch()),
             {"X": {**only(ARRAY, "nan", "inf", "string"), **SKLEARN_X,
                    "channels": const(np.ones((3, 8, 3)), V)}})
      for name in ("SRNNReservoir", "ResponseFeatures", "ResponseKernelRidge",
                   "LinearSRNNFeatures", "LinearSRNNRegressor", "NoisyRNNClassifier",
                   "NoisyRNNRegressor")],
    # a user's one series where a batch goes: said so, with what to pass (found by fuzzing:
    # a 1-D X got scikit-learn's advice reshape(-1, 1), n_steps series of one step each; a
    # (n_steps, n_channels) X at predict read "X[0] must be series with 2 channel(s); got
    # (2, 1)"); an empty list; mixed str/int labels (a TypeError from numpy's sort)
    *[Target(f"{name}.fit(one series)", _fit(name), lambda: dict(X=_series_batch()),
             {"X": {"1-D": const(np.ones(8), V), "Series": (lambda v: _pandas_series(), V)}},
             names={"X": r"\bX\b.*X\[None\]"})
      for name in ("SRNNReservoir", "ResponseKernelClassifier", "LinearSRNNClassifier",
                   "LinearSRNNRegressor", "NoisyRNNClassifier")],
    *[Target(f"{name}.fit(empty)", _fit(name), lambda: dict(X=_series_batch()),
             {"X": {"empty-list": const([], V)}})
      for name in ("SRNNReservoir", "ResponseKernelRidge", "LinearSRNNClassifier")],
    *[Target(f"{name}.transform(one series)", _transform(name),
             lambda: dict(X=_series_batch()),
             {"X": {"(n_steps, n_channels)": const(np.ones((8, 2)), V)}},
             names={"X": r"\bX\b.*X\[None\]"})
      for name in ("SRNNReservoir", "SignatureTransformer", "ResponseFeatures",
                   "ResponseKernelRidge", "LinearSRNNRegressor", "NoisyRNNRegressor")],
    *[Target(f"{name}.fit(labels)", _fit_labels(name), lambda: dict(y=_labels()),
             {"y": {"mixed-kinds": const(np.array(["a", 1] * 3, dtype=object), V),
                    "complex": const(_labels() + 0j, T),
                    "nan": const(np.array([0.0, 1.0] * 2 + [0.0, np.nan]), V),
                    "inf": const(np.array([0.0, 1.0] * 2 + [np.inf, 1.0]), V),
                    "object-nan": const(np.array(["a", "b"] * 2 + ["a", np.nan],
                                                 dtype=object), V)}})
      for name in ("ResponseKernelClassifier", "LinearSRNNClassifier", "NoisyRNNClassifier")],
    # a one-step series at predict when every training series had 8 steps (fit refuses a
    # batch of one-step series; predict took them silently): named, with both lengths
    *[Target(f"{name}.transform(one-step)", _transform(name), lambda: dict(X=_series_batch()),
             {"X": {"one-step": const(np.ones((3, 1, 2)), V),
                    "one-step-in-list": const([np.ones((8, 2)), np.ones((1, 2))], V)}},
             names={"X": r"^X\[\d\] must be a series of at least 2 steps \(the shortest "
                         r"training series had 8\); got 'a series of 1 step'"})
      for name in ("SRNNReservoir", "ResponseFeatures", "ResponseKernelRidge",
                   "ResponseKernelClassifier", "LinearSRNNFeatures", "LinearSRNNClassifier",
                   "LinearSRNNRegressor", "NoisyRNNClassifier", "NoisyRNNRegressor")],
    # score with a y of the wrong length: scikit-learn's "inconsistent numbers of samples"
    # named neither y nor X
    *[Target(f"{name}.score", _score(name), lambda: dict(y=_labels()),
             {"y": {"short": const(np.arange(5), V), "long": const(np.arange(7), V)}},
             names={"y": r"^y must have one entry per series .*X has 6 series; got .*"
                         r"\([57] entries\)"})
      for name in ("ResponseKernelRidge", "ResponseKernelClassifier", "LinearSRNNClassifier",
                   "LinearSRNNRegressor", "NoisyRNNClassifier", "NoisyRNNRegressor")],
    # complex X: one line (scikit-learn's message went on with the whole array)
    *[Target(f"{name}.fit(complex)", _fit(name), lambda: dict(X=_series_batch()),
             {"X": {"complex": (ARRAY["complex"][0], V)}},
             names={"X": r"^X must be real numbers \(Complex data not supported\); got "
                         r"array of shape \(6, 8, 2\) and dtype complex128\.$"})
      for name in ("SRNNReservoir", "LinearSRNNClassifier", "ResponseKernelRidge")],
    # models of a series' time course: nothing to learn from constant or one-step series
    *[Target(f"{name}.fit(time course)", _fit(name), lambda: dict(X=_series_batch()),
             {"X": {"constant": const(np.ones((6, 8, 2)), V),
                    "one-step": const(np.ones((6, 1, 2)), V)}})
      for name in ("LinearSRNNFeatures", "LinearSRNNClassifier", "LinearSRNNRegressor",
                   "ResponseKernelRidge", "ResponseKernelClassifier")],
    Target("SRNNReservoir(params)", _fit_with("SRNNReservoir"), lambda: {},
           {"n_hidden": {**but(COUNT, "none"), "huge": const(HUGE, V)},
            "dt": but(POSITIVE, "none", "list"),
            "n_paths": but(COUNT, "none", "bool"), "pooling": CHOICE, "activation": CHOICE,
            "random_state": SEED}),
    Target("ResponseFeatures(params)", _fit_with("ResponseFeatures"), lambda: {},
           {"depth": {**but(COUNT, "none", "bool"), "huge": const(40, V)},
            "basis": {"string": const("legendre", T)},
            "dt": only(POSITIVE, "negative", "zero", "nan", "string"),
            "refine": but(COUNT, "none", "bool")}),
    Target("LinearSRNNFeatures(params)", _fit_with("LinearSRNNFeatures"), lambda: {},
           {"n_oscillators": {**but(COUNT, "none"), "huge": const(HUGE, V)},
            "n_thresholds": but(COUNT, "none"),
            "noise": but(POSITIVE, "zero"), "max_decay": POSITIVE,
            "max_memory": only(POSITIVE, "negative", "zero", "nan", "string"),
            "subsample": FLAG,
            "max_frequency": {"negative": const(-1.0, V), "too-big": const(4.0, V),
                              "string": const("pi", T)},
            "oscillating": {"too-big": const(1.5, V), "negative": const(-0.1, V)},
            "derivative": FLAG, "standardize": FLAG, "readout": CHOICE, "pooling": CHOICE,
            "random_state": SEED, "n_jobs": NJOBS}),
    Target("SignatureTransformer(params)", _fit_with("SignatureTransformer"), lambda: {},
           {"depth": {**but(COUNT, "none", "bool"), "huge": const(40, V)}}),
    Target("ResponseKernelRidge(params)", _fit_with("ResponseKernelRidge"), lambda: {},
           {"kernel": CHOICE, "alpha": only(POSITIVE, "negative", "nan", "string"),
            "input_scale": {**only(POSITIVE, "negative", "zero", "nan"),
                            "string": const("big", V)},
            "max_length": {**only(COUNT, "float", "zero"), "negative": const(-3, V)},
            "normalize": FLAG, "derivative": FLAG, "fit_intercept": FLAG,
            "alphas": {"negative": const([1.0, -1.0], V), "string": const("many", T),
                       "empty": const([], V)},
            "cv": CHOICE, "dyadic_order": {"negative": const(-1, V), "float": const(0.5, T)}}),
    *[Target(f"{name}(params)", _fit_noisy(name), lambda: {},
             {"n_hidden": {**but(COUNT, "none"), "huge": const(HUGE, V)},
              "dt": {**but(POSITIVE, "none")},
              "sigma": only(POSITIVE, "negative", "nan", "string"),
              "sigma_mult": only(POSITIVE, "negative", "inf", "string"),
              "activation": CHOICE, "parameterization": CHOICE, "prediction": CHOICE,
              "learning_rate": but(POSITIVE, "none"),
              "batch_size": but(COUNT, "none"), "max_updates": but(COUNT, "none"),
              "n_iter_no_change": only(COUNT, "zero", "bool", "string"),
              "n_paths": only(COUNT, "zero", "float", "bool"),
              "early_stopping": FLAG,
              "validation_fraction": {"zero": const(0.0, V), "one": const(1.0, V),
                                      "string": const("0.1", T)},
              "random_state": SEED})
      for name in ("NoisyRNNClassifier", "NoisyRNNRegressor")],
    Target("NoisyRNN", lambda **k: (pytest.importorskip("torch"), sk.nn.NoisyRNN(**k)),
           lambda: dict(n_inputs=2, n_hidden=3, n_outputs=1, dt=0.1, sigma=0.1, sigma_mult=0.0,
                        activation="tanh", parameterization="free", gamma=1.0, beta=0.75,
                        readout="last", init_scale=1.0, seed=0),
           {"n_inputs": {**COUNT, "huge": const(HUGE, V)},
            "n_hidden": {**COUNT, "huge": const(HUGE, V)},
            "n_outputs": {**COUNT, "huge": const(HUGE, V)},
            "dt": POSITIVE,
            "sigma": {**only(ARRAY, "nan", "inf", "string", "object", "none", "ndim+"),
                      "negative": const(-0.5, V), "shape": const(np.ones(4), V)},
            "sigma_mult": but(POSITIVE, "zero"),
            "activation": CHOICE, "parameterization": CHOICE, "readout": CHOICE,
            "gamma": {**only(ARRAY, "nan", "string", "ndim+"), "shape": const(np.ones(4), V)},
            "beta": {"zero": const(0.0, V), "one": const(1.0, V), "string": const("0.5", T)},
            "init_scale": only(POSITIVE, "negative", "nan", "string"),
            "seed": SEED}),
    Target("NoisyRNN.forward", lambda **k: _noisy_net()(**k),
           lambda: dict(u=np.ones((4, 5, 2)), lengths=None),
           {"u": {**but(ARRAY, "ndim-", "ndim+"), "channels": const(np.ones((4, 5, 3)), V),
                  "4-D": const(np.ones((1, 4, 5, 2)), V)},
            "lengths": {"zero": const([1, 0, 2, 3], V), "long": const([1, 6, 2, 3], V),
                        "float": const([1.0, 2.0, 2.0, 3.0], T),
                        "shape": const([1, 2], V)}}),
    Target("NoisyRNN.from_srnn", lambda **k: (pytest.importorskip("torch"),
                                             sk.nn.NoisyRNN.from_srnn(**k)),
           lambda: dict(model=sk.SRNN.random(3, 1, input_mode="activation", seed=0), dt=0.1),
           {"model": {"string": const("model", T), "none": const(None, T),
                      "additive": const(_model(), V),
                      "quadratic": const(sk.SRNN(np.zeros((2, 2)), np.ones((2, 1)), 0.1,
                                                 readout=Quadratic(np.eye(2)),
                                                 input_mode="activation"), V)},
            "dt": POSITIVE, "parameterization": CHOICE}),
    Target("ReservoirForecaster.fit", lambda **k: sk.learning.ReservoirForecaster(
               n_hidden=10, washout=5, random_state=0).fit(**k),
           lambda: dict(series=np.sin(np.arange(60) * 0.2)),
           {"series": {**but(ARRAY, "ndim-", "ndim+", "empty"),
                       "too-short": const(np.ones(4), V)}}),
    Target("ReservoirForecaster.predict", lambda **k: _forecaster().predict(**k),
           lambda: dict(n_ahead=5),
           {"n_ahead": {**but(COUNT, "none"), "huge": const(HUGE, V)},
            "history": {**only(ARRAY, "nan", "string", "object"),
                        "channels": const(np.ones((20, 2)), V)}}),
    Target("kernel_ridge_cv", lambda **k: sk.learning.kernel_ridge_cv(**k),
           lambda: dict(K=np.eye(4) + 0.1, y=np.arange(4.0), alphas=[0.1, 1.0]),
           {"K": {**but(ARRAY, "ndim-", "none"), "not-square": const(np.ones((4, 3)), V)},
            "y": {**only(ARRAY, "nan", "inf", "string"), "length": const(np.ones(3), V)},
            "alphas": {"negative": const([-1.0], V), "string": const("x", T)},
            "cv": CHOICE}),
    # ------------------------------------------------------------------ persistence
    Target("save", lambda **k: sk.save(**k),
           lambda: dict(obj=MonomialBasis(1), path="unused.npz"),
           {"obj": {"dict": const({"a": 1}, T), "none": const(None, T),
                    "callable-readout": const(sk.SRNN(W=[[0.1]], C=[[1.0]], sigma=0.1,
                                                      readout=np.sin), T)},
            "path": {"int": const(3, T), "none": const(None, T), "bytes": const(b"x.npz", T),
                     "empty": const("", V)}},
           names={"obj": "obj|readout"}),
    Target("load", lambda **k: sk.load(**k), lambda: dict(path=_saved_file()),
           {"path": {"int": const(3, T), "none": const(None, T), "empty": const("", V),
                     "directory": const(".", V), "text-file": (lambda v: _text_file(), V)}}),
    # ------------------------------------------------- cost layer: counts beyond memory
    Target("linear_response(girsanov runs)", lambda **k: sk.response.linear_response(**k),
           lambda: dict(model=_model(), dt=0.1, n_lags=3, method="girsanov", n_chains=2,
                        n_steps=20, seed=0, burn_in=5),
           {"n_chains": {"absurd": const(10**14, V)}}),
    Target("VolterraSeries.from_model(mean)", lambda **k: VolterraSeries.from_model(**k),
           lambda: dict(model=_model(), order=1, dt=0.1, n_lags=3, method="perturbation",
                        n_paths=8, seed=0, burn_in=5),
           {"mean_paths": {**only(COUNT, "float", "zero", "string"),
                           "absurd": const(10**19, V)}}),
    Target("volterra_terms(size)", lambda **k: sk.response.volterra_terms(**k),
           lambda: dict(model=_linear(), inputs=np.ones((4, 1)) * 0.1, dt=0.1, order=1,
                        n_paths=8, seed=0),
           {"n_paths": {"absurd": const(10**19, V)}}),
    Target("signature_kernel(size)", lambda **k: sk.kernels.signature_kernel(**k),
           lambda: dict(X=P3.copy()),
           {"X": {"too-many-series": const(np.broadcast_to(np.zeros((1, 3, 2)),
                                                           (10**9, 3, 2)), V)}}),
    Target("response_kernel(size)", lambda **k: sk.kernels.response_kernel(**k),
           lambda: dict(U=U3.copy(), dt=0.1, basis=LegendreBasis(1, 1.0)),
           {"U": {"too-many-series": const(np.broadcast_to(np.zeros((1, 3, 2)),
                                                           (10**9, 3, 2)), V)}}),
    # ------------------------------------- kernel stream: the pooled kernel, kernel machine
    Target("pooled_response_kernel", lambda **k: sk.kernels.pooled_response_kernel(**k),
           lambda: dict(U=U3.copy(), V=None, reference=None, n_modes=4, n_knots=5,
                        bandwidth=0.25, degree=1, linear=0.5, normalize=False),
           {"U": {**only(ARRAY, "nan", "inf", "string", "none", "empty")},
            "V": {**only(ARRAY, "nan", "string"), "channels": const(np.ones((2, 5, 3)), V)},
            "reference": {**only(ARRAY, "nan", "string"),
                          "channels": const(np.ones((2, 5, 3)), V)},
            "n_modes": {**but(COUNT, "none"), "huge": const(10**10, V)},
            "n_knots": {**but(COUNT, "none"), "one": const(1, V), "huge": const(10**5, V)},
            "bandwidth": but(POSITIVE, "inf"),
            "degree": {**only(COUNT, "float", "negative", "string"), "three": const(3, V)},
            "linear": only(POSITIVE, "negative", "nan", "string"),
            "normalize": FLAG}),
    Target("ResponseKernelRidge(pooled params)", _fit_with("ResponseKernelRidge"),
           lambda: dict(kernel="pooled"),
           {"n_modes": {**only(COUNT, "float", "zero", "string"), "huge": const(10**10, V)},
            "n_knots": {**only(COUNT, "float", "string"), "one": const(1, V)},
            "bandwidth": {**only(POSITIVE, "negative", "zero", "nan"),
                          "string": const("wide", V), "huge": const(1e6, V)},
            "degree": {"three": const(3, V), "negative": const(-1, V),
                       "string": const("high", V)},
            "kernel_weights": {"negative": const([1.0, -1.0], V),
                               "length": const([1.0, 1.0, 1.0], V),
                               "zeros": const([0.0, 0.0], V), "string": const("mix", V)}}),
    # --------------------------------- resp: pathwise, mixed and the learned score (issue 18)
    Target("linear_response(fdt score)", lambda **k: sk.response.linear_response(**k),
           lambda: dict(model=_model(), dt=0.1, n_lags=3, method="fdt", score="learned",
                        n_chains=2, n_steps=20, seed=0, burn_in=5),
           {"score": {"unknown": const("kde", V), "int": const(3, T), "none": const(None, T),
                      "exact-nonlinear": const("exact", V)}}),
    Target("linear_response(pathwise)", lambda **k: sk.response.linear_response(**k),
           lambda: dict(model=_activation_model(), dt=0.1, n_lags=3, method="pathwise",
                        n_chains=2, n_steps=20, seed=0, burn_in=5),
           {"n_chains": {**only(COUNT, "float", "zero", "string"), "one": const(1, V)},
            "n_steps": {"shorter-than-two-windows": const(5, V), "float": const(20.5, T)}}),
    Target("second_order_response(mixed)",
           lambda **k: sk.response.second_order_response(**k),
           lambda: dict(model=_activation_model(), dt=0.1, n_lags=3, method="mixed",
                        n_chains=2, n_steps=20, seed=0, burn_in=5),
           {"n_chains": {**only(COUNT, "float", "zero"), "one": const(1, V)},
            "model": {"noise-misses-input": const(_activation_model(sigma=[[0.3], [0.1]]), V)},
            "n_paths": {"with-n_chains": const(4, V)}},
           names={"model": "sigma"}),
    # ------------------------------------------------------------------------ analysis
    Target("analyze_network", lambda **k: sk.analysis.analyze_network(**k),
           lambda: dict(model=_linear(), dt=0.1, inputs=np.ones((2, 4, 1)), budget=0.001,
                        seed=0),
           {"model": {"string": const("model.npz", T), "array": const(np.eye(2), T)},
            "dt": {**but(POSITIVE, "none"), "none": const(None, V)},
            "inputs": {**but(ARRAY, "none", "object", "complex"),
                       "complex": (ARRAY["complex"][0], V), "object": (_object, V),
                       "channels": const(np.ones((2, 4, 2)), V),
                       "no-steps": const(np.ones((2, 0, 1)), V)},
            "budget": POSITIVE,
            "targets": {"for-an-srnn": const([0, 1], T)},
            "seed": SEED,
            "burn_in": {"negative": const(-1, V), "float": const(2.5, T),
                        "string": const("5", T)},
            "n_jobs": NJOBS}),
    Target("compare_kernels", lambda **k: sk.analysis.compare_kernels(**k),
           lambda: dict(a=ResponseFunction(np.ones((4, 1, 2)), dt=0.1,
                                           stderr=np.full((4, 1, 2), 0.1)),
                        b=ResponseFunction(np.ones((4, 1, 2)), dt=0.1,
                                           stderr=np.full((4, 1, 2), 0.1))),
           {"a": {"array": const(np.ones((4, 1, 2)), T), "none": const(None, T)},
            "b": {"no-stderr": const(ResponseFunction(np.ones((4, 1, 2)), dt=0.1), V),
                  "shape": const(ResponseFunction(np.ones((5, 1, 2)), dt=0.1,
                                                  stderr=np.ones((5, 1, 2))), V),
                  "dt": const(ResponseFunction(np.ones((4, 1, 2)), dt=0.2,
                                               stderr=np.ones((4, 1, 2))), V),
                  "string": const("b", T)},
            "threshold": POSITIVE}),
]


def _cases():
    out = []
    for target in TARGETS:
        for arg, kinds in target.bad.items():
            for kind, (make, exc) in kinds.items():
                out.append(pytest.param(target, arg, make, exc,
                                        id=f"{target.name}-{arg}-{kind}"))
    return out


CASES = _cases()


@pytest.mark.parametrize(("target", "arg", "make", "exc"), CASES)
def test_bad_input(target, arg, make, exc, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)                       # save() writes nowhere else
    kwargs = target.valid()
    kwargs[arg] = make(kwargs.get(arg))
    with pytest.raises((TypeError, ValueError)) as info:
        target.call(**kwargs)
    err = info.value
    assert isinstance(err, exc), f"expected {exc.__name__}, got {type(err).__name__}: {err}"
    pattern = target.names.get(arg, rf"\b{re.escape(arg)}\b")
    assert re.search(pattern, str(err)), f"message does not name {arg!r}: {err}"


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_valid_baseline_runs(target, tmp_path, monkeypatch):
    """The valid arguments of every target do work (so each bad case tests one argument)."""
    monkeypatch.chdir(tmp_path)
    target.call(**target.valid())


def test_case_count():
    assert len(CASES) == N_CASES, f"update N_CASES and the module docstring to {len(CASES)}"
    assert f"Number of cases: {N_CASES}" in __doc__
