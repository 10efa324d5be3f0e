import json
import os

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
