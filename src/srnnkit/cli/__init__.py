"""The ``srnnkit`` command line: ``main(argv) -> int``.

``srnnkit run`` runs the whole pipeline on a built-in default and writes a report;
``srnnkit simulate|response|volterra|features|kernel|fit`` run single stages with the same
configuration keys. Heavy imports happen inside each stage.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

__all__ = ["console_main", "main"]

STAGES = ("simulate", "response", "volterra", "features", "kernel", "fit")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="srnnkit", description="Stochastic RNNs and "
                                "nonequilibrium response theory (Lim, JMLR 2021).")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp):
        sp.add_argument("--config", help="TOML file overriding the built-in defaults")
        sp.add_argument("--out", default="srnnkit-report", help="output directory")
        sp.add_argument("--seed", type=int, help="root seed (overrides run.seed)")
        sp.add_argument("--quick", action="store_true", help="small sizes: about a minute")
        sp.add_argument("--quiet", action="store_true", help="no progress bars")
        sp.add_argument("--train", help="training set (.ts file) for the learning stage")
        sp.add_argument("--test", help="test set (.ts file) for the learning stage")

    common(sub.add_parser("run", help="the whole pipeline and an HTML report"))
    for name in STAGES:
        common(sub.add_parser(name, help=f"only the {name} stage"))
    sub.add_parser("config", help="print the default configuration as TOML")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code (0 success, 2 bad usage or config, 1 error).

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
    [model]
    ...
    0
    """
    from ._config import DEFAULTS, ConfigError, dump_toml, load_config

    args = _parser().parse_args(argv)
    if args.command == "config":
        print(dump_toml(DEFAULTS))
        return 0
    try:
        cfg = load_config(args.config, quick=args.quick, seed=args.seed)
        if args.train or args.test:
            if not (args.train and args.test):
                raise ConfigError("--train and --test must be given together.")
            cfg["learning"]["train"], cfg["learning"]["test"] = args.train, args.test
    except ConfigError as err:
        print(f"srnnkit: error: {err}", file=sys.stderr)
        return 2
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".srnnkit-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as err:
        print(f"srnnkit: error: cannot write to output directory {str(out)!r}: "
              f"{err.strerror or err}.", file=sys.stderr)
        return 2
    from ._pipeline import run_pipeline

    stages = STAGES if args.command == "run" else (args.command,)
    t0 = time.perf_counter()
    try:
        run_pipeline(cfg, out, stages, progress=not args.quiet and sys.stderr.isatty(),
                     verbose=not args.quiet)
    except KeyboardInterrupt:
        print("srnnkit: interrupted; no report was written.", file=sys.stderr)
        return 130
    if not args.quiet:
        print(f"done in {time.perf_counter() - t0:.1f} s: {out / 'report.html'}")
    return 0


def console_main() -> None:
    """``srnnkit`` console script: :func:`main` on ``sys.argv``, then exit with its code.

    Examples
    --------
    >>> import sys
    >>> from srnnkit.cli import console_main
    >>> saved, sys.argv = sys.argv, ["srnnkit", "config"]
    >>> try:
    ...     console_main()  # doctest: +ELLIPSIS
    ... except SystemExit as stop:
    ...     print("exit code", stop.code)
    ... finally:
    ...     sys.argv = saved
    [model]
    ...
    exit code 0
    """
    raise SystemExit(main())
