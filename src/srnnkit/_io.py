"""``save`` / ``load``: srnnkit objects in a documented ``.npz`` format, without pickle.

File format (version 1; docs/robustness.md has the full specification)
--------------------------------------------------------------------
A single NumPy ``.npz`` archive (a zip file of ``.npy`` members) holding

- ``__srnnkit__``: the metadata, UTF-8 JSON stored as a 1-D ``uint8`` array::

      {"format": "srnnkit", "format_version": 1, "srnnkit_version": "0.1.0",
       "type": "SRNN", "state": <node>, "arrays": {"a0": ["<f8", [2, 2]], ...}}

- ``a0``, ``a1``, ...: the numeric arrays referenced from the state tree.

A state ``<node>`` is JSON: ``null``, ``true``/``false``, an integer, a string, or a tagged
object: ``{"f": "1.5"}`` (a float, by its ``repr``, so NaN/inf and every bit survive),
``{"array": "a3"}``, ``{"list": [...]}``, ``{"tuple": [...]}``, ``{"dict": {...}}`` (string
keys) and ``{"object": "<type>", "state": <node>}`` (a nested registered object).

Loading uses ``numpy.load(..., allow_pickle=False)`` and dispatches ``type`` through a fixed
registry in this module; nothing named in a file is ever imported or executed.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import tokenize
import warnings
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._validation import describe, fail

if TYPE_CHECKING:
    from sklearn.base import BaseEstimator

    from .features import ExponentialBasis, LegendreBasis, MonomialBasis, WeightedMonomialBasis
    from .model import SRNN
    from .simulate import Trajectory

__all__ = ["FORMAT_VERSION", "load", "registered_types", "save"]

#: Version of the file format written by :func:`save`; :func:`load` reads versions <= this.
FORMAT_VERSION = 1
_META = "__srnnkit__"
_MAGIC = "srnnkit"
_ARRAY_KINDS = "biufcU"


# --------------------------------------------------------------------------- registry
@dataclass(frozen=True)
class _Entry:
    name: str
    cls: Callable[[], type]          # lazy: imports our own module, never file content
    to_state: Callable[[Any], dict]
    from_state: Callable[[dict], Any]


_REGISTRY: dict[str, _Entry] = {}


def _register(name: str, cls: Callable[[], type]):
    """Decorator pair: ``@_register(name, cls)`` on the encoder, then ``.loader`` on the decoder."""
    def deco(to_state: Callable[[Any], dict]):
        def loader(from_state: Callable[[dict], Any]):
            _REGISTRY[name] = _Entry(name, cls, to_state, from_state)
            return from_state

        to_state.loader = loader  # type: ignore[attr-defined]
        return to_state
    return deco


def registered_types() -> list[str]:
    """Names of the object types :func:`save` and :func:`load` support."""
    return sorted(_REGISTRY)


def _entry_for(obj: object) -> _Entry:
    for entry in _REGISTRY.values():
        try:
            cls = entry.cls()
        except ImportError:  # pragma: no cover - optional subpackage missing
            continue
        if type(obj) is cls:
            return entry
    learned = _estimator_entry(obj)
    if learned is not None:
        return learned
    fail("obj", "an object srnnkit can save (" + ", ".join(registered_types())
         + ", or a fitted srnnkit.learning estimator)", type(obj).__name__, TypeError)
    raise AssertionError  # pragma: no cover


# --------------------------------------------------------------------------- state trees
class _Writer:
    """Turns a state tree into JSON nodes plus a dict of arrays."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def node(self, value: Any, where: str) -> Any:
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, (int, np.integer)):
            return int(value)
        if isinstance(value, (float, np.floating)):
            return {"f": repr(float(value))}
        if isinstance(value, np.ndarray):
            if value.dtype == object:
                if not all(isinstance(x, str) for x in value.ravel()):
                    raise TypeError(f"{where} is an object array ({describe(value)}); only "
                                    "numeric and string arrays can be saved (no pickle).")
                return {"array": self._array(value.astype(str), where), "dtype": "object"}
            return {"array": self._array(value, where)}
        if isinstance(value, list):
            return {"list": [self.node(v, f"{where}[{i}]") for i, v in enumerate(value)]}
        if isinstance(value, tuple):
            return {"tuple": [self.node(v, f"{where}[{i}]") for i, v in enumerate(value)]}
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if not isinstance(k, str):
                    raise TypeError(f"{where} has a key {k!r} of type {type(k).__name__}; "
                                    "only str keys can be saved.")
                out[k] = self.node(v, f"{where}[{k!r}]")
            return {"dict": out}
        entry = _entry_for_nested(value)
        if entry is not None:
            return {"object": entry.name, "state": self.node(entry.to_state(value), where)}
        raise TypeError(f"{where} holds a {type(value).__name__} ({describe(value)}), which "
                        "srnnkit.save cannot store (arrays, numbers, strings, lists, dicts and "
                        "registered srnnkit objects only; nothing is pickled).")

    def _array(self, arr: np.ndarray, where: str) -> str:
        if arr.dtype.kind not in _ARRAY_KINDS:
            raise TypeError(f"{where} has dtype {arr.dtype}, which srnnkit.save does not store.")
        key = f"a{len(self.arrays)}"
        self.arrays[key] = arr
        return key


def _entry_for_nested(value: object) -> _Entry | None:
    try:
        return _entry_for(value)
    except TypeError:
        return None


class _Reader:
    """Rebuilds a state tree from JSON nodes and the archive's arrays."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.arrays = arrays

    def node(self, node: Any, where: str) -> Any:
        if node is None or isinstance(node, (bool, str)):
            return node
        if isinstance(node, int):
            return node
        if not isinstance(node, dict) or len(node) not in (1, 2):
            raise _Corrupt(f"unexpected node {describe(node)} at {where}")
        if "f" in node:
            try:
                return float(node["f"])
            except (TypeError, ValueError):
                raise _Corrupt(f"bad float {node['f']!r} at {where}") from None
        if "array" in node:
            key = node["array"]
            if not isinstance(key, str) or key not in self.arrays:
                raise _Corrupt(f"missing array {key!r} at {where}")
            arr = self.arrays[key]
            if node.get("dtype", None) == "object":
                return arr.astype(object)
            if len(node) != 1:
                raise _Corrupt(f"unexpected array node {sorted(node)} at {where}")
            return arr
        if "list" in node or "tuple" in node:
            items = node.get("list", node.get("tuple"))
            if not isinstance(items, list):
                raise _Corrupt(f"bad sequence at {where}")
            out = [self.node(v, f"{where}[{i}]") for i, v in enumerate(items)]
            return out if "list" in node else tuple(out)
        if "dict" in node:
            if not isinstance(node["dict"], dict):
                raise _Corrupt(f"bad dict at {where}")
            return {k: self.node(v, f"{where}[{k!r}]") for k, v in node["dict"].items()}
        if "object" in node:
            return _build(node["object"], self.node(node.get("state"), where), where)
        raise _Corrupt(f"unknown node {sorted(node)} at {where}")


class _Corrupt(Exception):
    """Internal: the file's content is inconsistent."""


def _build(name: object, state: object, where: str) -> Any:
    if not isinstance(name, str) or name not in _REGISTRY:
        learned = _estimator_loader(name)
        if learned is None:
            raise ValueError(f"the file holds an object of unknown type {name!r} at {where}; "
                             f"this srnnkit reads {', '.join(registered_types())} and fitted "
                             "srnnkit.learning estimators (is the file from a newer srnnkit?).")
        entry = learned
    else:
        entry = _REGISTRY[name]
    if not isinstance(state, dict):
        raise _Corrupt(f"state of {name} at {where} is not a table")
    try:
        with warnings.catch_warnings():
            # a model that warned when it was built already warned its owner once
            warnings.simplefilter("ignore")
            return entry.from_state(state)
    except (KeyError, TypeError, ValueError) as err:
        raise _Corrupt(f"cannot rebuild {name} at {where}: {err}") from None


# --------------------------------------------------------------------------- public API
def save(obj: object, path: str | os.PathLike, *, compress: bool = False) -> None:
    """Save an srnnkit object to a single ``.npz`` file (no pickle).

    Supported: :class:`~srnnkit.SRNN` (identity, ``Linear`` or ``Quadratic`` readout),
    :class:`~srnnkit.Trajectory`, ``ResponseFunction``, ``VolterraSeries``, the support bases of
    :mod:`srnnkit.features` and fitted :mod:`srnnkit.learning` estimators; see
    ``srnnkit._io.registered_types()``. The file is written to a temporary file beside
    ``path`` and renamed, so an interrupted save never leaves a half-written ``path``.

    Parameters
    ----------
    obj : object
        The object to save.
    path : str or os.PathLike
        Destination, written exactly as given (no suffix is added; ``.npz`` is customary).
    compress : bool, default=False
        Deflate the arrays (smaller, slower).

    Raises
    ------
    TypeError
        For an unsupported object, or one holding something that cannot be stored without
        pickle (e.g. an SRNN with a callable readout).

    See Also
    --------
    load

    Examples
    --------
    >>> import os, tempfile
    >>> import srnnkit as sk
    >>> model = sk.SRNN.random(4, 1, seed=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
    >>> sk.save(model, path)
    >>> bool((sk.load(path).W == model.W).all())
    True
    """
    path = _check_path(path)
    if not isinstance(compress, (bool, np.bool_)):
        fail("compress", "a bool", compress, TypeError)
    entry = _entry_for(obj)
    writer = _Writer()
    state = writer.node(entry.to_state(obj), entry.name)
    from . import __version__

    meta = {
        "format": _MAGIC,
        "format_version": FORMAT_VERSION,
        "srnnkit_version": __version__,
        "type": entry.name,
        "state": state,
        "arrays": {k: [v.dtype.str, list(v.shape)] for k, v in writer.arrays.items()},
    }
    blob = np.frombuffer(json.dumps(meta, allow_nan=False).encode("utf-8"), dtype=np.uint8)
    arrays = {_META: blob, **writer.arrays}
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(f"path {str(path)!r}: its directory {str(directory)!r} does "
                                "not exist (srnnkit.save does not create directories).")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            (np.savez_compressed if compress else np.savez)(fh, **arrays)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load(path: str | os.PathLike) -> Any:
    """Load an object written by :func:`save`.

    The archive is read with ``allow_pickle=False`` and the object type is looked up in a
    fixed registry: nothing named in the file is imported or executed. Every array is checked
    against the dtype and shape recorded in the metadata.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    object
        An object equal to the saved one (arrays bit for bit).

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        When the file is not an srnnkit file, is corrupted or truncated, or was written by a
        newer srnnkit (a format version this one does not know).

    Examples
    --------
    >>> import os, tempfile
    >>> import srnnkit as sk
    >>> basis = sk.features.LegendreBasis(3, T=2.0)
    >>> path = os.path.join(tempfile.mkdtemp(), "basis.npz")
    >>> sk.save(basis, path)
    >>> sk.load(path)
    LegendreBasis(degree=3, T=2.0)
    """
    path = _check_path(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"path {str(path)!r} does not exist.")
    if os.path.isdir(path):
        fail("path", "a file written by srnnkit.save", f"the directory {str(path)!r}")
    where = f"path {str(path)!r}"
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
        if raw[:4] == b"PK\x03\x04":     # every member's CRC: NumPy stops reading early
            with zipfile.ZipFile(io.BytesIO(raw)) as archive:
                bad = archive.testzip()
            if bad is not None:
                raise ValueError(f"{where} is not a readable srnnkit file (corrupted): the "
                                 f"checksum of its entry {bad!r} does not match.")
        npz = np.load(io.BytesIO(raw), allow_pickle=False)
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise ValueError(f"{where} is not an srnnkit file (a single NumPy array, not an "
                             ".npz archive).")
        with npz:
            names = list(npz.files)
            if _META not in names:
                raise ValueError(f"{where} is not an srnnkit file (no {_META} entry; "
                                 "it may be a plain NumPy archive).")
            meta_raw = npz[_META]
            arrays = {k: npz[k] for k in names if k != _META}
    except ValueError as err:
        if "srnnkit file" in str(err):
            raise
        if "pickle" in str(err):
            raise ValueError(f"{where} is not a readable srnnkit file: it holds pickled data "
                             "(or is not a NumPy file at all), which srnnkit never writes and "
                             "never loads.") from None
        raise ValueError(f"{where} is not a readable srnnkit file (corrupted or truncated): "
                         f"{err}") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError, RuntimeError,
            NotImplementedError, zlib.error, tokenize.TokenError, SyntaxError) as err:
        if isinstance(err, (FileNotFoundError, IsADirectoryError, PermissionError)):
            raise
        raise ValueError(f"{where} is not a readable srnnkit file (corrupted or truncated): "
                         f"{type(err).__name__}: {err}") from None
    meta = _parse_meta(meta_raw, where)
    try:
        _check_arrays(meta, arrays)
        return _build(meta["type"], _Reader(arrays).node(meta["state"], meta["type"]),
                      meta["type"])
    except _Corrupt as err:
        raise ValueError(f"{where} is corrupted: {err}.") from None
    except RecursionError:
        raise ValueError(f"{where} is corrupted: its state tree is nested too deeply.") \
            from None


def _check_path(path: object) -> str | os.PathLike:
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        fail("path", "a str or os.PathLike file name", path, TypeError)
    if str(path) == "":
        fail("path", "a non-empty file name", path)
    return path


def _parse_meta(raw: np.ndarray, where: str) -> dict:
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise ValueError(f"{where} is corrupted: the {_META} entry is not UTF-8 JSON bytes.")
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise ValueError(f"{where} is corrupted: its metadata is not valid JSON ({err}).") \
            from None
    if not isinstance(meta, dict) or meta.get("format") != _MAGIC:
        raise ValueError(f"{where} is not an srnnkit file (metadata without "
                         f"format={_MAGIC!r}).")
    version = meta.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"{where} is corrupted: format_version must be a positive integer; "
                         f"got {version!r}.")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{where} uses srnnkit file format version {version} (written by srnnkit "
            f"{meta.get('srnnkit_version', '?')}), but this srnnkit reads versions up to "
            f"{FORMAT_VERSION}: upgrade srnnkit to load it.")
    for key in ("type", "state", "arrays"):
        if key not in meta:
            raise ValueError(f"{where} is corrupted: metadata without {key!r}.")
    return meta


def _check_arrays(meta: dict, arrays: dict[str, np.ndarray]) -> None:
    spec = meta["arrays"]
    if not isinstance(spec, dict) or set(spec) != set(arrays):
        raise _Corrupt("the arrays in the archive do not match its metadata")
    for key, arr in arrays.items():
        entry = spec[key]
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], list)):
            raise _Corrupt(f"bad metadata for array {key!r}")
        if arr.dtype.str != entry[0] or list(arr.shape) != entry[1]:
            raise _Corrupt(f"array {key!r} has dtype {arr.dtype.str} and shape {arr.shape}, "
                           f"but the metadata says {entry[0]} and {tuple(entry[1])}")


# --------------------------------------------------------------------------- registered types
def _float(x: object) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError(f"expected a number, got {describe(x)}")
    return float(x)


def _cls_srnn() -> type:
    from .model import SRNN
    return SRNN


@_register("SRNN", _cls_srnn)
def _srnn_to(model: SRNN) -> dict:
    from .model import Linear, Quadratic

    ro = model.readout
    if ro.kind == "identity":
        readout: dict = {"kind": "identity"}
    elif ro.kind == "linear" and isinstance(ro, Linear):
        readout = {"kind": "linear", "Q": ro.Q, "q": ro.q}
    elif ro.kind == "quadratic" and isinstance(ro, Quadratic):
        readout = {"kind": "quadratic", "M": ro.M}
    else:
        raise TypeError(
            f"an SRNN with a callable readout ({ro!r}) cannot be saved: code is never "
            "stored in srnnkit files. Use readout=None, a (p, n) matrix, "
            "sk.readouts.Linear or sk.readouts.Quadratic, or save the weights yourself and "
            "attach the callable after loading.")
    state = {"W": model.W, "C": model.C, "sigma": model.sigma, "gamma": model.gamma,
             "gamma_kind": model.gamma_kind, "b": model.b, "activation": model.activation,
             "noise_diagonal": bool(model.noise_diagonal), "readout": readout,
             "input_mode": model.input_mode}
    dt = getattr(model, "dt", None)
    if dt is not None:          # only when known: a model without one saves as before
        state["dt"] = float(dt)
    return state


@_srnn_to.loader
def _srnn_from(s: dict) -> SRNN:
    from .model import SRNN, Linear, Quadratic

    ro = s["readout"]
    kind = ro["kind"]
    if kind == "identity":
        readout = None
    elif kind == "linear":
        readout = Linear(ro["Q"], ro["q"])
    elif kind == "quadratic":
        readout = Quadratic(ro["M"])
    else:
        raise ValueError(f"unknown readout kind {kind!r}")
    gk = s["gamma_kind"]
    gamma = s["gamma"]
    if not isinstance(gamma, np.ndarray):   # found by fuzzing: an AttributeError on .ndim
        raise ValueError(f"the saved SRNN's gamma must be an array; got {type(gamma).__name__}")
    if gk == "scalar":
        if gamma.ndim != 1 or gamma.size == 0 or np.any(gamma != gamma[0]):
            raise ValueError("gamma_kind 'scalar' with a non-constant gamma")
        gamma_arg: float | np.ndarray = float(gamma[0])
    elif gk in ("diagonal", "full"):
        gamma_arg = gamma
    else:
        raise ValueError(f"unknown gamma_kind {gk!r}")
    model = SRNN(s["W"], s["C"], s["sigma"], gamma=gamma_arg, b=s["b"],
                 activation=s["activation"], readout=readout,
                 input_mode=s.get("input_mode", "additive"),
                 dt=None if s.get("dt") is None else _float(s["dt"]))  # files before dt: None
    if model.gamma_kind != gk or model.noise_diagonal != s["noise_diagonal"]:
        raise ValueError("the rebuilt model's gamma/noise structure differs from the saved one")
    return model


def _cls_trajectory() -> type:
    from .simulate import Trajectory
    return Trajectory


_TRAJ_FIELDS = ("ts", "mean", "stderr", "dt", "n_paths", "method", "seed_entropy", "outputs",
                "states", "state_ts", "burn_in", "info")


@_register("Trajectory", _cls_trajectory)
def _traj_to(traj: Trajectory) -> dict:
    return {f: getattr(traj, f) for f in _TRAJ_FIELDS}


@_traj_to.loader
def _traj_from(s: dict) -> Trajectory:
    from .simulate import Trajectory

    if set(s) != set(_TRAJ_FIELDS):
        raise ValueError(f"fields {sorted(s)} differ from {sorted(_TRAJ_FIELDS)}")
    for f in ("ts", "mean"):
        if not isinstance(s[f], np.ndarray):
            raise TypeError(f"{f} is not an array")
    return Trajectory(**{**s, "dt": _float(s["dt"]), "info": dict(s["info"])})


# support bases -----------------------------------------------------------------------------
def _basis_cls(name: str) -> Callable[[], type]:
    def get() -> type:
        from . import features
        return getattr(features, name)
    return get


@_register("MonomialBasis", _basis_cls("MonomialBasis"))
def _mono_to(b: MonomialBasis) -> dict:
    return {"degree": b.degree}


@_mono_to.loader
def _mono_from(s: dict) -> MonomialBasis:
    from .features import MonomialBasis
    return MonomialBasis(s["degree"])


@_register("WeightedMonomialBasis", _basis_cls("WeightedMonomialBasis"))
def _wmono_to(b: WeightedMonomialBasis) -> dict:
    return {"degree": b.degree}


@_wmono_to.loader
def _wmono_from(s: dict) -> WeightedMonomialBasis:
    from .features import WeightedMonomialBasis
    return WeightedMonomialBasis(s["degree"])


@_register("LegendreBasis", _basis_cls("LegendreBasis"))
def _leg_to(b: LegendreBasis) -> dict:
    return {"degree": b.degree, "T": b.T}


@_leg_to.loader
def _leg_from(s: dict) -> LegendreBasis:
    from .features import LegendreBasis
    return LegendreBasis(s["degree"], T=_float(s["T"]))


@_register("ExponentialBasis", _basis_cls("ExponentialBasis"))
def _exp_to(b: ExponentialBasis) -> dict:
    return {"rates": b.rates}


@_exp_to.loader
def _exp_from(s: dict) -> ExponentialBasis:
    from .features import ExponentialBasis
    return ExponentialBasis(s["rates"])


# response objects ---------------------------------------------------------------------------
def _response_cls(name: str) -> Callable[[], type]:
    def get() -> type:
        from . import response
        return getattr(response, name)
    return get


@_register("ResponseFunction", _response_cls("ResponseFunction"))
def _rf_to(rf: Any) -> dict:
    return {"values": rf.values, "dt": rf.dt, "stderr": rf.stderr, "method": rf.method,
            "order": rf.order, "discrete": rf.discrete, "info": rf.info}


@_rf_to.loader
def _rf_from(s: dict) -> Any:
    from .response import ResponseFunction
    return ResponseFunction(s["values"], dt=_float(s["dt"]), stderr=s["stderr"],
                            method=s["method"], order=s["order"], discrete=s["discrete"],
                            info=s["info"])


@_register("VolterraSeries", _response_cls("VolterraSeries"))
def _vs_to(vs: Any) -> dict:
    return {"first": vs.first, "second": vs.second, "mean": vs.mean, "model": vs.model,
            "mean_stderr": getattr(vs, "mean_stderr", None)}


@_vs_to.loader
def _vs_from(s: dict) -> Any:
    from .response import VolterraSeries
    return VolterraSeries(s["first"], s["second"], mean=s["mean"], model=s.get("model"),
                          mean_stderr=s.get("mean_stderr"))


# scikit-learn estimators (generic) -----------------------------------------------------------
def _learning_classes() -> dict[str, type]:
    """The estimator classes of srnnkit.learning (empty while that subpackage is absent)."""
    try:
        from . import learning
    except ImportError:
        return {}
    from sklearn.base import BaseEstimator

    out = {}
    for name in getattr(learning, "__all__", ()):
        cls = getattr(learning, name, None)
        if isinstance(cls, type) and issubclass(cls, BaseEstimator):
            out[name] = cls
    return out


def _estimator_entry(obj: object) -> _Entry | None:
    for name, cls in _learning_classes().items():
        if type(obj) is cls:
            return _estimator_loader("learning." + name)
    return None


def _estimator_loader(name: object) -> _Entry | None:
    if not isinstance(name, str) or not name.startswith("learning."):
        return None
    cls = _learning_classes().get(name[len("learning."):])
    if cls is None:
        return None
    return _Entry(name, lambda: cls, _estimator_to, lambda s: _estimator_from(cls, s))


def _is_plain(value: object) -> bool:
    if value is None or isinstance(value, (bool, int, float, str, np.number, np.bool_)):
        return True
    if isinstance(value, np.ndarray):
        return value.dtype.kind in _ARRAY_KINDS or value.dtype == object
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return _entry_for_nested(value) is not None


def _estimator_to(est: BaseEstimator) -> dict:
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(est)
    except Exception as err:
        raise TypeError(f"obj must be a fitted estimator to be saved; {type(est).__name__} "
                        f"is not fitted ({err}).") from None
    params = est.get_params(deep=False)
    for key, value in params.items():
        if not _is_plain(value):
            raise TypeError(f"parameter {key!r} of {type(est).__name__} holds a "
                            f"{type(value).__name__}, which cannot be saved without pickle.")
    fitted = {}
    for key, value in vars(est).items():
        if key.endswith("_") and not key.startswith("_") and not key.endswith("__"):
            if not _is_plain(value):
                raise TypeError(f"fitted attribute {key!r} of {type(est).__name__} holds a "
                                f"{type(value).__name__}, which cannot be saved without pickle.")
            fitted[key] = value
    return {"params": params, "fitted": fitted}


def _estimator_from(cls: type[BaseEstimator], s: dict) -> BaseEstimator:
    params = s["params"]
    fitted = s["fitted"]
    if not isinstance(params, dict) or not isinstance(fitted, dict):
        raise TypeError("params and fitted must be tables")
    est = cls(**params)
    for key, value in fitted.items():
        if not (isinstance(key, str) and key.endswith("_")) or key.startswith("_"):
            raise ValueError(f"bad fitted attribute name {key!r}")
        setattr(est, key, value)
    return est

