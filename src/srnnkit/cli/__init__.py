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
        sp.add_argument("--scheduler", help="address of a Dask scheduler to run on")
        sp.add_argument("--workers", type=int,
                        help="start a local Dask cluster with this many worker processes")

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
        client = _dask_client(args)
    except (ImportError, OSError, ValueError) as err:
        print(f"srnnkit: error: cannot reach the Dask cluster: {err}", file=sys.stderr)
        return 2
    try:
        run_pipeline(cfg, out, stages, progress=not args.quiet and sys.stderr.isatty(),
                     verbose=not args.quiet, executor=client)
    except KeyboardInterrupt:
        print("srnnkit: interrupted; no report was written.", file=sys.stderr)
        return 130
    finally:
        if client is not None:
            cluster = getattr(client, "_srnnkit_cluster", None)
            client.close()
            if cluster is not None:
                cluster.close()
    if not args.quiet:
        print(f"done in {time.perf_counter() - t0:.1f} s: {out / 'report.html'}")
    return 0


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
