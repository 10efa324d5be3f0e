"""Fuzzing with hypothesis: parsers never crash, numerical functions stay finite.

Contracts checked on random input:

- the CLI config (``srnnkit.cli._config.load_config`` / ``merge``): any TOML-ish text or any
  table gives a configuration or a ``ConfigError`` (a ValueError), never another exception;
- the ``.ts`` reader: any text gives data or a ValueError;
- ``signature`` / ``response_features``: random valid shapes give finite output of the
  documented shape; random huge amplitudes give finite output or the overflow ValueError;
- ``signature_kernel`` / ``response_kernel``: the Gram matrix of a set with itself is
  symmetric (exactly: the solver fills one triangle) and finite, with a positive diagonal.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import srnnkit as sk
from srnnkit.cli._config import DEFAULTS, ConfigError, load_config, merge
from srnnkit.features import ExponentialBasis, LegendreBasis, MonomialBasis, WeightedMonomialBasis

FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# ------------------------------------------------------------------------ config parser
SECTIONS = [*DEFAULTS, "bogus"]
KEYS = sorted({k for sec in DEFAULTS.values() for k in sec} | {"nope"})
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400), st.sampled_from([10**400, -(10**309)]),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["tanh", "legendre", "narma10", "srnn_teacher", ""]),
)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=8)


@st.composite
def section_tables(draw):
    """Tables whose keys mostly belong to their section, so values reach every check."""
    out = {}
    for section in draw(st.lists(st.sampled_from(SECTIONS), max_size=4, unique=True)):
        own = sorted(DEFAULTS.get(section, {})) or KEYS
        keys = draw(st.lists(st.sampled_from([*own, "nope"]), max_size=4, unique=True))
        out[section] = {k: draw(VALUES) for k in keys}
    return out


TABLES = st.one_of(
    section_tables(), section_tables(),
    st.dictionaries(st.sampled_from(SECTIONS),
                    st.one_of(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=4), VALUES),
                    max_size=4),
    VALUES,
)


def _toml_scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v) if abs(v) < 10**30 else str(v)[:40]
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) \
            else repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_scalar(x) for x in v) + "]"
    return "{}"


@st.composite
def toml_texts(draw):
    """Mostly well-formed TOML with random sections/keys/values, sometimes mangled."""
    lines = []
    for _ in range(draw(st.integers(0, 4))):
        lines.append(f"[{draw(st.sampled_from(SECTIONS))}]")
        for _ in range(draw(st.integers(0, 4))):
            value = draw(st.one_of(SCALARS, st.lists(SCALARS, max_size=4)))
            lines.append(f"{draw(st.sampled_from(KEYS))} = {_toml_scalar(value)}")
    text = "\n".join(lines)
    mangle = draw(st.sampled_from(["none", "none", "cut", "insert"]))
    if mangle == "cut" and text:
        text = text[: draw(st.integers(0, len(text)))]
    elif mangle == "insert":
        pos = draw(st.integers(0, len(text)))
        text = text[:pos] + draw(st.text(max_size=6)) + text[pos:]
    return text


@settings(max_examples=400, deadline=None)
@given(table=TABLES, quick=st.booleans())
def test_merge_gives_config_or_config_error(table, quick):
    base = merge(DEFAULTS, {}, "defaults") if not quick else load_config(quick=True)
    try:
        cfg = merge(base, table, "fuzz")
    except ConfigError:
        return
    assert set(cfg) == set(DEFAULTS)
    for section, keys in cfg.items():
        assert set(keys) == set(DEFAULTS[section])
        for key, value in keys.items():
            assert type(value) is type(DEFAULTS[section][key]), (section, key, value)
            if isinstance(value, float):
                assert math.isfinite(value)


@FAST
@given(text=toml_texts(), seed=st.one_of(st.none(), st.integers(-5, 2**70)))
def test_load_config_text_gives_config_or_config_error(tmp_path_factory, text, seed):
    path = tmp_path_factory.mktemp("cfg") / "c.toml"
    path.write_text(text, encoding="utf-8")
    try:
        cfg = load_config(path, seed=seed)
    except ConfigError:
        return
    assert set(cfg) == set(DEFAULTS)


@FAST
@given(raw=st.binary(max_size=64))
def test_load_config_bytes_gives_config_or_config_error(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("cfg") / "c.toml"
    path.write_bytes(raw)
    try:
        load_config(path)
    except ConfigError:
        pass


def test_load_config_directory_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="config file"):
        load_config(tmp_path)


# ------------------------------------------------------------------------------ .ts reader
TS_LINES = st.sampled_from([
    "@problemName x", "@univariate true", "@univariate false", "@dimensions 2",
    "@equalLength true", "@equalLength false", "@seriesLength 3", "@classLabel true a b",
    "@classLabel false", "@targetLabel true", "@missing true", "@timeStamps false",
    "@timeStamps true", "@data", "# comment", "1,2,3:a", "4,5,6:b", "1,2:3,4:a", "1,?,3",
    "1,2,3:0.5", "NaN,1:2", ":", "1,,2:a", "@", "@data extra", "x,y:a", "1e999,2:b",
])


@FAST
@given(lines=st.lists(st.one_of(TS_LINES, st.text(max_size=10)), max_size=10),
       missing=st.sampled_from(["raise", "interpolate", "nan"]))
def test_ts_reader_gives_data_or_value_error(lines, missing):
    from srnnkit.datasets import load_ts

    try:
        X, y = load_ts(io.StringIO("\n".join(lines)), missing=missing)
    except ValueError:
        return
    series = X if isinstance(X, list) else list(X)
    assert all(np.asarray(s).ndim == 2 for s in series)
    if y is not None:
        assert len(y) == len(series)
    if missing != "nan":
        assert all(np.isfinite(s).all() for s in series)


# ---------------------------------------------------------------------- signatures
@st.composite
def path_batches(draw, max_abs=10.0):
    lead = draw(st.lists(st.integers(1, 3), max_size=2))
    n_points = draw(st.integers(2, 7))
    d = draw(st.integers(1, 3))
    elems = st.floats(-max_abs, max_abs, allow_nan=False, width=64)
    return draw(arrays(np.float64, (*lead, n_points, d), elements=elems))


@FAST
@given(paths=path_batches(), depth=st.integers(1, 4), stream=st.booleans(),
       scalar_term=st.booleans())
def test_signature_random_shapes_finite(paths, depth, stream, scalar_term):
    out = sk.signature(paths, depth, stream=stream, scalar_term=scalar_term)
    dim = sk.signature_dim(paths.shape[-1], depth, scalar_term=scalar_term)
    lead = paths.shape[:-2]
    assert out.shape == ((*lead, paths.shape[-2] - 1, dim) if stream else (*lead, dim))
    assert np.isfinite(out).all()
    if stream:   # the last prefix is the whole path
        assert np.array_equal(out[..., -1, :], sk.signature(paths, depth,
                                                            scalar_term=scalar_term))


@FAST
@given(paths=path_batches(max_abs=1e300), depth=st.integers(1, 6))
def test_signature_huge_amplitudes_finite_or_clear_error(paths, depth):
    try:
        out = sk.signature(paths, depth)
    except ValueError as err:
        assert "overflowed" in str(err) and "rescale the path" in str(err)
        return
    assert np.isfinite(out).all()


BASES = st.sampled_from([MonomialBasis(1), MonomialBasis(2), WeightedMonomialBasis(2),
                         LegendreBasis(1, 1.0), LegendreBasis(2, 3.0),
                         ExponentialBasis([0.0, 1.5])])


@FAST
@given(n_series=st.integers(1, 3), n_steps=st.integers(1, 6), m=st.integers(1, 2),
       basis=BASES, depth=st.integers(1, 3), dt=st.floats(1e-3, 1.0), refine=st.integers(1, 3),
       stream=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_response_features_random_shapes_finite(n_series, n_steps, m, basis, depth, dt, refine,
                                                stream, seed):
    u = np.random.default_rng(seed).uniform(-3, 3, (n_series, n_steps, m))
    out = sk.response_features(u, dt=dt, basis=basis, depth=depth, refine=refine,
                               stream=stream)
    dim = sk.signature_dim(basis.n_functions * m, depth)
    assert out.shape == ((n_series, n_steps, dim) if stream else (n_series, dim))
    assert np.isfinite(out).all()
    ref = sk.signature(sk.features.tensor_path(u, dt=dt, basis=basis, refine=refine), depth)
    final = out[:, -1] if stream else out
    np.testing.assert_allclose(final, ref, rtol=1e-9, atol=1e-12 * max(1.0, np.abs(ref).max()))


# ------------------------------------------------------------------------- kernels
@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 4), length=st.integers(2, 6), d=st.integers(1, 3),
       static=st.sampled_from(["linear", "rbf"]), dyadic=st.integers(0, 1),
       seed=st.integers(0, 2**32 - 1))
def test_signature_kernel_symmetric(n, length, d, static, dyadic, seed):
    X = np.random.default_rng(seed).uniform(-1, 1, (n, length, d))
    K = sk.kernels.signature_kernel(X, static=static, dyadic_order=dyadic)
    assert K.shape == (n, n) and np.isfinite(K).all()
    assert np.array_equal(K, K.T)
    # <S(x), S(x)> >= 1 exactly; the PDE scheme has an O(4**-dyadic) error, so only > 0 here
    assert (np.diag(K) > 0).all()
    K2 = sk.kernels.signature_kernel(X, X, static=static, dyadic_order=dyadic)
    np.testing.assert_allclose(K2, K, rtol=1e-10)


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 4), length=st.integers(1, 5), m=st.integers(1, 2), basis=BASES,
       depth=st.one_of(st.none(), st.integers(1, 3)), seed=st.integers(0, 2**32 - 1))
def test_response_kernel_symmetric(n, length, m, basis, depth, seed):
    U = np.random.default_rng(seed).uniform(-1, 1, (n, length, m))
    K = sk.kernels.response_kernel(U, dt=0.2, basis=basis, depth=depth)
    assert K.shape == (n, n) and np.isfinite(K).all()
    assert np.array_equal(K, K.T)
    if depth is not None:        # the truncated kernel is an exact inner product: level 0 is 1
        assert (np.diag(K) >= 1.0 - 1e-12).all()
    else:
        assert (np.diag(K) > 0).all()
