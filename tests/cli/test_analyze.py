"""``srnnkit analyze MODEL.npz``: the report of a saved network, and one-line errors for bad
input (exit 2) before any work."""

from __future__ import annotations

import json

import numpy as np
import pytest

import srnnkit as sk
from srnnkit.cli import main


def _write_ts(path, X, y):
    """A minimal multivariate UCR/UEA .ts file with labels."""
    head = ["@problemName test", "@timeStamps false", "@missing false", "@univariate false",
            f"@dimensions {X.shape[2]}", "@equalLength true", f"@seriesLength {X.shape[1]}",
            "@classLabel true " + " ".join(str(c) for c in sorted(set(y))), "@data"]
    rows = [":".join(",".join(f"{v:.6f}" for v in X[i, :, a]) for a in range(X.shape[2]))
            + f":{y[i]}" for i in range(len(X))]
    path.write_text("\n".join(head + rows) + "\n")


@pytest.fixture
def linear_npz(tmp_path):
    model = sk.SRNN(W=[[0.0, 0.5], [-0.3, 0.0]], C=[[1.0], [0.5]], sigma=0.5,
                    gamma=[1.0, 0.8], activation="identity")
    path = tmp_path / "model.npz"
    sk.save(model, path)
    return path


def test_srnn_report(tmp_path, linear_npz, capsys):
    out = tmp_path / "rep"
    rc = main(["analyze", str(linear_npz), "--dt", "0.1", "--budget", "0.001", "--out",
               str(out)])
    assert rc == 0, capsys.readouterr().err
    html = (out / "report.html").read_text()
    assert "srnnkit analysis" in html and "data:image/png;base64" in html
    metrics = json.loads((out / "metrics.json").read_text())
    kernels = metrics["kernels"]
    assert kernels["order 1: entries within 4 SE"] >= 0.99 and kernels["source"] == "SRNN"
    assert metrics["warnings"] == []                # a linear network: nothing to flag
    import tomllib

    settings = (out / "analysis.toml").read_text()
    assert settings.startswith("n_lags = ")
    assert tomllib.loads(settings)["amplitudes"][0] == 1.0    # valid TOML (tuples were repr)
    json.loads((out / "metrics.json").read_text(), parse_constant=lambda c: pytest.fail(c))
    assert sorted(p.name for p in out.glob("*.png"))


def test_srnn_saved_with_its_step_needs_no_dt(tmp_path, capsys):
    """An SRNN saved with its step (``dt``, as NoisyRNN.to_srnn sets it) is analysed at that
    step without --dt; --dt overrides it; a file without a step still needs --dt."""
    model = sk.SRNN(W=[[0.0, 0.5], [-0.3, 0.0]], C=[[1.0], [0.5]], sigma=0.5,
                    gamma=[1.0, 0.8], activation="identity", dt=0.2)
    sk.save(model, tmp_path / "m.npz")
    for extra, dt in (([], 0.2), (["--dt", "0.1"], 0.1)):
        out = tmp_path / f"rep{dt}"
        rc = main(["analyze", str(tmp_path / "m.npz"), *extra, "--budget", "0.001",
                   "--quiet", "--out", str(out)])
        assert rc == 0, capsys.readouterr().err
        assert json.loads((out / "metrics.json").read_text())["kernels"]["dt"] == dt


def test_classifier_report_with_data(tmp_path, capsys):
    pytest.importorskip("torch")
    from srnnkit.cli._trained import builtin_task
    from srnnkit.learning import NoisyRNNClassifier

    X, y = builtin_task(48, seed=1)
    clf = NoisyRNNClassifier(n_hidden=4, max_updates=20, random_state=0).fit(X[:40], y[:40])
    sk.save(clf, tmp_path / "clf.npz")
    _write_ts(tmp_path / "test.ts", X[40:], y[40:])
    out = tmp_path / "rep"
    rc = main(["analyze", str(tmp_path / "clf.npz"), "--data", str(tmp_path / "test.ts"),
               "--budget", "0.001", "--quiet", "--out", str(out)])
    assert rc == 0, capsys.readouterr().err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["kernels"]["source"] == "NoisyRNNClassifier"
    assert metrics["volterra"]["test inputs"] == "data"
    assert "clean accuracy" in metrics["robustness"]      # the labels were understood
    # found by fuzzing: the scores are on a seeded subset of the series, which said nothing
    assert 1 <= metrics["robustness"]["test series analysed"] <= 8
    # every number of NetworkAnalysis.metrics() is kept (the stationary-runs ratio was not)
    assert "stationary runs: ratio threshold" in metrics["kernels"]


@pytest.mark.parametrize("args, match", [
    (["missing.npz"], "no such file"),
    (["MODEL", "--budget", "0"], "--budget must be a finite number > 0"),
    (["MODEL", "--dt", "0.1", "--budget", "inf"], "--budget must be a finite number > 0"),
    (["MODEL", "--dt", "0.1", "--seed", "-1"], "--seed must be an integer >= 0"),
    (["MODEL"], "pass --dt"),
    (["MODEL", "--dt", "-1"], "--dt must be a finite number > 0"),
    (["MODEL", "--dt", "inf"], "--dt must be a finite number > 0"),     # ran, then exit 1
    (["MODEL", "--dt", "0.1", "--data", "missing.ts"], "cannot read the data"),
    (["MODEL", "--dt", "0.1", "--data", "TS3"], "3 channel"),
    (["NOTMODEL"], "cannot read the model"),
    # found by held-out checks: refused before any work, but exit 1 "the analysis failed"
    (["NOISELESS", "--dt", "0.1"], "cannot be analysed: model must be a network with noise"),
    (["GROWING", "--dt", "0.1"], "cannot be analysed: model must be a network whose Euler"),
    # found by held-out checks: a ReLU network whose far field grows ran until its burn-in
    # diverged, then exit 1 "the analysis failed"
    (["RELU", "--dt", "0.1"], "cannot be analysed: model must be a network whose Euler"),
])
def test_bad_input_exits_2(tmp_path, linear_npz, capsys, args, match):
    (tmp_path / "bad.npz").write_text("not a zip")
    sk.save(sk.SRNN(W=np.zeros((2, 2)), C=np.ones((2, 1)), sigma=0.0, gamma=1.0),
            tmp_path / "noiseless.npz")
    sk.save(sk.SRNN(W=np.zeros((2, 2)), C=np.ones((2, 1)), sigma=0.1, gamma=[-0.5, 1.0]),
            tmp_path / "growing.npz")
    sk.save(sk.SRNN(W=[[1.5]], C=[[1.0]], sigma=0.3, gamma=1.0, activation="relu",
                    input_mode="activation"), tmp_path / "relu.npz")
    rng = np.random.default_rng(0)
    _write_ts(tmp_path / "three.ts", rng.standard_normal((4, 6, 3)), np.array([0, 1, 0, 1]))
    subst = {"MODEL": str(linear_npz), "NOTMODEL": str(tmp_path / "bad.npz"),
             "TS3": str(tmp_path / "three.ts"), "NOISELESS": str(tmp_path / "noiseless.npz"),
             "GROWING": str(tmp_path / "growing.npz"), "RELU": str(tmp_path / "relu.npz")}
    argv = ["analyze", *[subst.get(a, str(tmp_path / a) if a.endswith((".npz", ".ts"))
                                   else a) for a in args], "--out", str(tmp_path / "o")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("srnnkit: error:") and match in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o" / "report.html").exists()


def test_usage_error_keeps_the_earlier_report(tmp_path, linear_npz, capsys):
    """Found by fuzzing: --budget inf and --seed -1 passed the CLI's checks, wiped the earlier
    report in --out, then failed in the analysis with exit 1."""
    out = tmp_path / "o"
    out.mkdir()
    (out / "report.html").write_text("earlier")
    for bad in (["--budget", "inf"], ["--budget", "nan"], ["--seed", "-3"]):
        assert main(["analyze", str(linear_npz), "--dt", "0.1", *bad, "--out", str(out)]) == 2
        assert "srnnkit: error: --" in capsys.readouterr().err
    assert (out / "report.html").read_text() == "earlier"


def test_unwritable_output(tmp_path, linear_npz, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["analyze", str(linear_npz), "--dt", "0.1", "--out",
                 str(blocker / "sub")]) == 2
    assert "cannot write to output directory" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["report.html", "metrics.json", "analysis.toml"])
def test_a_folder_named_like_an_output_file_exits_2(tmp_path, linear_npz, capsys, name):
    """Found by a held-out check: a folder named report.html in --out gave "internal error
    (IsADirectoryError)", exit 1, before any work."""
    (tmp_path / "o" / name).mkdir(parents=True)
    assert main(["analyze", str(linear_npz), "--dt", "0.1", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"{name}' is a directory, where the run writes a file" in err, err


def test_trained_stage_without_torch_says_how_to_enable_it(tmp_path, monkeypatch):
    from srnnkit.cli import _trained

    monkeypatch.setattr(_trained, "torch_available", lambda: False)
    out = tmp_path / "o"
    assert main(["trained", "--quick", "--quiet", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["trained"]["enabled"].startswith("no")
    assert "pip install &quot;srnnkit[torch]&quot;" in (out / "report.html").read_text()
    assert metrics["warnings"] == []


@pytest.mark.slow
def test_trained_stage_of_run(tmp_path):
    """`srnnkit trained --quick`: a network trained on the built-in task, read by its kernels
    (the section `srnnkit run` adds with the torch extra)."""
    pytest.importorskip("torch")
    out = tmp_path / "o"
    assert main(["trained", "--quick", "--quiet", "--out", str(out)]) == 0
    m = json.loads((out / "metrics.json").read_text())["trained"]
    assert m["test accuracy"] > 0.9
    # this network holds several stable states (the report says so); the analysis spreads
    # Girsanov's steps over more, shorter runs for that reason (`spread_chains`: with its 20
    # long runs 97.1 % of the order-1 entries were within 4 SE, mean z^2 2.75)
    assert (m["stationary runs: between/within ratio (max over outputs)"]
            > m["stationary runs: ratio threshold"])
    assert m["order 1: entries within 4 SE"] >= 0.99
    assert m["order 2: entries within 4 SE"] >= 0.99
    for amp in ("0.5", "0.25", "0.125"):      # where the series converges on every network
        assert (m[f"Volterra order-2 error at {amp} x data (median)"]   # (docs/trained.md)
                < m[f"Volterra order-1 error at {amp} x data (median)"])
    assert len(list(out.glob("trained_*.png"))) == 6


def test_missing_values_in_the_data(tmp_path, linear_npz, capsys):
    """The reader's hint names the CLI's option, which fills the gap linearly."""
    rng = np.random.default_rng(0)
    _write_ts(tmp_path / "d.ts", rng.standard_normal((4, 6, 1)), np.array([0, 1, 0, 1]))
    path = tmp_path / "d.ts"
    lines = path.read_text().splitlines()
    lines[-1] = "?," + lines[-1].split(",", 1)[1]
    path.write_text("\n".join(lines) + "\n")
    argv = ["analyze", str(linear_npz), "--dt", "0.1", "--budget", "0.001", "--quiet",
            "--data", str(path)]
    assert main([*argv, "--out", str(tmp_path / "o1")]) == 2
    err = capsys.readouterr().err
    assert "missing value ('?') at position 0; pass --missing interpolate" in err, err
    assert err.count("d.ts") == 1, err       # named once: the reader names it too
    assert main([*argv, "--missing", "interpolate", "--out", str(tmp_path / "o2")]) == 0


def test_a_regressor_with_class_labels_measures_no_error(tmp_path, capsys):
    """Found by fuzzing: class labels '0', '1', '2' were read as regression targets and
    an RMSE against the class indices was reported."""
    pytest.importorskip("torch")
    from srnnkit.cli._trained import builtin_task
    from srnnkit.learning import NoisyRNNRegressor

    X, y = builtin_task(24, seed=1)
    reg = NoisyRNNRegressor(n_hidden=4, max_updates=5, random_state=0).fit(X[:16], y[:16] * 1.0)
    sk.save(reg, tmp_path / "reg.npz")
    _write_ts(tmp_path / "test.ts", X[16:], y[16:])              # @classLabel
    out = tmp_path / "rep"
    assert main(["analyze", str(tmp_path / "reg.npz"), "--data", str(tmp_path / "test.ts"),
                 "--budget", "0.001", "--quiet", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert not any("rmse" in k for k in metrics["robustness"]), metrics["robustness"]
    assert "holds class labels, not regression targets" in (out / "report.html").read_text()


def test_a_multi_output_regressor_with_one_target_per_series_measures_no_error(tmp_path):
    """Found by fuzzing: a 2-output regressor given a .ts file of regression targets (one
    per series, all the format holds) exited 1 mid-analysis ("targets must be regression
    targets of shape (n, 2)"); now the analysis runs and says why no error is measured."""
    pytest.importorskip("torch")
    from srnnkit.cli._trained import builtin_task
    from srnnkit.learning import NoisyRNNRegressor

    X, _ = builtin_task(24, seed=1)
    Y = np.stack([X[:, :, 0].mean(axis=1), X[:, :, 1].std(axis=1)], axis=1)
    reg = NoisyRNNRegressor(n_hidden=4, max_updates=5, random_state=0).fit(X[:16], Y[:16])
    sk.save(reg, tmp_path / "reg.npz")
    _write_ts(tmp_path / "test.ts", X[16:], np.round(Y[16:, 0], 4))
    text = (tmp_path / "test.ts").read_text().splitlines()
    text = ["@targetLabel true" if t.startswith("@classLabel") else t for t in text]
    (tmp_path / "test.ts").write_text("\n".join(text) + "\n")
    out = tmp_path / "rep"
    assert main(["analyze", str(tmp_path / "reg.npz"), "--data", str(tmp_path / "test.ts"),
                 "--budget", "0.001", "--quiet", "--out", str(out)]) == 0
    assert "the regressor has 2 outputs, so no error is measured" in (
        out / "report.html").read_text()


def test_labels_that_are_not_the_classifiers_classes_are_named(tmp_path):
    """Found by a held-out check: a --data file with one class of three unknown to the
    classifier (3 of 9 series) said only "its labels are not the classifier's classes"."""
    from srnnkit.cli._analyze import _load_data
    from srnnkit.learning import NoisyRNNClassifier

    model = NoisyRNNClassifier(n_hidden=4)
    model.classes_, model.n_features_in_ = np.array(["a", "b"]), 2   # as fit sets them
    X = np.random.default_rng(0).standard_normal((6, 5, 2))
    path = tmp_path / "d.ts"
    _write_ts(path, X, ["a", "b", "c", "a", "b", "c"])
    Xk, y, note, unseen = _load_data(str(path), model)
    # the known labels are scored (one unknown label used to drop the whole file's accuracy)
    assert y.tolist() == ["a", "b", "a", "b"] and np.allclose(Xk, X[[0, 1, 3, 4]], atol=1e-6)
    assert note == (" (2 of its 6 labels, 'c', are not the classifier's classes: those "
                    "series are left out, and the accuracy is measured on the other 4)")
    assert unseen == {"test series of classes absent from training": 2,
                      "classes absent from training": ["c"]}
    _write_ts(path, X, ["c", "d", "c", "d", "c", "d"])
    Xk, y, note, unseen = _load_data(str(path), model)
    assert y is None and Xk.shape == X.shape and unseen == {}
    assert note == (" (6 of its 6 labels, 'c', 'd', are not the classifier's classes, so no "
                    "accuracy is measured)")
    _write_ts(path, X, ["a", "b"] * 3)
    _, y, note, unseen = _load_data(str(path), model)
    assert y.tolist() == ["a", "b"] * 3 and note == "" and unseen == {}


def test_one_unknown_label_is_flagged_and_the_others_scored(tmp_path, capsys):
    """Held-out check: one test label unknown to the classifier dropped the accuracy for
    the whole file; now the known series are scored and the unknown ones flagged."""
    pytest.importorskip("torch")
    from srnnkit.cli._trained import builtin_task
    from srnnkit.learning import NoisyRNNClassifier

    X, y = builtin_task(48, seed=1)
    clf = NoisyRNNClassifier(n_hidden=4, max_updates=20, random_state=0).fit(X[:40], y[:40])
    sk.save(clf, tmp_path / "clf.npz")
    labels = [str(v) for v in y[40:]]
    labels[0] = "unheard-of"
    _write_ts(tmp_path / "test.ts", X[40:], labels)
    out = tmp_path / "rep"
    rc = main(["analyze", str(tmp_path / "clf.npz"), "--data", str(tmp_path / "test.ts"),
               "--budget", "0.001", "--quiet", "--out", str(out)])
    assert rc == 0, capsys.readouterr().err
    metrics = json.loads((out / "metrics.json").read_text())
    rob = metrics["robustness"]
    assert "clean accuracy" in rob                      # scored on the 7 known series
    assert rob["test series of classes absent from training"] == 1
    assert rob["classes absent from training"] == ["unheard-of"]
    assert any("absent from the classifier's training ('unheard-of')" in w
               for w in metrics["warnings"])
    assert "accuracy is measured on the other 7" in (out / "report.html").read_text()


def test_labels_given_with_a_bare_srnn_are_said_to_be_unused(tmp_path, linear_npz):
    """Found by held-out checks: a converted network saved as an SRNN, given a labelled
    .ts file, got no accuracy (an SRNN has no classes) and the report did not say why."""
    rng = np.random.default_rng(0)
    _write_ts(tmp_path / "d.ts", rng.standard_normal((4, 6, 1)), np.array([0, 1, 0, 1]))
    out = tmp_path / "rep"
    assert main(["analyze", str(linear_npz), "--dt", "0.1", "--budget", "0.001", "--quiet",
                 "--data", str(tmp_path / "d.ts"), "--out", str(out)]) == 0
    html = (out / "report.html").read_text()
    assert "its labels are not used: a bare SRNN has no classes" in html
    metrics = json.loads((out / "metrics.json").read_text())
    assert not any("accuracy" in k for k in metrics["robustness"]), metrics["robustness"]
