"""srnnkit.save / srnnkit.load: exact round trips, no pickle, clear errors on bad files."""

import json
import zipfile

import numpy as np
import pytest

import srnnkit as sk
from srnnkit.features import ExponentialBasis, LegendreBasis, MonomialBasis, WeightedMonomialBasis
from srnnkit.readouts import Linear, Quadratic
from srnnkit.response import ResponseFunction, VolterraSeries


def _ou(readout=None, **kw):
    return sk.SRNN(W=[[0.0, 0.5], [-0.3, 0.0]], C=[[1.0], [0.5]],
                   sigma=kw.pop("sigma", [[0.6, 0.0], [0.2, 0.5]]),
                   gamma=kw.pop("gamma", [1.0, 0.8]), activation=kw.pop("activation", "identity"),
                   readout=readout, **kw)


def _same_model(a, b):
    for attr in ("W", "C", "sigma", "gamma", "b"):
        x, y = getattr(a, attr), getattr(b, attr)
        assert x.dtype == y.dtype and x.shape == y.shape
        assert np.array_equal(x, y), attr
    assert a.gamma_kind == b.gamma_kind and a.noise_diagonal == b.noise_diagonal
    assert a.activation == b.activation and a.readout.kind == b.readout.kind
    h = np.random.default_rng(0).standard_normal((5, a.n_hidden))
    assert np.array_equal(a.output(h), b.output(h))
    assert np.array_equal(a.drift(h), b.drift(h))


@pytest.mark.parametrize("make", [
    lambda: _ou(),
    lambda: _ou(readout=[[1.0, 0.5]]),
    lambda: _ou(readout=Linear([[1.0, 0.5], [0.1, -2.0]], q=[0.3, 0.0])),
    lambda: _ou(readout=Quadratic([[1.0, 0.2], [0.0, 3.0]])),
    lambda: _ou(gamma=1.3, sigma=0.4, activation="tanh", b=[0.1, -0.2]),
    lambda: _ou(gamma=[[1.0, 0.1], [0.0, 2.0]], sigma=[0.3, 0.7], activation="relu"),
    lambda: sk.SRNN.random(7, 3, n_outputs=2, activation="sigmoid", seed=4),
], ids=["identity", "matrix", "linear", "quadratic", "scalar-gamma", "full-gamma", "random"])
def test_srnn_round_trip_exact(tmp_path, make):
    model = make()
    sk.save(model, tmp_path / "m.npz")
    back = sk.load(tmp_path / "m.npz")
    assert type(back) is sk.SRNN
    _same_model(model, back)


def test_srnn_step_round_trips(tmp_path):
    """An SRNN's own step (``dt``, e.g. from NoisyRNN.to_srnn) is saved and loaded; one
    without a step saves as before, with no ``dt`` entry."""
    sk.save(_ou(dt=0.25), tmp_path / "a.npz")
    assert sk.load(tmp_path / "a.npz").dt == 0.25
    assert "dt" in _meta(tmp_path / "a.npz")["state"]["dict"]
    sk.save(_ou(), tmp_path / "b.npz")
    assert sk.load(tmp_path / "b.npz").dt is None
    assert "dt" not in _meta(tmp_path / "b.npz")["state"]["dict"]


def test_srnn_file_written_before_the_step_loads(tmp_path):
    """A file written the old way (no ``dt`` entry in the SRNN's state) loads, dt None."""
    p = tmp_path / "old.npz"
    sk.save(_ou(dt=0.5), p)
    meta = _meta(p)
    del meta["state"]["dict"]["dt"]
    _rewrite(p, meta)
    back = sk.load(p)
    assert back.dt is None
    _same_model(_ou(), back)


def test_loaded_model_simulates_identically(tmp_path):
    model = sk.SRNN.random(5, 2, noise=0.3, seed=1)
    sk.save(model, str(tmp_path / "m.npz"))
    back = sk.load(str(tmp_path / "m.npz"))
    u = np.sin(np.arange(60)[:, None] * [0.1, 0.2])
    a = sk.simulate(model, u, dt=0.05, n_paths=8, seed=3)
    b = sk.simulate(back, u, dt=0.05, n_paths=8, seed=3)
    assert np.array_equal(a.mean, b.mean)


def test_callable_readout_cannot_be_saved(tmp_path):
    model = _ou(readout=lambda h: np.sin(h))
    with pytest.raises(TypeError, match="callable readout"):
        sk.save(model, tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()
    assert list(tmp_path.iterdir()) == []          # no temporary file left behind


@pytest.mark.parametrize("save", ["mean", "paths", "states"])
def test_trajectory_round_trip(tmp_path, save):
    model = sk.SRNN.random(3, 1, noise=0.2, seed=0)
    traj = sk.simulate(model, np.ones((20, 1)), dt=0.1, n_paths=3, seed=2, save=save,
                       save_every=4)
    sk.save(traj, tmp_path / "t.npz")
    back = sk.load(tmp_path / "t.npz")
    assert type(back) is sk.Trajectory
    for f in ("ts", "mean", "stderr", "outputs", "states", "state_ts"):
        x, y = getattr(traj, f), getattr(back, f)
        assert (x is None) == (y is None), f
        if x is not None:
            assert x.dtype == y.dtype and np.array_equal(x, y), f
    for f in ("dt", "n_paths", "method", "seed_entropy", "burn_in", "info"):
        assert getattr(traj, f) == getattr(back, f), f
    assert back.seed_entropy == traj.seed_entropy     # 128-bit integer survives JSON


def test_trajectory_nan_and_special_floats(tmp_path):
    traj = sk.Trajectory(ts=np.arange(3.0), mean=np.array([[np.nan], [np.inf], [-0.0]]),
                         stderr=None, dt=0.1 + 0.2, n_paths=1, method="euler", seed_entropy=7,
                         info={"x": float("nan"), "y": [1, 2.5, "a"], "z": (1, None)})
    sk.save(traj, tmp_path / "t.npz")
    back = sk.load(tmp_path / "t.npz")
    assert back.dt == 0.1 + 0.2
    assert np.array_equal(back.mean, traj.mean, equal_nan=True)
    assert np.signbit(back.mean[2, 0])
    assert np.isnan(back.info["x"]) and back.info["y"] == [1, 2.5, "a"]
    assert back.info["z"] == (1, None)


@pytest.mark.parametrize("basis", [MonomialBasis(3), WeightedMonomialBasis(),
                                   WeightedMonomialBasis(4), LegendreBasis(2, T=1 / 3),
                                   ExponentialBasis([0.0, 0.1, 2.5])], ids=repr)
def test_basis_round_trip(tmp_path, basis):
    sk.save(basis, tmp_path / "b.npz")
    back = sk.load(tmp_path / "b.npz")
    assert type(back) is type(basis) and back == basis
    s = np.linspace(0, 1, 7)
    assert np.array_equal(back.kappa(s, s[::-1]), basis.kappa(s, s[::-1]))


def test_response_objects_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    r1 = ResponseFunction(rng.standard_normal((6, 1, 2)), dt=0.05, method="perturbation",
                          stderr=np.abs(rng.standard_normal((6, 1, 2))), discrete=True,
                          info={"n_paths": 100, "eps": 0.01})
    r2 = ResponseFunction(rng.standard_normal((6, 6, 1, 2, 2)), dt=0.05, order=2)
    vs = VolterraSeries(r1, r2, mean=[0.25])
    for obj, name in ((r1, "r1"), (r2, "r2")):
        sk.save(obj, tmp_path / f"{name}.npz")
        back = sk.load(tmp_path / f"{name}.npz")
        assert type(back) is ResponseFunction
        assert np.array_equal(back.values, obj.values) and back.order == obj.order
        assert (back.stderr is None) == (obj.stderr is None)
        assert back.info == obj.info and back.method == obj.method
        assert back.discrete == obj.discrete and back.dt == obj.dt
    sk.save(vs, tmp_path / "vs.npz")
    back = sk.load(tmp_path / "vs.npz")
    u = rng.standard_normal((6, 2))
    assert np.array_equal(back.predict(u), vs.predict(u))


def test_volterra_from_model_round_trip(tmp_path):
    vs = VolterraSeries.from_model(_ou(readout=[[1.0, 0.5]]), order=2, dt=0.1, n_lags=10)
    sk.save(vs, tmp_path / "vs.npz", compress=True)
    back = sk.load(tmp_path / "vs.npz")
    u = np.cos(np.arange(10.0))[:, None]
    assert np.array_equal(back.predict(u), vs.predict(u))


# ------------------------------------------------------------------- format and errors
def _meta(path):
    with np.load(path, allow_pickle=False) as npz:
        return json.loads(npz["__srnnkit__"].tobytes())


def test_file_layout_is_documented(tmp_path):
    sk.save(_ou(), tmp_path / "m.npz")
    meta = _meta(tmp_path / "m.npz")
    assert meta["format"] == "srnnkit" and meta["format_version"] == 1
    assert meta["srnnkit_version"] == sk.__version__ and meta["type"] == "SRNN"
    with zipfile.ZipFile(tmp_path / "m.npz") as zf:
        names = sorted(zf.namelist())
    assert names == sorted(["__srnnkit__.npy"] + [f"{k}.npy" for k in meta["arrays"]])


def _rewrite(path, meta=None, drop=None, extra=None):
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    if meta is not None:
        arrays["__srnnkit__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    if drop:
        del arrays[drop]
    arrays.update(extra or {})
    np.savez(path, **arrays)


def test_newer_format_version_is_refused(tmp_path):
    p = tmp_path / "m.npz"
    sk.save(_ou(), p)
    meta = _meta(p)
    meta["format_version"] = 99
    _rewrite(p, meta)
    with pytest.raises(ValueError, match=r"format version 99.*upgrade srnnkit"):
        sk.load(p)


def test_a_state_node_of_the_wrong_kind_is_a_value_error(tmp_path):
    """Found by fuzzing: an SRNN file whose gamma node was a float raised AttributeError."""
    p = tmp_path / "m.npz"
    sk.save(sk.SRNN.random(3, 2, seed=0), p)
    meta = _meta(p)
    meta["state"]["dict"]["gamma"] = {"f": "0.5"}
    _rewrite(p, meta)
    with pytest.raises(ValueError, match="gamma must be an array; got float"):
        sk.load(p)


def test_unknown_type_is_refused_without_import(tmp_path, monkeypatch):
    p = tmp_path / "m.npz"
    sk.save(_ou(), p)
    meta = _meta(p)
    meta["type"] = "os.system"
    _rewrite(p, meta)
    import importlib
    calls = []
    monkeypatch.setattr(importlib, "import_module", lambda *a, **k: calls.append(a))
    with pytest.raises(ValueError, match=r"unknown type .os\.system."):
        sk.load(p)
    assert calls == []


def test_pickled_array_is_refused(tmp_path):
    p = tmp_path / "m.npz"
    sk.save(_ou(), p)
    with np.load(p, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["a0"] = np.array([{"evil": 1}], dtype=object)
    np.savez(p, **arrays)
    with pytest.raises(ValueError, match=r"pickled|corrupted"):
        sk.load(p)


@pytest.mark.parametrize("cut", [0, 10, 100, 0.5, -20])
def test_truncated_file(tmp_path, cut):
    p = tmp_path / "m.npz"
    sk.save(sk.SRNN.random(6, 2, seed=0), p)
    raw = p.read_bytes()
    n = int(len(raw) * cut) if isinstance(cut, float) else (cut if cut >= 0 else len(raw) + cut)
    p.write_bytes(raw[:n])
    with pytest.raises(ValueError, match=r"not a readable srnnkit file|corrupted"):
        sk.load(p)


def test_flipped_bytes_detected(tmp_path):
    p = tmp_path / "m.npz"
    sk.save(sk.SRNN.random(6, 2, seed=0), p)
    raw = bytearray(p.read_bytes())
    rng = np.random.default_rng(1)
    detected = 0
    for pos in rng.choice(len(raw), size=40, replace=False):
        bad = raw.copy()
        bad[pos] ^= 0xFF
        p.write_bytes(bytes(bad))
        try:
            sk.load(p)
        except ValueError:
            detected += 1
    # every flip lands in a CRC-protected member, a zip header or the directory; a flip in
    # a few padding/unused header bytes may be harmless, but never crashes with another type
    assert detected >= 30


def test_metadata_array_mismatch(tmp_path):
    p = tmp_path / "m.npz"
    sk.save(_ou(), p)
    _rewrite(p, extra={"a0": np.zeros(3)})
    with pytest.raises(ValueError, match="corrupted"):
        sk.load(p)
    sk.save(_ou(), p)
    _rewrite(p, drop="a1")
    with pytest.raises(ValueError, match="corrupted"):
        sk.load(p)


def test_not_an_srnnkit_file(tmp_path):
    p = tmp_path / "x.npz"
    np.savez(p, x=np.zeros(3))
    with pytest.raises(ValueError, match="not an srnnkit file"):
        sk.load(p)
    q = tmp_path / "x.npy"
    np.save(q, np.zeros(3))
    with pytest.raises(ValueError, match="not an srnnkit file"):
        sk.load(q)
    r = tmp_path / "x.txt"
    r.write_text("hello")
    with pytest.raises(ValueError, match="not a readable srnnkit file"):
        sk.load(r)


def test_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match="obj must be an object srnnkit can save"):
        sk.save({"a": 1}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="path must be"):
        sk.save(_ou(), 3)
    with pytest.raises(TypeError, match="path must be"):
        sk.load(None)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        sk.load(tmp_path / "missing.npz")
    with pytest.raises(TypeError, match="compress must be a bool"):
        sk.save(_ou(), tmp_path / "x.npz", compress="yes")


def test_save_overwrites_atomically(tmp_path):
    p = tmp_path / "m.npz"
    sk.save(_ou(), p)
    sk.save(MonomialBasis(2), p)
    assert sk.load(p) == MonomialBasis(2)
    assert sorted(x.name for x in tmp_path.iterdir()) == ["m.npz"]


# ------------------------------------------------------------------- fitted estimators
def _series(n=10, length=16, m=2, seed=0):
    return np.random.default_rng(seed).standard_normal((n, length, m))


def _estimators():
    from srnnkit import learning as L

    X = _series()
    Xl = [np.random.default_rng(i).standard_normal((12 + i, 2)) for i in range(10)]
    y = np.random.default_rng(1).standard_normal(10)
    labels = np.array(["up", "down"] * 5)
    leg = LegendreBasis(1, 1.0)
    return [
        ("SRNNReservoir", L.SRNNReservoir(n_hidden=8, n_paths=2, random_state=0), X, None,
         "transform"),
        ("ResponseFeatures", L.ResponseFeatures(leg, depth=2), X, None, "transform"),
        ("SignatureTransformer", L.SignatureTransformer(2), X, None, "transform"),
        ("ResponseKernelRidge", L.ResponseKernelRidge(basis=leg, alphas=[0.1, 1.0]), X, y,
         "predict"),
        ("ResponseKernelRidge-unequal", L.ResponseKernelRidge(basis=leg), Xl, y, "predict"),
        ("ResponseKernelRidge-signature", L.ResponseKernelRidge("signature"), X, y,
         "predict"),
        ("ResponseKernelClassifier", L.ResponseKernelClassifier(basis=leg), X, labels,
         "predict"),
        ("LinearSRNNFeatures", L.LinearSRNNFeatures(8, noise=0.1, random_state=0), X, None,
         "transform"),
        ("LinearSRNNClassifier", L.LinearSRNNClassifier(8, random_state=0), X, labels,
         "predict"),
        ("LinearSRNNRegressor", L.LinearSRNNRegressor(8, random_state=0), X, y, "predict"),
    ]


@pytest.mark.parametrize("index", range(10), ids=[e[0] for e in _estimators()])
def test_estimator_round_trip(tmp_path, index):
    name, est, X, y, method = _estimators()[index]
    est.fit(X, y)
    sk.save(est, tmp_path / "e.npz")
    back = sk.load(tmp_path / "e.npz")
    assert type(back) is type(est)
    assert back.get_params().keys() == est.get_params().keys()
    for key, value in est.get_params(deep=False).items():
        assert repr(back.get_params(deep=False)[key]) == repr(value), key
    X_new = X[:3]
    a, b = getattr(est, method)(X_new), getattr(back, method)(X_new)
    assert a.dtype == b.dtype and np.array_equal(a, b)
    if name in ("ResponseKernelClassifier", "LinearSRNNClassifier"):
        assert np.array_equal(back.classes_, est.classes_)


def test_forecaster_round_trip(tmp_path):
    from srnnkit.learning import ReservoirForecaster

    series = np.sin(np.arange(300) * 0.1)[:, None]
    est = ReservoirForecaster(n_hidden=20, washout=10, random_state=0).fit(series)
    sk.save(est, tmp_path / "f.npz")
    back = sk.load(tmp_path / "f.npz")
    assert np.array_equal(back.predict(25, seed=1), est.predict(25, seed=1))
    assert np.array_equal(back.predict_next(series[:100]), est.predict_next(series[:100]))


def test_unfitted_estimator_is_refused(tmp_path):
    from srnnkit.learning import SRNNReservoir

    with pytest.raises(TypeError, match="fitted"):
        sk.save(SRNNReservoir(), tmp_path / "e.npz")


def test_estimator_with_unstorable_parameter(tmp_path):
    from srnnkit.learning import ResponseFeatures

    class MyBasis(MonomialBasis):
        pass

    est = ResponseFeatures(MyBasis(1), depth=2).fit(_series())
    with pytest.raises(TypeError, match="basis"):
        sk.save(est, tmp_path / "e.npz")


def test_deeply_nested_state_is_refused(tmp_path):
    p = tmp_path / "m.npz"
    sk.save(MonomialBasis(1), p)
    text = ('{"format": "srnnkit", "format_version": 1, "type": "MonomialBasis", "arrays": {}, '
            '"state": {"dict": {"degree": ' + '{"list": [' * 5000 + "1" + "]}" * 5000 + "}}}")
    np.savez(p, __srnnkit__=np.frombuffer(text.encode(), dtype=np.uint8))
    with pytest.raises(ValueError, match="corrupted"):
        sk.load(p)


def test_fitted_attribute_names_cannot_reach_private_state(tmp_path):
    from srnnkit.learning import SignatureTransformer

    p = tmp_path / "e.npz"
    sk.save(SignatureTransformer(2).fit(_series()), p)
    meta = _meta(p)
    meta["state"]["dict"]["fitted"]["dict"]["__class__"] = "x"
    _rewrite(p, meta)
    with pytest.raises(ValueError, match="corrupted"):
        sk.load(p)


def _member_data_offset(raw, info):
    """Where the bytes of a zip member start (after its local header)."""
    import struct

    h = info.header_offset
    n, e = struct.unpack("<HH", raw[h + 26:h + 30])
    return h + 30 + n + e


def test_one_byte_edits_found_by_fuzzing_give_value_errors(tmp_path):
    """A lowered .npy header length loaded shifted garbage silently (NumPy stops before the
    member's end, so its CRC was never checked); a bad compressed byte raised zlib.error and a
    '(' in the header padding tokenize.TokenError. All are now ValueErrors."""
    m = sk.SRNN.random(3, 1, seed=0)
    tr = sk.simulate(m, np.ones((30, 1)), dt=0.02, n_paths=300, seed=1, save="paths",
                     burn_in=10)
    cases = []
    p = tmp_path / "tr.npz"
    sk.save(tr, p)
    raw = bytearray(p.read_bytes())
    info = max(zipfile.ZipFile(p).infolist(), key=lambda i: i.file_size)
    off = _member_data_offset(raw, info)
    shifted = raw.copy()
    shifted[off + 8] -= 16
    cases.append(shifted)
    paren = raw.copy()
    hl = raw[off + 8] | (raw[off + 9] << 8)
    paren[off + 10 + hl - 3] = ord("(")
    cases.append(paren)
    c = tmp_path / "c.npz"
    sk.save(m, c, compress=True)
    craw = bytearray(c.read_bytes())
    cinfo = next(i for i in zipfile.ZipFile(c).infolist() if i.filename != "__srnnkit__.npy")
    flipped = craw.copy()
    flipped[_member_data_offset(craw, cinfo)] ^= 0x06
    cases.append(flipped)
    for k, bad in enumerate(cases):
        q = tmp_path / f"bad{k}.npz"
        q.write_bytes(bytes(bad))
        with pytest.raises(ValueError, match="not a readable srnnkit file"):
            sk.load(q)


def test_save_into_a_missing_directory_names_the_users_path(tmp_path):
    """Found by fuzzing: the error named the temporary file srnnkit writes first."""
    with pytest.raises(FileNotFoundError, match=r"nodir.*x\.npz.*does not exist"):
        sk.save(sk.SRNN.random(3, 1, seed=0), tmp_path / "nodir" / "x.npz")
