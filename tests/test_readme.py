"""The README's Python examples run as written."""

from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run(monkeypatch):
    monkeypatch.chdir(README.parent)
    text = README.read_text()
    blocks = [b.split("```", 1)[0] for b in text.split("```python\n")[1:]]
    assert blocks, "the README should show a Python example"
    namespace: dict = {}
    exec(compile("\n".join(blocks), str(README), "exec"), namespace)
    assert namespace["K"].shape == (20, 20)
    assert namespace["krr"].predict(namespace["U"][15:]).shape == (5,)
    assert namespace["clf"].score(namespace["X_test"], namespace["labels_test"]) > 0.97
    assert namespace["rnn"].score(namespace["D_test"], namespace["d_test"]) > 0.96
    assert namespace["rnn"].srnn_.input_mode == "activation"
