"""The ``srnnkit`` command line: ``main(argv) -> int``.

``srnnkit run`` runs the whole pipeline on a built-in default and writes a report;
``srnnkit simulate|response|volterra|features|kernel|fit`` run single stages with the same
configuration keys; ``srnnkit analyze MODEL.npz`` analyses a saved trained network;
``srnnkit config`` prints the configuration. Heavy imports happen inside
each stage.

Exit codes: 0 success; 1 a stage failed at run time (divergence, memory, a numerical
check; one line on stderr names the stage); 2 bad usage, configuration, data file or output
directory (nothing was computed); 130 interrupted (Ctrl-C). User errors never print a Python
traceback (``--traceback`` shows it, for bug reports).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path
from typing import Any, NoReturn

__all__ = ["console_main", "main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

STAGES = ("simulate", "response", "volterra", "features", "kernel", "fit", "trained")

#: measured wall time on 2 cores shared with other work (load 5-9; docs/cli.md)
TIMES = {"run": "2 to 5 minutes", "run --quick": "15 to 60 seconds"}

_EXIT_TEXT = """exit codes:
  0    success
  1    a stage failed while running (divergence, out of memory, a numerical check)
  2    bad usage, configuration, data file or output directory (nothing computed)
  130  interrupted (Ctrl-C); no report is written"""

_RUN_TEXT = f"""Run the whole pipeline of Lim (JMLR 2021) on a built-in random tanh SRNN and
write a self-contained HTML report to --out: simulation, response kernels by
three estimators, the second-order kernel, the Volterra series against Monte
Carlo, response features, the response-kernel Gram matrix, a learning task, and
a small noise-injected RNN trained on a built-in task and read through its
kernels (with the torch extra).
The report's "Problems found" box lists what it measured to be wrong or
unresolved (also the "warnings" list of metrics.json).

Time on 2 cores (idle to busy): {TIMES['run --quick']} with --quick, {TIMES['run']} without.
The first run after installing also compiles the package's loops, once (1 to 2
minutes more; Numba caches them).
Change sizes with --config FILE.toml (`srnnkit config > FILE.toml` to start)."""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the descriptions' line breaks; says every default."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        import textwrap

        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.default not in (None, False, argparse.SUPPRESS) and "%(default)" not in text:
            text += " (default: %(default)s)"
        return text


def _stage_text(name: str) -> str:
    from ._pipeline import STAGE_FUNCS

    doc = ((getattr(STAGE_FUNCS.get(name), "__doc__", None) or "").strip().splitlines()
           or [f"the {name} stage."])[0]
    return (f"Only the {name} stage of `srnnkit run`:\n{doc}\nWrites report.html, "
            "metrics.json, config.toml and the stage's figures to --out.")


class _Parser(argparse.ArgumentParser):
    """argparse with the CLI's one-line errors: ``srnnkit: error: ...`` and exit 2 (argparse
    printed its usage lines first; found by fuzzing). ``--help`` still shows the usage."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.split(" ", 1)[1] + ": " if " " in self.prog else ""
        self.exit(EXIT_USAGE, f"srnnkit: error: {command}{message} (see --help)\n")


def _parser() -> argparse.ArgumentParser:
    from .. import __version__

    p = _Parser(
        prog="srnnkit", formatter_class=_Formatter, epilog=_EXIT_TEXT,
        description="Stochastic RNNs and nonequilibrium response theory (Lim, JMLR 2021).\n"
                    "`srnnkit run --quick` runs everything in under a minute; "
                    "`srnnkit COMMAND --help` says more.")
    p.add_argument("--version", action="version", version=f"srnnkit {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--config", metavar="FILE.toml",
                        help="TOML file overriding the built-in defaults (`srnnkit config`)")
        sp.add_argument("--out", default="srnnkit-report", metavar="DIR",
                        help="output directory, created if missing")
        sp.add_argument("--seed", type=int, help="root seed (overrides run.seed)")
        sp.add_argument("--quick", action="store_true",
                        help="small sample sizes: under a minute for `run`")
        sp.add_argument("--quiet", action="store_true",
                        help="no progress bars and no per-stage lines")
        sp.add_argument("--train", metavar="FILE.ts",
                        help="training set (UCR/UEA .ts file) for the fit stage")
        sp.add_argument("--test", metavar="FILE.ts",
                        help="test set (.ts file) for the fit stage; with --train")
        sp.add_argument("--missing", choices=("raise", "interpolate"),
                        help="missing values ('?') in the .ts files: an error (the default) "
                             "or filled linearly (sets learning.missing)")
        sp.add_argument("--scheduler", metavar="ADDRESS",
                        help="address of a Dask scheduler to run the Monte Carlo on")
        sp.add_argument("--workers", type=int, metavar="N",
                        help="start a local Dask cluster with N worker processes")
        sp.add_argument("--traceback", action="store_true",
                        help="on an error, show the Python traceback (for bug reports)")

    common(sub.add_parser("run", help="the whole pipeline and an HTML report",
                          description=_RUN_TEXT, epilog=_EXIT_TEXT, formatter_class=_Formatter))
    for name in STAGES:
        common(sub.add_parser(name, help=f"only the {name} stage", description=_stage_text(name),
                              epilog=_EXIT_TEXT, formatter_class=_Formatter))
    from ._analyze import add_parser as add_analyze

    add_analyze(sub, _Formatter, _EXIT_TEXT)
    cp = sub.add_parser("config", help="print the configuration as commented TOML",
                        formatter_class=_Formatter, epilog=_EXIT_TEXT,
                        description="Print the built-in configuration as TOML, every key "
                                    "explained in a comment;\nedit it and pass it back with "
                                    "`srnnkit run --config FILE.toml`.")
    cp.add_argument("--quick", action="store_true", help="the sizes that --quick uses")
    return p


def _error(message: str, code: int) -> int:
    print(f"srnnkit: error: {message}", file=sys.stderr)
    return code


def _printable(text: str) -> str:
    """``text`` as stdout can encode it: a file name that is not valid UTF-8 (surrogates in
    Python) or a character the console's encoding lacks is backslash-escaped (found by a
    held-out check: with a strict UTF-8 stdout, an --out with a byte \\xff finished its run,
    then exited 1 printing the report's path, "internal error")."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        return text.encode(encoding, "backslashreplace").decode(encoding)
    except LookupError:                     # an encoding Python does not know
        return text.encode("ascii", "backslashreplace").decode("ascii")


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text if text.endswith(".") else text + "."


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code.

    0 success; 1 a stage failed at run time; 2 bad usage, configuration, data file or output
    directory (checked before any work); 130 interrupted. Errors are one line on stderr.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after ``srnnkit`` (default: ``sys.argv[1:]``), e.g.
        ``["run", "--quick"]``; commands are ``run``, one stage name (``simulate``,
        ``response``, ``volterra``, ``features``, ``kernel``, ``fit``) or ``config``.

    Returns
    -------
    int
        The exit code.

    Examples
    --------
    >>> from srnnkit.cli import main
    >>> main(["config"])  # doctest: +ELLIPSIS
    # srnnkit configuration: ...
    [model]
    # hidden units of the built-in random tanh SRNN
    n_hidden = 16
    ...
    0
    """
    try:
        args = _parser().parse_args(argv)
    except SystemExit as stop:                       # --help, --version, usage errors
        return int(stop.code or 0) if isinstance(stop.code, int) else EXIT_USAGE
    if args.command == "config":
        from ._config import dump_toml, load_config

        print(dump_toml(load_config(quick=args.quick)))
        return EXIT_OK
    try:
        with warnings.catch_warnings():
            # the command states its own time up front (--help, the progress lines); the
            # library's CostWarning speaks to Python callers (warnings filters, knobs)
            from .._cost import CostWarning

            warnings.simplefilter("ignore", CostWarning)
            if args.command == "analyze":
                from ._analyze import run_analyze

                return run_analyze(args)
            return _run(args)
    except Exception as err:  # a bug: one line unless --traceback
        if args.traceback:
            raise
        return _error(f"internal error ({type(err).__name__}: {_one_line(err)}) This is a "
                      "bug in srnnkit; rerun with --traceback and report it.", EXIT_FAILED)


def _prepare(args: argparse.Namespace) -> tuple[dict, Path, tuple | None] | int:
    """Configuration, data files and output directory, checked before any work."""
    from ._config import ConfigError, load_config
    from ._pipeline import DataMismatch, load_data

    try:
        cfg = load_config(args.config, quick=args.quick, seed=args.seed)
        for flag, value in (("--train", args.train), ("--test", args.test)):
            if value is not None and not value.strip():   # found by a held-out check:
                raise ConfigError(f"{flag} must name a .ts file; got {value!r}.")  # '' ran
        if args.train or args.test:                           # the synthetic task, exit 0
            if not (args.train and args.test):
                raise ConfigError("--train and --test must be given together.")
            for flag, value in (("--train", args.train), ("--test", args.test)):
                try:                     # config.toml (TOML is Unicode) records the path
                    value.encode("utf-8")
                except UnicodeEncodeError:
                    shown = value.encode("utf-8", "backslashreplace").decode()
                    raise ConfigError(f"{flag} '{shown}' is not valid UTF-8 text: the run's "
                                      "config.toml could not record it; rename the file or "
                                      "its folder.") from None
            if args.command not in ("run", "fit"):   # found by fuzzing: silently ignored
                raise ConfigError(f"--train and --test are data for the fit stage (`srnnkit "
                                  f"fit` or `srnnkit run`); `srnnkit {args.command}` does not "
                                  "use them.")
            cfg["learning"]["train"], cfg["learning"]["test"] = args.train, args.test
        if args.missing is not None:
            cfg["learning"]["missing"] = args.missing
        if bool(cfg["learning"]["train"]) != bool(cfg["learning"]["test"]):
            raise ConfigError("learning.train and learning.test must be given together "
                              "(in the config or as --train and --test).")
    except ConfigError as err:
        return _error(_one_line(err), EXIT_USAGE)
    try:                  # the [model] network, checked before any work (found by fuzzing:
        _check_model(cfg)  # n_hidden = 100000 was "an internal error", exit 1)
    except ValueError as err:
        return _error(f"the [model] network cannot be built: {_one_line(err)}", EXIT_USAGE)
    data = None
    if cfg["learning"]["train"] and args.command in ("run", "fit"):
        try:
            data = load_data(cfg)
        except (OSError, ValueError, TypeError) as err:
            what = err.strerror if isinstance(err, OSError) and err.strerror else err
            name = getattr(err, "filename", None)
            where = f" {str(name)!r}" if name else ""
            verb = "use" if isinstance(err, DataMismatch) else "read"
            return _error(f"cannot {verb} the learning data{where}: {_one_line(what)}",
                          EXIT_USAGE)
    try:
        out = _output_dir(args.out)
    except ValueError as err:
        return _error(str(err), EXIT_USAGE)
    return cfg, out, data


def _check_model(cfg: dict) -> None:
    """Build the ``[model]`` network once (its warnings are the stages' to report)."""
    from ._pipeline import default_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        default_model(cfg)


def _output_dir(path: str, writes: tuple[str, ...] = ("report.html", "metrics.json",
                                                      "config.toml")) -> Path:
    """``--out`` created and checked writable before any work; ``ValueError`` (the CLI's
    exit 2) naming it otherwise. '' is refused: it wrote into the working directory and
    removed a report there. A folder named like a file the command ``writes`` is refused
    too."""
    if not path:
        raise ValueError("--out must name a directory; got ''.")
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".srnnkit-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as err:
        raise ValueError(f"cannot write to output directory {str(out)!r}: "
                         f"{err.strerror or err}.") from None
    for name in writes:
        if (out / name).is_dir():  # found by a held-out check: "internal error", exit 1
            raise ValueError(f"cannot write to output directory {str(out)!r}: "
                             f"{str(out / name)!r} is a directory, where the run writes "
                             "a file; rename it or choose another --out.")
    return out


def _run(args: argparse.Namespace) -> int:
    prepared = _prepare(args)
    if isinstance(prepared, int):
        return prepared
    cfg, out, data = prepared
    from ._pipeline import StageFailed, run_pipeline

    stages = STAGES if args.command == "run" else (args.command,)
    t0 = time.perf_counter()
    if args.workers is not None and args.workers < 1:   # a usage error, not a cluster's
        return _error(f"--workers must be >= 1; got {args.workers}.", EXIT_USAGE)
    try:
        client = _dask_client(args)
    except (ImportError, OSError, ValueError, TypeError) as err:   # tls:// without certs: TypeError
        return _error(f"cannot reach the Dask cluster: {_one_line(err)}", EXIT_USAGE)
    try:
        records = run_pipeline(cfg, out, stages, progress=not args.quiet and sys.stderr.isatty(),
                               verbose=not args.quiet, executor=client, data=data)
    except KeyboardInterrupt:
        print("srnnkit: interrupted; no report was written.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except StageFailed as failed:
        if args.traceback:
            raise failed.error from None
        return _error(_stage_failure(failed), EXIT_FAILED)
    finally:
        _close(client)
    if not args.quiet:
        n = sum(len(r.get("problems", [])) for r in records)
        found = f"; {n} problem(s) found, see its Problems box" if n else ""
        print(_printable(f"done in {time.perf_counter() - t0:.1f} s: {out / 'report.html'}"
                         f"{found}"))
    return EXIT_OK


def _stage_failure(failed) -> str:
    """One line for a stage that raised: what happened, and what to change."""
    from .. import DivergenceError

    err = failed.error
    head = f"the {failed.stage} stage failed: "
    if isinstance(err, DivergenceError):
        return head + (f"the simulation diverged: {_one_line(err)} (Configuration keys: "
                       "[simulation] dt, [model] spectral_radius, input_scale, gamma.)")
    if isinstance(err, MemoryError):
        return head + "out of memory. Lower the sample sizes in --config (or use --quick)."
    if isinstance(err, (ValueError, TypeError, ArithmeticError, OSError)):
        return head + f"{type(err).__name__}: {_one_line(err)}"
    return head + (f"{type(err).__name__}: {_one_line(err)} This may be a bug in srnnkit; "
                   "rerun with --traceback and report it.")


def _close(client) -> None:
    if client is None:
        return
    cluster = getattr(client, "_srnnkit_cluster", None)
    client.close()
    if cluster is not None:
        cluster.close()


def _dask_client(args):
    """A dask.distributed.Client for ``--scheduler`` / ``--workers``, or None."""
    if args.scheduler is None and args.workers is None:
        return None
    if args.scheduler is not None and args.workers is not None:
        raise ValueError("give --scheduler or --workers, not both")
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ImportError("the dask extra is not installed (pip install 'srnnkit[dask]')") \
            from None
    if args.scheduler is not None:
        return Client(args.scheduler, timeout=10)
    if args.workers < 1:
        raise ValueError(f"--workers must be >= 1; got {args.workers}")
    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    client = Client(cluster)
    client._srnnkit_cluster = cluster
    return client


def console_main() -> None:
    """``srnnkit`` console script: :func:`main` on ``sys.argv``, then exit with its code.

    Examples
    --------
    >>> import sys
    >>> from srnnkit.cli import console_main
    >>> saved, sys.argv = sys.argv, ["srnnkit", "--version"]
    >>> try:
    ...     console_main()  # doctest: +ELLIPSIS
    ... except SystemExit as stop:
    ...     print("exit code", stop.code)
    ... finally:
    ...     sys.argv = saved
    srnnkit ...
    exit code 0
    """
    raise SystemExit(_interruptible(main))


def _interruptible(work: Any) -> int:
    """``work()`` in a worker thread while the main thread waits for Ctrl-C.

    Python handles a signal only between bytecodes of the main thread: inside a long
    compiled loop (``n_jobs=1``) Ctrl-C waited for the loop, and with worker threads the
    process outlived the message (found by fuzzing: a run estimated at 7 days ignored
    Ctrl-C). The main thread now only waits, and on Ctrl-C ends the process at once with
    exit code 130 (the report is written only at the end, so none is left).
    """
    import os
    import threading

    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["code"] = work()
        except BaseException as err:     # re-raised in the main thread
            result["error"] = err

    thread = threading.Thread(target=target, name="srnnkit-main", daemon=True)
    try:
        thread.start()
        while thread.is_alive():
            thread.join(0.2)
    except KeyboardInterrupt:
        print("srnnkit: interrupted; no report was written.", file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(EXIT_INTERRUPTED)
    if "error" in result:
        raise result["error"]
    return result["code"]
