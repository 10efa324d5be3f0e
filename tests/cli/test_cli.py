import json
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from srnnkit.cli import main
from srnnkit.cli._config import DEFAULTS, ConfigError, dump_toml, load_config


def test_default_config_round_trips(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text(dump_toml(DEFAULTS))
    assert load_config(p) == DEFAULTS


@pytest.mark.parametrize("text,match", [
    ("[simulation]\ndt = -0.1\n", r"simulation\.dt must be > 0"),
    ("[simulation]\nn_paths = 'many'\n", r"simulation\.n_paths must be an integer"),
    ("[simulation]\nwarp = 1\n", r"unknown config key simulation\.warp"),
    ("[nonsense]\na = 1\n", r"unknown config section 'nonsense'"),
    ("[model]\nactivation = 'softmax'\n", r"model\.activation must be one of"),
    ("[volterra]\namplitudes = []\n", r"volterra\.amplitudes must be a non-empty list"),
    ("not toml [", r"is not valid TOML"),
    # found by a held-out check: a key above every section was "an unknown config section"
    ("seed = 3\n", r"config key 'seed' in .* is outside any \[section\]; it belongs under "
                   r"\[run\]\."),
    ("n_hidden = 3\n[model]\n", r"'n_hidden' .* belongs under \[model\] or \[trained\]"),
])
def test_bad_config_rejected(tmp_path, text, match):
    p = tmp_path / "c.toml"
    p.write_text(text)
    with pytest.raises(ConfigError, match=match):
        load_config(p)


def test_bad_config_exits_before_work(tmp_path, capsys):
    p = tmp_path / "c.toml"
    p.write_text("[simulation]\ndt = -1.0\n")
    out = tmp_path / "out"
    assert main(["run", "--config", str(p), "--out", str(out)]) == 2
    assert "simulation.dt" in capsys.readouterr().err
    assert not (out / "report.html").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_output_dir(tmp_path, capsys):
    d = tmp_path / "ro"
    d.mkdir()
    d.chmod(0o500)
    assert main(["simulate", "--out", str(d / "x")]) == 2
    assert "cannot write to output directory" in capsys.readouterr().err


def test_output_path_is_a_file(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["simulate", "--quick", "--out", str(f)]) == 2
    assert "cannot write to output directory" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["report.html", "metrics.json", "config.toml"])
def test_a_folder_named_like_an_output_file_is_a_usage_error(tmp_path, capsys, name):
    """Found by a held-out check: a folder named report.html (or metrics.json) in --out gave
    "internal error (IsADirectoryError ...)", exit 1; the docs say exit 2 for an unwritable
    --out. A folder named like a file the command does not write is left alone."""
    (tmp_path / "o" / name).mkdir(parents=True)
    assert main(["simulate", "--quick", "--quiet", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"{name}' is a directory, where the run writes a file" in err, err
    assert len(err.strip().splitlines()) == 1 and (tmp_path / "o" / name).is_dir()


def test_a_folder_named_analysis_toml_is_not_in_the_way_of_a_run(tmp_path):
    (tmp_path / "o" / "analysis.toml").mkdir(parents=True)
    assert main(["simulate", "--quick", "--quiet", "--out", str(tmp_path / "o")]) == 0
    assert (tmp_path / "o" / "analysis.toml").is_dir()


def test_simulate_stage_writes_outputs(tmp_path):
    out = tmp_path / "rep"
    assert main(["simulate", "--quick", "--quiet", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0 < metrics["simulate"]["max_stderr"] < 0.05
    assert (out / "simulation.png").stat().st_size > 1000
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "</html>" in html
    assert load_config(out / "config.toml", quick=False)["simulation"]["n_paths"] == 2048


def test_interrupt_leaves_no_report(tmp_path, monkeypatch, capsys):
    from srnnkit.cli import _pipeline

    out = tmp_path / "rep"
    out.mkdir()
    (out / "report.html").write_text("<html>an old, complete-looking report</html>")

    def interrupted(cfg, ctx, out_dir):
        raise KeyboardInterrupt

    monkeypatch.setitem(_pipeline.STAGE_FUNCS, "response", interrupted)
    assert main(["run", "--quick", "--quiet", "--out", str(out)]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert not (out / "report.html").exists()        # the old report was removed first
    assert not list(out.glob(".*.partial"))


def test_a_long_estimate_is_said_when_the_stage_starts(tmp_path, monkeypatch, capsys):
    """Found by fuzzing: a config estimated at hours ran silently, its CostWarning kept for
    the report at the end; now the estimate is printed at once (the stage still runs and the
    warning is no problem line of the report)."""
    from srnnkit import _cost
    from srnnkit.cli import _pipeline

    said = []

    def slow_stage(cfg, ctx, out_dir):
        estimate = _cost.CostEstimate("simulate", [_cost.Part(
            "Euler steps", "n_paths", 1.0, None, seconds=12600.0)], seconds=12600.0)
        _cost._warn(estimate)                          # as the library warns
        said.append(capsys.readouterr().err)          # printed before the work goes on
        return {"metrics": {}, "figures": [], "problems": []}

    monkeypatch.setitem(_pipeline.STAGE_FUNCS, "simulate", slow_stage)
    out = tmp_path / "rep"
    assert main(["simulate", "--quick", "--out", str(out)]) == 0
    assert said[0].startswith("[simulate] simulate is estimated to take about 3.5 h")
    assert "sized by n_paths" in said[0] and "lower n_paths" in said[0]
    assert "Ctrl-C stops the run" in said[0] and "Silence" not in said[0]
    assert json.loads((out / "metrics.json").read_text())["warnings"] == []
    assert main(["simulate", "--quick", "--quiet", "--out", str(out)]) == 0
    assert "estimated" not in capsys.readouterr().err



@pytest.mark.parametrize("seconds, said", [(4.0, False), (31.0, True)])
def test_only_an_estimate_over_30_s_is_said(tmp_path, monkeypatch, capsys, seconds, said):
    """Found by a held-out check: the library warns of a burn-in-dominated simulate from 3 s,
    and `srnnkit run --quick` printed "[volterra] simulate is estimated to take about 4 s"
    under load; docs/cli.md says a stage estimated at more than 30 s."""
    from srnnkit import _cost
    from srnnkit.cli import _pipeline

    def stage(cfg, ctx, out_dir):
        estimate = _cost.CostEstimate("simulate", [_cost.Part(
            "burn-in steps", "burn_in", 1.0, None, seconds=seconds)], seconds=seconds)
        _cost._warn(estimate)
        return {"metrics": {}, "figures": [], "problems": []}

    monkeypatch.setitem(_pipeline.STAGE_FUNCS, "simulate", stage)
    assert main(["simulate", "--quick", "--out", str(tmp_path / "o")]) == 0
    assert ("estimated to take" in capsys.readouterr().err) is said

# ------------------------------------------------------------ issue #20: the first hour
DOCS = Path(__file__).resolve().parents[2] / "docs"


def _console(*args, cwd):
    """The real console entry point in a subprocess (what a user sees on the terminal)."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"))
    return subprocess.run([sys.executable, "-m", "srnnkit", *args], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=300)


def test_missing_data_file_is_one_line_exit_2(tmp_path):
    res = _console("fit", "--quick", "--train", "nope.ts", "--test", "nope2.ts", cwd=tmp_path)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert res.stderr.strip().splitlines() == [
        "srnnkit: error: cannot read the learning data 'nope.ts': No such file or directory."]
    assert not (tmp_path / "srnnkit-report").exists()          # nothing was written


@pytest.mark.parametrize("text,match", [
    ("@data\n1,2,x:a\n", r"cannot read the learning data: '.*bad\.ts': .*line"),
    (b"\xff\xfe\x00garbage", r"cannot read the learning data: '.*bad\.ts': .*UTF-8"),
])
def test_unreadable_data_file_exit_2(tmp_path, capsys, text, match):
    bad = tmp_path / "bad.ts"
    bad.write_bytes(text if isinstance(text, bytes) else text.encode())
    assert main(["fit", "--train", str(bad), "--test", str(bad), "--out",
                 str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert re.search(match, err) and len(err.strip().splitlines()) == 1
    assert err.count("bad.ts") == 1, err     # named once: the reader names it too


def test_bad_toml_and_missing_config_are_one_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[simulation\ndt = ")
    for cfg in (bad, tmp_path / "missing.toml"):
        res = _console("run", "--quick", "--config", str(cfg), cwd=tmp_path)
        assert res.returncode == 2 and "Traceback" not in res.stderr
        assert len(res.stderr.strip().splitlines()) == 1
        assert str(cfg) in res.stderr


def test_divergence_is_one_line_exit_1(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[simulation]\ndt = 200.0\nn_steps = 200\nn_paths = 64\n")
    res = _console("simulate", "--config", str(cfg), "--quiet", "--out", "o", cwd=tmp_path)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "the simulate stage failed: the simulation diverged" in lines[0]
    assert "[simulation] dt" in lines[0]
    assert not (tmp_path / "o" / "report.html").exists()


def test_stage_errors_are_one_line(tmp_path, monkeypatch, capsys):
    from srnnkit import DivergenceError
    from srnnkit.cli import _pipeline

    def raiser(exc):
        def stage(cfg, ctx, out):
            raise exc
        return stage

    out = str(tmp_path / "o")
    monkeypatch.setitem(_pipeline.STAGE_FUNCS, "kernel",
                        raiser(DivergenceError("state became inf at step 3")))
    assert main(["kernel", "--quiet", "--out", out]) == 1
    assert "the kernel stage failed: the simulation diverged" in capsys.readouterr().err
    monkeypatch.setitem(_pipeline.STAGE_FUNCS, "kernel", raiser(MemoryError()))
    assert main(["kernel", "--quiet", "--out", out]) == 1
    assert "out of memory" in capsys.readouterr().err
    monkeypatch.setitem(_pipeline.STAGE_FUNCS, "kernel", raiser(KeyError("oops")))
    assert main(["kernel", "--quiet", "--out", out]) == 1
    err = capsys.readouterr().err
    assert "KeyError" in err and "--traceback" in err and len(err.strip().splitlines()) == 1
    with pytest.raises(KeyError):                         # for bug reports
        main(["kernel", "--quiet", "--traceback", "--out", out])


def test_version(capsys):
    import srnnkit

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"srnnkit {srnnkit.__version__}"


@pytest.mark.parametrize("command", ["run", "simulate", "response", "volterra", "features",
                                     "kernel", "fit", "config"])
def test_every_subcommand_has_a_helpful_help(command, capsys):
    assert main([command, "--help"]) == 0
    text = capsys.readouterr().out
    description = text.split("\n\n")[1]
    assert len(description.split()) >= 8, description          # a real description
    assert "exit codes:" in text and "130" in text
    if command != "config":
        assert "(default: srnnkit-report)" in " ".join(text.split())
    if command == "run":
        assert "60 seconds with --quick" in text and "minutes without" in text
        # the first run compiles the loops (111 s cold against 18 s warm for --quick)
        assert "first run after installing also compiles" in " ".join(text.split())


def test_usage_error_exit_2(capsys):
    assert main(["frobnicate"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_config_prints_commented_toml(capsys):
    from srnnkit.cli._config import _SPEC

    assert main(["config"]) == 0
    text = capsys.readouterr().out
    lines = text.splitlines()
    for section, keys in _SPEC.items():
        start = lines.index(f"[{section}]")
        for key in keys:
            i = next(n for n in range(start, len(lines)) if lines[n].startswith(f"{key} = "))
            assert lines[i - 1].startswith("#"), f"{section}.{key} has no comment"
    assert max(len(ln) for ln in lines) <= 100
    import tomllib

    assert tomllib.loads(text) == DEFAULTS
    assert main(["config", "--quick"]) == 0
    assert "n_paths = 2048" in capsys.readouterr().out


def test_fit_uses_the_configured_classifier(tmp_path):
    """--train/--test: LinearSRNNClassifier by default (the one the README recommends)."""
    out = tmp_path / "o"
    assert main(["fit", "--quiet", "--out", str(out),
                 "--train", str(DOCS / "data" / "GunPoint_TRAIN.ts"),
                 "--test", str(DOCS / "data" / "GunPoint_TEST.ts")]) == 0
    m = json.loads((out / "metrics.json").read_text())["fit"]
    assert m["LinearSRNNClassifier accuracy"] > 0.95          # README: 1.000
    assert m["majority-class rate"] == pytest.approx(0.5067, abs=1e-3)
    assert (out / "fit.png").stat().st_size > 1000
    assert DEFAULTS["learning"]["classifier"] == "LinearSRNNClassifier"


def test_problems_reach_report_and_metrics(tmp_path, monkeypatch):
    from srnnkit.cli import _pipeline

    def flawed(cfg, ctx, out):
        return {"text": "t", "metrics": {"x": 1.0}, "figures": [],
                "problems": ["the widget is not resolved (z = 1.2 < 3)."]}

    monkeypatch.setitem(_pipeline.STAGE_FUNCS, "features", flawed)
    out = tmp_path / "o"
    assert main(["features", "--quiet", "--out", str(out)]) == 0
    html = (out / "report.html").read_text()
    assert "Problems found (1)" in html and "the widget is not resolved" in html
    assert html.index("Problems found") < html.index("<h2 id='features'>")   # at the top
    assert json.loads((out / "metrics.json").read_text())["warnings"] == [
        "features: the widget is not resolved (z = 1.2 < 3)."]
    monkeypatch.setitem(_pipeline.STAGE_FUNCS, "features",
                        lambda cfg, ctx, out: {"text": "t", "metrics": {}, "figures": []})
    assert main(["features", "--quiet", "--out", str(out)]) == 0
    assert "No problems found" in (out / "report.html").read_text()
    assert json.loads((out / "metrics.json").read_text())["warnings"] == []


@pytest.mark.parametrize("task", [
    "narma10", pytest.param("mackey_glass", marks=pytest.mark.slow)])
def test_learning_task_key_selects_the_task(tmp_path, task):
    """[learning] task: each documented choice runs its own task (it was ignored before)."""
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[learning]\ntask = "{task}"\n')
    out = tmp_path / "o"
    assert main(["fit", "--quick", "--quiet", "--config", str(cfg), "--out", str(out)]) == 0
    m = json.loads((out / "metrics.json").read_text())["fit"]
    assert m["task"].lower().startswith(task.replace("_", "-")[:6])
    assert m["n_train"] == 60 and m["n_test"] == 30
    assert m["ResponseKernelRidge NRMSE"] < 1.0 and m["SRNNReservoir+ridge NRMSE"] < 1.0


def test_cost_warnings_stay_out_of_the_command_line(monkeypatch):
    """The CLI states its own time; a CostWarning raised by a library call inside a command
    (advice for Python callers: warnings filters, keyword arguments) is not printed."""
    import srnnkit.cli as cli
    from srnnkit import _cost

    def stage(args):
        warnings.warn("simulate is estimated to take about 17 s", _cost.CostWarning,
                      stacklevel=1)
        warnings.warn("something else", UserWarning, stacklevel=1)
        return 0

    monkeypatch.setattr(cli, "_run", stage)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert main(["simulate", "--quick"]) == 0
    kinds = [w.category for w in seen]
    assert _cost.CostWarning not in kinds and UserWarning in kinds


def _ts(path, rows, *, labels="true a b", target=False, dims=1):
    """A tiny .ts file: rows of (series as a list of channel lists, label)."""
    head = ["@problemName t", "@timeStamps false", "@missing false", "@univariate "
            + ("true" if dims == 1 else "false"), f"@dimensions {dims}", "@equalLength true"]
    head += ["@targetLabel true"] if target else [f"@classLabel {labels}"]
    lines = [":".join(",".join(str(v) for v in ch) for ch in series) +
             ("" if lab is None else f":{lab}") for series, lab in rows]
    path.write_text("\n".join([*head, "@data", *lines]) + "\n")
    return str(path)


@pytest.mark.parametrize("case, match", [
    ("disjoint", r"'.*test\.ts' holds no class of '.*train\.ts'"),
    ("one-step", r"'.*train\.ts' holds only one-step series"),
    ("constant", r"'.*train\.ts' holds only constant series"),
    ("no labels", r"'.*test\.ts' has no class labels or targets"),
    ("regression test", r"holds class labels and '.*test\.ts' regression targets"),
    ("channels", r"has 1 channel\(s\) and '.*test\.ts' 2"),
    ("one class", r"holds one class \('a'\)"),
])
def test_train_and_test_files_that_are_not_one_task_exit_2(tmp_path, capsys, case, match):
    """Found by fuzzing: exit 1 (or 0 with accuracy 0 for regression targets counted as 10
    classes) with messages that named neither file."""
    rng = np.random.default_rng(0)

    def rows(n, labs, dims=1):
        return [([rng.standard_normal(8).round(3).tolist() for _ in range(dims)], lab)
                for lab in (labs * n)[:n]]

    train = _ts(tmp_path / "train.ts", rows(6, ["a"] if case == "one class" else ["a", "b"]))
    if case in ("one-step", "constant"):           # found by fuzzing: exit 1 from the stage
        flat = [([[1.5] * (1 if case == "one-step" else 8)], lab) for lab in ["a", "b"] * 3]
        train = _ts(tmp_path / "train.ts", flat)
    if case == "disjoint":                         # found by fuzzing: accuracy 0, exit 0
        test = _ts(tmp_path / "test.ts", rows(4, ["c", "d"]), labels="true c d")
    elif case == "no labels":
        test = _ts(tmp_path / "test.ts", rows(4, [None]), labels="false")
    elif case == "regression test":
        test = _ts(tmp_path / "test.ts", rows(4, [0.5, 1.5]), target=True)
    elif case == "channels":
        test = _ts(tmp_path / "test.ts", rows(4, ["a", "b"], dims=2), dims=2)
    else:
        test = _ts(tmp_path / "test.ts", rows(4, ["a", "b"]))
    assert main(["fit", "--quick", "--train", train, "--test", test, "--out",
                 str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert re.search(r"cannot use the learning data: .*" + match, err), err
    assert len(err.strip().splitlines()) == 1


def test_a_config_with_only_the_training_file_says_both_are_needed(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[learning]\ntrain = "train.ts"\n')
    assert main(["fit", "--quick", "--config", str(cfg), "--out", str(tmp_path / "o")]) == 2
    assert "learning.train and learning.test must be given together" in capsys.readouterr().err


def test_missing_values_in_the_data_files(tmp_path, capsys):
    """A '?' in a .ts file: the error names the CLI's own option (it named the Python
    argument missing='interpolate', which the CLI had no way to pass); --missing
    interpolate (or learning.missing) fills it linearly."""
    rng = np.random.default_rng(0)
    rows = [([rng.standard_normal(8).round(3).tolist()], lab) for lab in ["a", "b"] * 5]
    rows[1][0][0][3] = "?"
    train = _ts(tmp_path / "train.ts", rows)
    test = _ts(tmp_path / "test.ts", rows[2:])
    argv = ["fit", "--quick", "--quiet", "--train", train, "--test", test]
    assert main([*argv, "--out", str(tmp_path / "o1")]) == 2
    err = capsys.readouterr().err
    assert "missing value ('?') at position 3; pass --missing interpolate" in err, err
    assert "missing='interpolate'" not in err and len(err.strip().splitlines()) == 1
    assert main([*argv, "--missing", "interpolate", "--out", str(tmp_path / "o2")]) == 0
    cfg = tmp_path / "c.toml"
    cfg.write_text('[learning]\nmissing = "interpolate"\n')
    assert main([*argv, "--config", str(cfg), "--out", str(tmp_path / "o3")]) == 0
    for out in ("o2", "o3"):                      # the run's own config records the choice
        assert 'missing = "interpolate"' in (tmp_path / out / "config.toml").read_text()


def test_the_runs_config_reruns_from_another_directory(tmp_path, monkeypatch, capsys):
    """Found by fuzzing: config.toml kept the data paths as typed (relative to where the
    run started), so `srnnkit run --config out/config.toml` from elsewhere found no data."""
    rng = np.random.default_rng(1)
    rows = [([rng.standard_normal(8).round(3).tolist()], lab) for lab in ["a", "b"] * 5]
    (tmp_path / "data").mkdir()
    _ts(tmp_path / "data" / "train.ts", rows)
    _ts(tmp_path / "data" / "test.ts", rows[2:])
    monkeypatch.chdir(tmp_path)
    argv = ["fit", "--quick", "--quiet", "--train", "data/train.ts", "--test", "data/test.ts"]
    assert main([*argv, "--out", "o1"]) == 0
    monkeypatch.chdir(tmp_path / "data")
    assert main(["fit", "--quick", "--quiet", "--config", "../o1/config.toml", "--out",
                 "../o2"]) == 0, capsys.readouterr().err
    first, again = (json.loads((tmp_path / o / "metrics.json").read_text())["fit"]
                    for o in ("o1", "o2"))
    assert first == {**again, "seconds": first["seconds"]}


def test_a_failed_run_leaves_no_earlier_report_or_metrics(tmp_path, capsys):
    """Found by fuzzing: after a successful run, a failing one into the same --out removed
    report.html but left the old metrics.json, beside a config.toml of the new run."""
    out = str(tmp_path / "o")
    assert main(["simulate", "--quick", "--quiet", "--out", out]) == 0
    assert (tmp_path / "o" / "metrics.json").exists()
    cfg = tmp_path / "c.toml"
    cfg.write_text("[simulation]\ndt = 10.0\n")
    assert main(["simulate", "--quick", "--quiet", "--config", str(cfg), "--out", out]) == 1
    assert not (tmp_path / "o" / "metrics.json").exists()
    assert not (tmp_path / "o" / "report.html").exists()


def test_a_new_run_removes_the_earlier_runs_figures_and_nothing_else(tmp_path):
    """Left by the last review: figures of an earlier run's other stages stayed in --out
    beside a new report. metrics.json now lists the figures, and the next run removes
    those (and only those)."""
    out = tmp_path / "o"
    assert main(["simulate", "--quick", "--quiet", "--out", str(out)]) == 0
    assert json.loads((out / "metrics.json").read_text())["figures"] == ["simulation.png"]
    (out / "mine.png").write_bytes(b"a user's file")
    (out / "simulation.png").rename(out / "kept.png")    # as if another stage had written it
    listed = json.loads((out / "metrics.json").read_text())
    (out / "folder.png").mkdir()
    listed["figures"] = ["kept.png", "../c.toml", "/etc/passwd", 3, "folder.png"]
    (out / "metrics.json").write_text(json.dumps(listed))
    (tmp_path / "c.toml").write_text("[simulation]\ndt = 10.0\n")
    assert main(["simulate", "--quick", "--quiet", "--config", str(tmp_path / "c.toml"),
                 "--out", str(out)]) == 1
    assert not (out / "kept.png").exists()
    assert (out / "mine.png").exists() and (tmp_path / "c.toml").exists()
    assert (out / "folder.png").is_dir()


def test_metrics_json_is_strict_json():
    """Found by fuzzing: an unmeasurable number (max |entry|/SE of an exact kernel) was
    written as Infinity, and NaN likewise, which strict JSON parsers refuse."""
    import tempfile
    from pathlib import Path

    from srnnkit.cli._report import write_metrics

    with tempfile.TemporaryDirectory() as d:
        path = write_metrics(Path(d), [{"name": "s", "seconds": 1.0, "metrics": {
            "a": float("inf"), "b": np.float64("nan"), "c": np.array([1.0, np.inf]),
            "d": np.int64(3), "e": "text", "f": [1, None]}}])
        data = json.loads(path.read_text(), parse_constant=lambda c: pytest.fail(c))
    assert data["s"] == {"a": None, "b": None, "c": [1.0, None], "d": 3, "e": "text",
                         "f": [1, None], "seconds": 1.0}


@pytest.mark.parametrize("argv, match", [
    (["run", "--bogus"], "srnnkit: error: unrecognized arguments: --bogus"),
    (["run", "--seed", "1.5"], "srnnkit: error: run: argument --seed: invalid int value"),
    (["simulate", "--quick", "--out", ""], "srnnkit: error: --out must name a directory"),
    # found by a held-out check: it named the config key run.seed, not the option typed
    (["run", "--quick", "--seed", "-1"],
     "srnnkit: error: --seed must be an integer in [0, 4294967295]; got -1."),
])
def test_usage_errors_are_one_line(argv, match, capsys):
    """Found by fuzzing: argparse printed its usage lines before the error, and --out ''
    wrote into the working directory (removing a report there)."""
    try:
        code = main(argv)
    except SystemExit as stop:
        code = stop.code
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith(match) and len(err.strip().splitlines()) == 1, err


def test_config_values_that_would_fail_at_run_time_are_refused_up_front(tmp_path, capsys):
    """Found by fuzzing: n_paths = 1 passed validation and failed inside the run (an
    AttributeError 'this may be a bug'), likewise repeated amplitudes, n_jobs = 0 and seeds
    beyond 2**32; a UTF-8 byte-order mark was a TOML error; bias_scale = 0, which its own
    comment recommends, was refused."""
    for text, match in (("[simulation]\nn_paths = 1\n", "simulation.n_paths must be >= 2"),
                        ("[volterra]\namplitudes = [0.1, 0.1]\n", "two distinct numbers"),
                        ("[run]\nn_jobs = 0\n", "run.n_jobs must be a non-zero integer"),
                        ("[run]\nseed = 4294967296\n", "run.seed must be <= 4294967295")):
        cfg = tmp_path / "c.toml"
        cfg.write_text(text)
        assert main(["simulate", "--quick", "--config", str(cfg), "--out",
                     str(tmp_path / "o")]) == 2
        assert match in capsys.readouterr().err
    cfg.write_bytes(b"\xef\xbb\xbf[model]\nbias_scale = 0.0\nn_hidden = 4\n")
    assert main(["simulate", "--quick", "--quiet", "--config", str(cfg), "--out",
                 str(tmp_path / "o")]) == 0


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
def test_ctrl_c_ends_a_long_run_at_once(tmp_path):
    """Found by fuzzing: a run estimated at a week (gamma = 1e-6) ignored Ctrl-C inside a
    compiled loop (n_jobs=1) or outlived the message (worker threads). Now exit 130 within
    a second or two."""
    import signal
    import time

    cfg = tmp_path / "c.toml"
    cfg.write_text("[model]\ngamma = 1e-6\n[run]\nn_jobs = 1\n")
    proc = subprocess.Popen([sys.executable, "-m", "srnnkit", "simulate", "--quick",
                             "--config", str(cfg), "--out", str(tmp_path / "o")],
                            stderr=subprocess.PIPE, text=True)
    time.sleep(8)                                      # imports, then the compiled loop
    assert proc.poll() is None
    proc.send_signal(signal.SIGINT)
    try:
        code = proc.wait(timeout=10)
    finally:
        proc.kill()
    assert code == 130
    assert "interrupted" in proc.stderr.read()


def test_library_warnings_of_a_stage_are_problems_of_its_report(tmp_path):
    """Found by fuzzing: a RunsDisagreeWarning (fdt_steps = 100) reached stderr only, even
    with --quiet, and the report's Problems box did not show it."""
    cfg = tmp_path / "c.toml"
    cfg.write_text("[response]\nfdt_steps = 100\n")
    assert main(["response", "--quick", "--quiet", "--config", str(cfg), "--out",
                 str(tmp_path / "o")]) == 0
    metrics = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert any("RunsDisagreeWarning" in w for w in metrics["warnings"]), metrics["warnings"]


def test_the_model_networks_warnings_and_errors_are_the_clis(tmp_path, capsys):
    """Found by fuzzing: the [model] network was built outside the stages, so its
    DissipativityWarning reached stderr only (even with --quiet) and never the Problems box,
    and a network too large for memory was reported as an internal error (exit 1)."""
    cfg = tmp_path / "relu.toml"
    cfg.write_text('[model]\nactivation = "relu"\n')
    out = tmp_path / "o1"
    assert main(["simulate", "--quick", "--quiet", "--config", str(cfg), "--out", str(out)]) == 0
    assert "DissipativityWarning" not in capsys.readouterr().err
    warned = json.loads((out / "metrics.json").read_text())["warnings"]
    assert len(warned) == 1 and warned[0].startswith("simulate: DissipativityWarning: "
                                                     "activation 'relu' is unbounded")
    big = tmp_path / "big.toml"
    big.write_text("[model]\nn_hidden = 100000\n")
    assert main(["simulate", "--quick", "--quiet", "--config", str(big), "--out",
                 str(tmp_path / "o2")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(
        "srnnkit: error: the [model] network cannot be built: n_hidden=100000 is too large")


def test_constant_test_targets_and_classes_absent_from_the_test_file(tmp_path, capsys):
    """Found by fuzzing: constant regression test targets gave NumPy division warnings and
    "NRMSE inf >= 1"; a training class absent from the test labels dropped the series
    predicted as it from the confusion matrix (and from n_classes)."""
    rng = np.random.default_rng(2)
    series = [[rng.standard_normal(12).round(3).tolist()] for _ in range(16)]
    train = _ts(tmp_path / "rtrain.ts", [(s, i % 3 + 0.5) for i, s in enumerate(series[:10])],
                target=True)
    test = _ts(tmp_path / "rtest.ts", [(s, 2.0) for s in series[10:]], target=True)
    out = tmp_path / "o1"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert main(["fit", "--quick", "--quiet", "--train", train, "--test", test,
                     "--out", str(out)]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["fit"]["ResponseKernelRidge NRMSE"] is None and m["fit"]["test target SD"] == 0
    assert m["fit"]["ResponseKernelRidge RMSE"] > 0
    assert any("the test targets are constant" in w for w in m["warnings"])
    assert not any("NRMSE inf" in w for w in m["warnings"])
    rows = [(s, lab) for s, lab in zip(series, ["a", "b", "c"] * 6, strict=False)]
    train = _ts(tmp_path / "ctrain.ts", rows[:12], labels="true a b c")
    test = _ts(tmp_path / "ctest.ts", [r for r in rows[12:] if r[1] != "c"], labels="true a b")
    assert main(["fit", "--quick", "--quiet", "--train", train, "--test", test, "--out",
                 str(tmp_path / "o2")]) == 0
    m = json.loads((tmp_path / "o2" / "metrics.json").read_text())
    assert m["fit"]["n_classes"] == 3


def test_test_series_of_a_class_absent_from_training_are_counted_and_flagged(tmp_path):
    """Found by a held-out check: a test file with a class the training file lacks (some of
    its series) scored them as errors with no word in the report or metrics.json."""
    rng = np.random.default_rng(3)
    rows = [([(rng.standard_normal(12) + 2 * (lab == "b")).round(3).tolist()], lab)
            for lab in ["a", "b"] * 8]
    train = _ts(tmp_path / "train.ts", rows[:10])
    test = _ts(tmp_path / "test.ts", rows[10:] + [(rows[0][0], "c")] * 2,
               labels="true a b c")
    out = tmp_path / "o"
    assert main(["fit", "--quick", "--quiet", "--train", train, "--test", test,
                 "--out", str(out)]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["fit"]["test series of classes absent from training"] == 2
    assert m["fit"]["classes absent from training"] == ["c"]
    assert m["fit"]["LinearSRNNClassifier accuracy"] <= 6 / 8
    assert any(w.startswith("fit: 2 of 8 test series are of classes absent from the training "
                            "set ('c')") for w in m["warnings"]), m["warnings"]


def test_class_labels_with_a_dollar_sign_are_text_in_the_figure(tmp_path, monkeypatch):
    """Found by a held-out check: the class label '$\\frac$' went to Matplotlib's math mode
    in the confusion matrix's ticks and failed the fit stage (exit 1)."""
    import matplotlib.axes

    shown = []
    set_xticks = matplotlib.axes.Axes.set_xticks
    monkeypatch.setattr(matplotlib.axes.Axes, "set_xticks", lambda self, ticks, labels=None,
                        **kw: shown.append(labels) or set_xticks(self, ticks, labels, **kw))
    rng = np.random.default_rng(4)
    labs = ["$\\frac$", "$x$", "a$b"]
    rows = [([(rng.standard_normal(10) + 2 * labs.index(lab)).round(3).tolist()], lab)
            for lab in labs * 5]
    train = _ts(tmp_path / "train.ts", rows[:9], labels="true " + " ".join(labs))
    test = _ts(tmp_path / "test.ts", rows[9:], labels="true " + " ".join(labs))
    assert main(["fit", "--quick", "--quiet", "--train", train, "--test", test,
                 "--out", str(tmp_path / "o")]) == 0
    assert (tmp_path / "o" / "fit.png").is_file()
    assert sorted(shown[-1]) == sorted(["\\$\\frac\\$", "\\$x\\$", "a\\$b"])


def test_a_trained_network_at_chance_is_a_problem(tmp_path):
    """Found by fuzzing: one Adam update left the built-in task's network at chance (0.33
    for three classes) and the report listed six problems of its kernels, none of them
    that the network learned nothing."""
    pytest.importorskip("torch")
    cfg = tmp_path / "c.toml"
    cfg.write_text("[trained]\nmax_updates = 1\nn_hidden = 2\nbudget = 0.01\n")
    out = tmp_path / "o"
    assert main(["trained", "--quick", "--quiet", "--config", str(cfg), "--out", str(out)]) == 0
    warned = json.loads((out / "metrics.json").read_text())["warnings"]
    assert warned[0].startswith("trained: the trained network is no better than always "
                                "predicting the majority class")


def test_train_and_test_files_given_to_a_stage_that_does_not_use_them(tmp_path, capsys):
    """Found by fuzzing: `srnnkit simulate --train a.ts --test b.ts` ignored them, exit 0."""
    assert main(["simulate", "--quick", "--quiet", "--train", "a.ts", "--test", "b.ts",
                 "--out", str(tmp_path / "o")]) == 2
    assert "--train and --test are data for the fit stage" in capsys.readouterr().err


def test_workers_below_one_is_a_usage_error(tmp_path, capsys):
    """Found by fuzzing: `--workers 0` said "cannot reach the Dask cluster"."""
    assert main(["simulate", "--quick", "--quiet", "--workers", "0", "--out",
                 str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "--workers must be >= 1; got 0." in err and "Dask cluster" not in err


@pytest.mark.parametrize("kind", ["classification", "regression"])
def test_fit_stage_scores_what_the_estimator_scores_in_python(tmp_path, kind):
    """Found by a held-out check: with --train/--test the fit stage ran ResponseKernelClassifier
    and ResponseKernelRidge on a fixed grid of absolute penalties, not their defaults, so its
    accuracy (0.2 against Python's 0.05 on 20 classes) and NRMSE were not what
    ``ResponseKernelClassifier()`` / ``ResponseKernelRidge()`` give on the same files."""
    from srnnkit.datasets import load_ts
    from srnnkit.learning import ResponseKernelClassifier, ResponseKernelRidge

    rng = np.random.default_rng(0)     # data on which the fixed grid scored otherwise
    n_cls = 20 if kind == "classification" else 2

    def rows(n):
        out = []
        for i in range(n):
            k = i % n_cls
            x = np.sin(np.linspace(0, 6, 30) * (1 + 0.3 * k) + rng.uniform(0, 6)) \
                + 0.8 * rng.standard_normal(30)
            lab = f"c{k}" if kind == "classification" else round(float(x.mean()) * 10 + k, 4)
            out.append(([x.round(4).tolist()], lab))
        return out

    labels = "true " + " ".join(f"c{k}" for k in range(n_cls))
    target = kind == "regression"
    train = _ts(tmp_path / "train.ts", rows(20), labels=labels, target=target)
    test = _ts(tmp_path / "test.ts", rows(20), labels=labels, target=target)
    cfg = tmp_path / "c.toml"
    cfg.write_text('[learning]\nclassifier = "ResponseKernelClassifier"\n')
    out = tmp_path / "o"
    assert main(["fit", "--quick", "--quiet", "--config", str(cfg), "--train", train,
                 "--test", test, "--out", str(out)]) == 0
    m = json.loads((out / "metrics.json").read_text())["fit"]
    (Xtr, ytr), (Xte, yte) = load_ts(train), load_ts(test)
    if kind == "classification":
        clf = ResponseKernelClassifier().fit(Xtr, ytr)
        assert m["ResponseKernelClassifier accuracy"] == clf.score(Xte, yte)
    else:
        krr = ResponseKernelRidge().fit(Xtr, ytr)
        nrmse = np.sqrt(np.mean((krr.predict(Xte) - yte) ** 2)) / np.std(yte)
        assert m["ResponseKernelRidge NRMSE"] == pytest.approx(nrmse, rel=1e-12)
        assert m["alpha chosen"] == pytest.approx(krr.alpha_, rel=1e-12)


@pytest.mark.parametrize("argv", [["--train=", "--test="], ["--train=", "--test=x.ts"],
                                  ["--train=x.ts", "--test= "]])
def test_an_empty_train_or_test_path_is_a_usage_error(tmp_path, capsys, argv):
    """Found by a held-out check: ``--train "" --test ""`` (an unset shell variable) ran the
    synthetic task and exited 0 as if no data had been given."""
    out = tmp_path / "o"
    assert main(["fit", "--quick", "--quiet", *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert re.search(r"--(train|test) must name a \.ts file; got '\s*'", err), err
    assert not out.exists()


def test_a_data_path_with_control_characters_reruns_from_config_toml(tmp_path):
    """Found by a held-out check: a --train path with a newline (or DEL) was written into the
    run's config.toml unescaped, which is then no TOML: `--config` could not repeat the run."""
    import tomllib

    rng = np.random.default_rng(0)
    rows = [([(rng.standard_normal(10) + (lab == "b")).round(3).tolist()], lab)
            for lab in ["a", "b"] * 6]
    folder = tmp_path / "new\nline\x7f\ttab"
    folder.mkdir()
    train, test = _ts(folder / "train.ts", rows), _ts(folder / "test.ts", rows[:6])
    out = tmp_path / "o"
    assert main(["fit", "--quick", "--quiet", "--train", train, "--test", test,
                 "--out", str(out)]) == 0
    recorded = tomllib.loads((out / "config.toml").read_text(encoding="utf-8"))["learning"]
    assert recorded["train"] == train and recorded["test"] == test
    assert main(["fit", "--quick", "--quiet", "--config", str(out / "config.toml"),
                 "--out", str(tmp_path / "o2")]) == 0


@pytest.mark.skipif(sys.platform != "linux", reason="needs a file name that is not UTF-8")
def test_a_path_that_is_not_utf8(tmp_path, capsys):
    """Found by a held-out check: a --train path with a byte that is not UTF-8 stopped with an
    internal error (exit 1) writing config.toml, which could not record it (TOML is Unicode):
    now exit 2 up front; the reports write such a path as \\udcff (`srnnkit analyze` ran the
    whole analysis and then failed writing its report)."""
    import os

    from srnnkit.cli._report import atomic_write

    folder = tmp_path / os.fsdecode(b"bad\xff")
    folder.mkdir()
    rows = [([[0.0, 1.0, 0.5]], lab) for lab in ["a", "b"] * 3]
    train, test = _ts(folder / "train.ts", rows), _ts(folder / "test.ts", rows)
    assert main(["fit", "--quick", "--train", train, "--test", test,
                 "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "--train '" in err and "bad\\udcff" in err and "is not valid UTF-8" in err
    atomic_write(tmp_path / "r.html", f"<code>{train}</code>")
    assert "bad\\udcff" in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_the_done_line_survives_a_stdout_that_cannot_encode_the_path(tmp_path, monkeypatch):
    """Found by a held-out check: with an ASCII (or strict UTF-8) stdout, a run into
    ``--out ü猫`` (or a folder name with a byte that is not UTF-8) wrote its report, then
    printed its path and exited 1, "internal error (UnicodeEncodeError ...)"."""
    import io

    rows = [([[0.0, 1.0, 0.5, 0.2]], "a"), ([[1.0, 0.0, 0.3, 0.9]], "b")] * 3
    train, test = _ts(tmp_path / "train.ts", rows), _ts(tmp_path / "test.ts", rows)
    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, encoding="ascii",
                                                        errors="strict"))
    out = tmp_path / "ü猫"
    assert main(["fit", "--quick", "--train", train, "--test", test, "--out", str(out)]) == 0
    sys.stdout.flush()
    assert "\\xfc\\u732b" in raw.getvalue().decode("ascii")
    assert (out / "report.html").exists()


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")   # scikit-learn's, at 1e300
@pytest.mark.parametrize("size", [1e-300, 1e300])
def test_regression_targets_near_the_float_range_are_scored(tmp_path, size):
    """Found by a held-out check: targets of size 1e-300 had a spread that underflowed to 0
    ("the test targets are constant", RMSE 0.0) and of size 1e300 one that overflowed (every
    NRMSE undefined, flagged as "NRMSE nan >= 1"); both are scored in units of the largest
    target now, as the same targets times 1 are."""
    rng = np.random.default_rng(0)

    def rows(n):
        xs = [rng.standard_normal(12).round(3) for _ in range(n)]
        return [([x.tolist()], float(x[-4:].mean()) * size) for x in xs]

    train, test = (_ts(tmp_path / f"{n}.ts", rows(k), target=True)
                   for n, k in (("train", 30), ("test", 12)))
    out = tmp_path / "o"
    assert main(["fit", "--quick", "--quiet", "--train", train, "--test", test,
                 "--out", str(out)]) == 0
    got = json.loads((out / "metrics.json").read_text())
    m = got["fit"]
    from srnnkit.datasets import load_ts

    yte = load_ts(test)[1]
    assert m["test target SD"] == pytest.approx(np.std(yte / size) * size, rel=1e-9)
    assert 0 < m["ResponseKernelRidge NRMSE"] < 1 and 0 < m["SRNNReservoir+ridge NRMSE"] < 1
    assert not any("constant" in w or "nan" in w for w in got["warnings"]), got["warnings"]


def test_a_learner_without_finite_predictions_is_flagged_as_such():
    from srnnkit.cli._checks import fit_problems

    out = fit_problems({"linear ridge on the raw series NRMSE": float("nan"),
                        "ResponseKernelRidge NRMSE": 0.2})
    assert out == ["linear ridge on the raw series has no NRMSE: its test predictions are not "
                   "finite numbers (series or targets near the float range?)."]


def test_class_labels_the_font_lacks_print_no_warning(tmp_path):
    """Found by a held-out check: class labels in CJK script printed Matplotlib's 'Glyph ...
    missing from font' warnings on stderr for the confusion matrix, even with --quiet."""
    rng = np.random.default_rng(0)
    rows = [([(rng.standard_normal(8) + (lab == "日本")).round(3).tolist()], lab)
            for lab in ["日本", "größe"] * 6]
    train = _ts(tmp_path / "train.ts", rows[:8], labels="true 日本 größe")
    test = _ts(tmp_path / "test.ts", rows[8:], labels="true 日本 größe")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert main(["fit", "--quick", "--quiet", "--train", train, "--test", test, "--out",
                     str(tmp_path / "o")]) == 0
    assert not [w for w in seen if "Glyph" in str(w.message)], [str(w.message) for w in seen]


@pytest.mark.parametrize("target", [False, True], ids=["classification", "regression"])
def test_fit_shows_the_step_it_runs(tmp_path, monkeypatch, target):
    """`srnnkit fit` on a terminal showed nothing until the stage ended: a status line now
    names the step running, its number and the elapsed time, with no percentage (the steps
    take unequal times). --quiet keeps stderr silent."""
    import io
    import sys

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    rng = np.random.default_rng(0)
    labels = [0.5, 1.5] if target else ["a", "b"]
    rows = [([rng.standard_normal(12).round(3).tolist()], lab) for lab in labels * 6]
    train = _ts(tmp_path / "train.ts", rows, target=target)
    test = _ts(tmp_path / "test.ts", rows[:4], target=target)
    argv = ["fit", "--quick", "--train", train, "--test", test]
    for quiet in (False, True):
        err = Terminal()
        monkeypatch.setattr(sys, "stderr", err)
        assert main([*argv, *(["--quiet"] if quiet else []), "--out",
                     str(tmp_path / f"o{quiet}")]) == 0
        monkeypatch.undo()
        text = err.getvalue()
        if quiet:
            assert text == ""
            continue
        n = 7 if target else 4
        assert f"fit: step 1 of {n}, loading the learning code" in text
        fitting = ("fitting ResponseKernelRidge on 12 series" if target else
                   "fitting LinearSRNNClassifier on 12 series")
        assert f"fit: step 2 of {n}, {fitting} [00:" in text
        assert f"fit: step {n} of {n}, drawing the" in text
        status = [line for line in text.split("\r") if line.startswith("fit")]
        assert status and not any("%" in line for line in status)   # the library's own
        # counted bars (a Gram matrix's rows) may still show theirs
