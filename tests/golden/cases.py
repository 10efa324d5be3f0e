"""The golden calls: a broad fixed set of calls whose outputs were recorded before the
refactor of the dynamics core (``make_golden.py``) and are replayed bitwise by
``test_golden.py``.

Every model is built with every argument given explicitly (``SRNN.random``'s defaults may
change), every call has a fixed seed, and the sizes are tiny. Each case returns a dict of
arrays; ``None`` is recorded as the string ``"None"``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable

import numpy as np

#: name -> (function, group); group "fast" runs by default, "slow" with -m slow,
#: "cuda" needs NUMBA_ENABLE_CUDASIM=1 (or a GPU) before numba.cuda is imported.
CASES: dict[str, tuple[Callable[[], dict], str]] = {}


def case(name: str, group: str = "fast"):
    def register(fn: Callable[[], dict]) -> Callable[[], dict]:
        CASES[name] = (fn, group)
        return fn
    return register


def _arr(x) -> np.ndarray:
    return np.array("None") if x is None else np.asarray(x)


def _traj(tr) -> dict:
    out = {"mean": tr.mean, "stderr": tr.stderr, "ts": tr.ts,
           "burn_in": np.array(tr.burn_in)}
    if tr.outputs is not None:
        out["outputs"] = tr.outputs
    if tr.states is not None:
        out["states"] = tr.states
        out["state_ts"] = tr.state_ts
    return {k: _arr(v) for k, v in out.items()}


def _rf(rf) -> dict:
    return {"values": _arr(rf.values), "stderr": _arr(rf.stderr)}


# ----------------------------------------------------------------------------- models
RANDOM = dict(n_outputs=2, spectral_radius=0.9, input_scale=0.8, noise=0.3, gamma=1.0,
              density=1.0, bias_scale=0.4, input_mode="additive")


def rnd(activation="tanh", n=4, m=2, seed=0, **over):
    import srnnkit as sk

    kw = {**RANDOM, **over}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sk.SRNN.random(n, m, activation=activation, seed=seed, **kw)


def rebuild(model, **over):
    """The same network with some parameters replaced (explicit constructor)."""
    import srnnkit as sk

    kw = dict(W=model.W, C=model.C, sigma=model.sigma, gamma=model.gamma_matrix
              if model.gamma_kind == "full" else model.gamma, b=model.b,
              activation=model.activation, readout=model.readout)
    kw.update(over)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sk.SRNN(**kw)


def ou(readout=None):
    import srnnkit as sk

    return sk.SRNN(W=[[0.0, 0.5], [-0.3, 0.0]], C=[[1.0], [0.5]],
                   sigma=[[0.6, 0.0], [0.2, 0.5]], gamma=[1.0, 0.8], activation="identity",
                   readout=readout)


def ou_lin():
    return ou([[1.0, 0.5]])


def ou_quad():
    import srnnkit as sk

    return ou(sk.readouts.Quadratic([[1.0, 0.3], [0.3, 0.5]]))


def tanh1d():
    import srnnkit as sk

    return sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, gamma=1.0, b=[0.3], activation="tanh")


def tanh2d():
    import srnnkit as sk

    return sk.SRNN(W=[[0.5, -0.4], [0.6, 0.2]], C=[[1.0, 0.0], [0.3, 0.7]],
                   sigma=[[0.6, 0.1], [0.0, 0.5]], gamma=[1.0, 1.2], b=[0.2, -0.1],
                   readout=[[1.0, 0.0], [0.5, -1.0]], activation="tanh")


def callable_readout(h):
    return np.stack([np.tanh(h[..., 0]), h[..., 1] * h[..., 2]], axis=-1)


def inputs(n_steps=25, m=2, seed=3):
    return 0.7 * np.random.default_rng(seed).standard_normal((n_steps, m))


SIM = dict(dt=0.05, n_paths=300, seed=1)


# --------------------------------------------------------------------------- simulate
def _sim(model, u=None, **kw):
    import srnnkit as sk

    args = {**SIM, **kw}
    return _traj(sk.simulate(model, u, **args))


for _act in ("tanh", "relu", "sigmoid", "identity"):
    case(f"sim/act/{_act}")(lambda a=_act: _sim(rnd(a), inputs()))

case("sim/act/tanh_njobs2")(lambda: _sim(rnd("tanh"), inputs(), n_jobs=2))
case("sim/exact/identity_states")(
    lambda: _sim(rnd("identity"), inputs(), method="exact", save="states", n_paths=40))
case("sim/exact/ou_mean")(lambda: _sim(ou_lin(), inputs(m=1), method="exact"))
case("sim/euler/ou_stationary")(lambda: _sim(ou_lin(), inputs(m=1)))
case("sim/euler/ou_quad")(lambda: _sim(ou_quad(), inputs(m=1)))
case("sim/gamma/diag")(lambda: _sim(rnd(gamma=np.array([0.8, 1.0, 1.1, 1.3])), inputs()))
case("sim/gamma/full")(lambda: _sim(
    rnd(gamma=np.eye(4) + 0.2 * np.triu(np.ones((4, 4)), 1) - 0.1 * np.tril(np.ones((4, 4)), -1)),
    inputs()))
case("sim/sigma/diag")(lambda: _sim(rebuild(rnd(), sigma=np.array([0.1, 0.2, 0.3, 0.4])),
                                    inputs()))
case("sim/sigma/full")(lambda: _sim(
    rebuild(rnd(), sigma=0.3 * np.tril(np.ones((4, 4))) + 0.1 * np.eye(4)), inputs()))
case("sim/sigma/nonsquare")(lambda: _sim(
    rebuild(rnd(), sigma=0.2 * np.arange(12.0).reshape(4, 3) / 12 + 0.05), inputs()))
case("sim/sigma/full_identity")(lambda: _sim(
    rebuild(rnd("identity"), sigma=0.3 * np.tril(np.ones((4, 4))), activation="identity"),
    inputs()))


def _readout(kind):
    import srnnkit as sk

    M = np.array([[1.0, 0.2, 0.0, 0.1], [0.2, 0.5, 0.1, 0.0], [0.0, 0.1, 0.8, 0.3],
                  [0.1, 0.0, 0.3, 0.6]])
    return {"identity": None, "linear": sk.readouts.Linear(np.arange(8.0).reshape(2, 4) / 8,
                                                           q=[0.1, -0.2]),
            "quadratic": sk.readouts.Quadratic(M), "callable": callable_readout}[kind]


for _ro in ("identity", "linear", "quadratic", "callable"):
    case(f"sim/readout/{_ro}")(lambda r=_ro: _sim(rebuild(rnd(), readout=_readout(r)),
                                                 inputs()))
    case(f"sim/readout/{_ro}_paths")(lambda r=_ro: _sim(rebuild(rnd(), readout=_readout(r)),
                                                       inputs(), save="paths", n_paths=40))

case("sim/h0/zeros")(lambda: _sim(rnd(), inputs(), h0="zeros"))
case("sim/h0/vector")(lambda: _sim(rnd(), inputs(), h0=np.array([0.5, -0.2, 0.1, 1.0])))
case("sim/h0/matrix")(lambda: _sim(rnd(), inputs(), n_paths=40,
                                   h0=np.linspace(-1, 1, 160).reshape(40, 4)))
case("sim/h0/zeros_burn7")(lambda: _sim(rnd(), inputs(), h0="zeros", burn_in=7))
case("sim/save/paths")(lambda: _sim(rnd(), inputs(), save="paths", n_paths=260))
case("sim/save/states")(lambda: _sim(rnd(), inputs(), save="states", n_paths=260))
case("sim/save/states_every3")(lambda: _sim(rnd(), inputs(), save="states", save_every=3,
                                            n_paths=50))
case("sim/batch")(lambda: _sim(rnd(), np.stack([inputs(20, seed=s) for s in range(3)])))
case("sim/batch_paths")(lambda: _sim(rnd(), np.stack([inputs(10, seed=s) for s in range(2)]),
                                     save="paths", n_paths=30))
case("sim/chunk/1")(lambda: _sim(rnd(), inputs(), n_paths=600, chunk_size=1))
case("sim/chunk/512")(lambda: _sim(rnd(), inputs(), n_paths=600, chunk_size=512))
case("sim/chunk/512_njobs2")(lambda: _sim(rnd(), inputs(), n_paths=600, chunk_size=512,
                                          n_jobs=2))
case("sim/none_inputs")(lambda: _sim(rnd(), None, n_steps=15))
case("sim/one_path")(lambda: _sim(rnd(), inputs(), n_paths=1))
case("sim/univariate_1d")(lambda: _sim(rnd(m=1), inputs(m=1)[:, 0]))
case("sim/seed_seedsequence")(lambda: _sim(rnd(), inputs(), seed=np.random.SeedSequence(5)))
case("sim/seed_generator")(lambda: _sim(rnd(), inputs(), seed=np.random.default_rng(5)))
case("sim/large_dt_reservoir")(lambda: _sim(rnd(), inputs(), dt=1.0, n_paths=20))


@case("sim/dask", group="slow")
def _sim_dask():
    distributed = __import__("pytest").importorskip("dask.distributed")
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2,
                            dashboard_address=None) as client:
        out = _sim(rnd(), inputs(), n_paths=600, executor=client)
        paths = _sim(rnd(), inputs(), n_paths=300, save="paths", executor=client)
    return {**out, **{"paths_" + k: v for k, v in paths.items()}}


# --------------------------------------------------------------------------- response
def _lr(model, **kw):
    import srnnkit as sk

    return _rf(sk.response.linear_response(model, **kw))


def _r2(model, **kw):
    import srnnkit as sk

    return _rf(sk.response.second_order_response(model, **kw))


case("r1/analytic/ou")(lambda: _lr(ou_lin(), dt=0.1, n_lags=8))
case("r1/analytic/ou_discrete")(lambda: _lr(ou_lin(), dt=0.1, n_lags=8, discrete=True))
case("r1/analytic/ou_quad")(lambda: _lr(ou_quad(), dt=0.1, n_lags=8))
case("r1/perturbation/ou")(lambda: _lr(ou_lin(), dt=0.05, n_lags=6, method="perturbation",
                                       n_paths=300, seed=2))
case("r1/perturbation/tanh1d_2blocks")(lambda: _lr(tanh1d(), dt=0.05, n_lags=6,
                                                   method="perturbation", n_paths=2100, seed=3))
case("r1/perturbation/tanh2d_small")(lambda: _lr(tanh2d(), dt=0.05, n_lags=6,
                                                 method="perturbation", n_paths=100, seed=4))
case("r1/perturbation/tanh2d_burn")(lambda: _lr(tanh2d(), dt=0.05, n_lags=5,
                                                method="perturbation", n_paths=300, seed=4,
                                                burn_in=30, eps=0.01))
case("r1/perturbation/relu_njobs2")(lambda: _lr(rebuild(tanh2d(), activation="relu"), dt=0.05,
                                                n_lags=5, method="perturbation", n_paths=2100,
                                                seed=5, n_jobs=2))
case("r1/perturbation/sigmoid_quad")(lambda: _lr(
    rebuild(tanh2d(), activation="sigmoid",
            readout=__import__("srnnkit").readouts.Quadratic([[1.0, 0.2], [0.2, 0.4]])),
    dt=0.05, n_lags=5, method="perturbation", n_paths=260, seed=6))
case("r1/fdt/ou_exact")(lambda: _lr(ou_lin(), dt=0.05, n_lags=8, method="fdt", n_chains=3,
                                    n_steps=2000, seed=7))
case("r1/fdt/ou_gaussian")(lambda: _lr(ou_lin(), dt=0.05, n_lags=8, method="fdt", n_chains=3,
                                       n_steps=2000, seed=7, score="gaussian"))
case("r1/fdt/tanh1d")(lambda: _lr(tanh1d(), dt=0.05, n_lags=8, method="fdt", n_chains=3,
                                  n_steps=2000, seed=8))
case("r1/fdt/tanh2d")(lambda: _lr(tanh2d(), dt=0.05, n_lags=8, method="fdt", n_chains=5,
                                  n_steps=1500, seed=9))


@case("r1/fdt/tanh1d_grid_score")
def _fdt_grid():
    import srnnkit as sk

    chain = sk.response.GridChain(tanh1d(), dt=0.05)
    return _lr(tanh1d(), dt=0.05, n_lags=8, method="fdt", n_chains=3, n_steps=2000, seed=8,
               score=chain.conjugate_variable)


case("r1/girsanov/ou")(lambda: _lr(ou_lin(), dt=0.05, n_lags=8, method="girsanov", n_chains=3,
                                   n_steps=2000, seed=10))
case("r1/girsanov/ou_quad")(lambda: _lr(ou_quad(), dt=0.05, n_lags=8, method="girsanov",
                                        n_chains=3, n_steps=2000, seed=10))
case("r1/girsanov/tanh1d")(lambda: _lr(tanh1d(), dt=0.05, n_lags=8, method="girsanov",
                                       n_chains=3, n_steps=2000, seed=11))
case("r1/girsanov/tanh2d_njobs2")(lambda: _lr(tanh2d(), dt=0.05, n_lags=8, method="girsanov",
                                              n_chains=5, n_steps=1500, seed=12, n_jobs=2))
case("r1/girsanov/relu2d_burn")(lambda: _lr(rebuild(tanh2d(), activation="relu"), dt=0.05,
                                            n_lags=6, method="girsanov", n_chains=3,
                                            n_steps=1000, seed=12, burn_in=50))
case("r1/grid/tanh1d")(lambda: _lr(tanh1d(), dt=0.05, n_lags=8, method="grid"))

case("r2/analytic/ou_quad")(lambda: _r2(ou_quad(), dt=0.1, n_lags=4))
case("r2/analytic/ou_quad_discrete")(lambda: _r2(ou_quad(), dt=0.1, n_lags=4, discrete=True))
case("r2/analytic/ou_linear")(lambda: _r2(ou_lin(), dt=0.1, n_lags=3))
case("r2/perturbation/tanh1d")(lambda: _r2(tanh1d(), dt=0.05, n_lags=4,
                                           method="perturbation", n_paths=300, seed=13))
case("r2/perturbation/tanh2d")(lambda: _r2(tanh2d(), dt=0.05, n_lags=3,
                                           method="perturbation", n_paths=100, seed=14))
case("r2/perturbation/ou_quad")(lambda: _r2(ou_quad(), dt=0.05, n_lags=3,
                                            method="perturbation", n_paths=300, seed=15))
case("r2/girsanov/tanh1d")(lambda: _r2(tanh1d(), dt=0.05, n_lags=4, method="girsanov",
                                       n_chains=3, n_steps=1500, seed=16))
case("r2/girsanov/tanh2d")(lambda: _r2(tanh2d(), dt=0.05, n_lags=3, method="girsanov",
                                       n_chains=3, n_steps=1000, seed=17))
case("r2/girsanov/ou_quad")(lambda: _r2(ou_quad(), dt=0.05, n_lags=3, method="girsanov",
                                        n_chains=3, n_steps=1000, seed=18))
case("r2/grid/tanh1d")(lambda: _r2(tanh1d(), dt=0.05, n_lags=4, method="grid"))


def _vs(model, u, **kw):
    import srnnkit as sk

    vs = sk.response.VolterraSeries.from_model(model, **kw)
    out = {"predict": vs.predict(u), "terms": vs.terms(u), "mean": vs.mean,
           "first": vs.first.values, "first_se": _arr(vs.first.stderr)}
    if vs.second is not None:
        out["second"] = vs.second.values
        out["second_se"] = _arr(vs.second.stderr)
    return out


case("vs/grid")(lambda: _vs(tanh1d(), inputs(12, 1), order=2, dt=0.05, n_lags=12,
                            method="grid"))
case("vs/analytic")(lambda: _vs(ou_quad(), inputs(10, 1), order=2, dt=0.05, n_lags=10,
                                method="analytic", discrete=True))
case("vs/perturbation")(lambda: _vs(tanh2d(), inputs(6), order=2, dt=0.05, n_lags=6,
                                    method="perturbation", n_paths=120, seed=19,
                                    mean_paths=500))
case("vs/girsanov")(lambda: _vs(tanh1d(), inputs(8, 1), order=2, dt=0.05, n_lags=8,
                                method="girsanov", n_chains=3, n_steps=800, seed=20,
                                mean_paths=300))
case("vs/girsanov_batch")(lambda: _vs(tanh1d(), np.stack([inputs(8, 1, s) for s in (1, 2)]),
                                      order=1, dt=0.05, n_lags=8, method="girsanov",
                                      n_chains=3, n_steps=800, seed=20, mean_paths=300))


@case("vs/girsanov_terms")
def _girsanov_terms():
    import srnnkit as sk

    vs = sk.response.VolterraSeries.from_model(tanh1d(), order=2, dt=0.05, n_lags=8,
                                               method="grid")
    res = vs.girsanov_terms(inputs(8, 1), n_paths=400, seed=21, burn_in=100)
    return {"terms": res.terms, "stderr": res.stderr, "ts": res.ts}


def _vt(model, u, **kw):
    import srnnkit as sk

    res = sk.response.volterra_terms(model, u, **kw)
    return {"terms": res.terms, "stderr": res.stderr, "ts": res.ts}


case("vt/tanh1d")(lambda: _vt(tanh1d(), inputs(10, 1), dt=0.05, n_paths=400, seed=22))
case("vt/tanh1d_2blocks")(lambda: _vt(tanh1d(), inputs(6, 1), dt=0.05, n_paths=2100, seed=22,
                                      burn_in=50))
case("vt/ou_quad_order3")(lambda: _vt(ou_quad(), inputs(10, 1), dt=0.05, order=3,
                                      n_paths=300, seed=23))
case("vt/tanh2d_njobs2")(lambda: _vt(tanh2d(), inputs(8), dt=0.05, n_paths=300, seed=24,
                                     n_jobs=2))


def _vc(model, u, **kw):
    import srnnkit as sk

    r = sk.response.volterra_convergence(model, u, **kw)
    return {k: np.asarray(getattr(r, k)) for k in
            ("amplitudes", "exact", "exact_stderr", "v1", "v2", "v_stderr", "error1",
             "error2", "error_stderr", "slope1", "slope2")}


def _step(n=20):
    w = np.zeros((n, 1))
    w[: n // 2] = 1.0
    return w


case("vc/tanh1d_grid")(lambda: _vc(tanh1d(), _step(), dt=0.05))
case("vc/tanh1d_montecarlo")(lambda: _vc(tanh1d(), _step(), dt=0.05, reference="montecarlo",
                                         n_paths=500, seed=25))
case("vc/tanh2d")(lambda: _vc(tanh2d(), inputs(8), dt=0.05, n_paths=400, seed=26))


@case("grid/expectation")
def _grid_expectation():
    import srnnkit as sk

    chain = sk.response.GridChain(tanh1d(), dt=0.05)
    return {"expectation": chain.expectation(inputs(10, 1)), "stationary": chain.stationary,
            "mean": chain.mean_output}


@case("model/stationary_covariance")
def _stat_cov():
    import srnnkit as sk

    return {"continuous": sk.response.stationary_covariance(ou_lin()),
            "em": sk.response.stationary_covariance(ou_lin(), dt=0.05)}


# --------------------------------------------------------------------------- learning
RESERVOIR = dict(n_hidden=12, spectral_radius=0.9, input_scale=1.0, noise=0.05, leak=1.0,
                 density=1.0, bias_scale=0.5, dt=1.0, n_paths=4, activation="tanh",
                 standardize=False, random_state=0)


def _series_batch():
    return np.random.default_rng(4).standard_normal((5, 30, 2))


for _pool in ("last", "both"):
    for _nj in (1, 2):
        @case(f"learn/reservoir/{_pool}_njobs{_nj}")
        def _res(pool=_pool, nj=_nj):
            from srnnkit.learning import SRNNReservoir

            res = SRNNReservoir(pooling=pool, n_jobs=nj, **RESERVOIR)
            X = _series_batch()
            return {"features": res.fit(X).transform(X), "h0": res.h0_}


case("learn/reservoir/sigmoid_dt05")(lambda: {"features": __import__(
    "srnnkit.learning", fromlist=["SRNNReservoir"]).SRNNReservoir(
    **{**RESERVOIR, "activation": "sigmoid", "dt": 0.5, "pooling": "mean"}).fit_transform(
    _series_batch())})


def _mackey():
    t = np.arange(300) * 0.1
    return np.sin(t) + 0.3 * np.sin(3.1 * t + 0.5)


FORECASTER = dict(n_hidden=20, spectral_radius=0.9, input_scale=0.3, noise=0.01, leak=1.0,
                  density=1.0, bias_scale=0.5, dt=1.0, n_paths=2, activation="tanh",
                  alpha=1e-6, washout=20, standardize=True, lags=1, random_state=0,
                  input_mode="additive")     # as recorded (the default before "auto")


@case("learn/forecaster/recursive")
def _fc_recursive():
    from srnnkit.learning import ReservoirForecaster

    s = _mackey()
    fc = ReservoirForecaster(strategy="recursive", max_horizon=1, **FORECASTER).fit(s[:250])
    return {"predict": fc.predict(6), "predict_seed": fc.predict(4, seed=3),
            "history": fc.predict(3, history=s[:200]), "next": fc.predict_next(s[200:260]),
            "coef": fc.coef_}


@case("learn/forecaster/direct")
def _fc_direct():
    from srnnkit.learning import ReservoirForecaster

    s = np.stack([_mackey(), np.cos(0.05 * np.arange(300))], axis=1)
    # the levels' readout, as recorded (difference="auto" takes the differences here)
    fc = ReservoirForecaster(strategy="direct", max_horizon=3, difference=False,
                             **FORECASTER).fit(s[:250])
    return {"predict": fc.predict(3), "next2": fc.predict_next(s[200:260], horizon=2),
            "coef": fc.coef_}


@case("learn/forecaster/driven")
def _fc_driven():
    from srnnkit.learning import ReservoirForecaster

    s = _mackey()
    y = np.roll(s, 2) ** 2
    fc = ReservoirForecaster(**FORECASTER).fit(s[:250], y[:250])
    return {"next": fc.predict_next(s[200:260]), "coef": fc.coef_}


# ------------------------------------------------------------------------ CUDA (simulator)
def _cuda_sim(model, u=None, **kw):
    import srnnkit as sk

    return _traj(sk.simulate(model, u, device="cuda", **kw))


case("cuda/tanh_burn_paths", "cuda")(lambda: _cuda_sim(
    rnd(n=3, m=1), inputs(5, 1), dt=0.1, n_paths=6, seed=7, burn_in=3, save="paths"))
case("cuda/relu_zeros_states", "cuda")(lambda: _cuda_sim(
    rnd("relu", n=3, m=1), inputs(5, 1), dt=0.1, n_paths=5, seed=8, h0="zeros",
    save="states", save_every=2))
case("cuda/sigmoid_fullgamma", "cuda")(lambda: _cuda_sim(
    rnd("sigmoid", n=3, m=1, gamma=np.array([[1.0, 0.2, 0.0], [0.0, 1.1, 0.1],
                                             [0.1, 0.0, 0.9]])),
    inputs(4, 1), dt=0.1, n_paths=4, seed=9, burn_in=2))
case("cuda/ou_stationary_fullnoise", "cuda")(lambda: _cuda_sim(
    ou_lin(), inputs(5, 1), dt=0.05, n_paths=6, seed=10, save="states"))
case("cuda/ou_quad_exact", "cuda")(lambda: _cuda_sim(
    ou_quad(), inputs(5, 1), dt=0.05, n_paths=6, seed=11, method="exact", save="paths"))
case("cuda/batch", "cuda")(lambda: _cuda_sim(
    ou_lin(), np.stack([inputs(4, 1, s) for s in (1, 2)]), dt=0.05, n_paths=4, seed=12,
    save="paths"))
case("cuda/identity_nonsquare", "cuda")(lambda: _cuda_sim(
    rebuild(rnd("identity", n=3, m=1), sigma=0.2 * np.arange(6.0).reshape(3, 2) / 6 + 0.05),
    inputs(4, 1), dt=0.05, n_paths=5, seed=13))


def cuda_ready() -> bool:
    """Whether the CUDA cases can run (the simulator must be on before numba.cuda loads)."""
    return os.environ.get("NUMBA_ENABLE_CUDASIM") == "1" or _has_gpu()


def _has_gpu() -> bool:
    try:
        from numba import cuda

        return bool(cuda.is_available())
    except Exception:
        return False


def run(name: str) -> dict[str, np.ndarray]:
    """Run one case; keys are ``name/field``."""
    fn, _ = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn()
    return {f"{name}/{k}": _arr(v) for k, v in out.items()}
