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


def test_readme_shows_the_response_kernel_four_ways(monkeypatch):
    """"The linear response kernel four ways": the README computes all four, and the three
    estimates agree with each other within their standard errors."""
    import numpy as np

    monkeypatch.chdir(README.parent)
    text = README.read_text()
    block = next(b.split("```", 1)[0] for b in text.split("```python\n")[1:]
                 if "four ways" in b)
    block = block.split("\nv2 = ")[0]                 # the four kernels, not what follows
    setup = text.split("```python\n")[1].split("# a random 64-unit")[0]      # ou
    namespace: dict = {}
    exec(compile(setup + "\n" + block, str(README), "exec"), namespace)
    methods = {namespace[k].method for k in ("rf", "rp", "rd", "rg")}
    assert methods == {"analytic", "perturbation", "fdt", "girsanov"}
    ref = namespace["rp"]                       # exact for the EM chain of a linear SRNN
    for key in ("rd", "rg"):
        est = namespace[key]
        z = np.abs(est.values - ref.values) / np.hypot(est.stderr, ref.stderr)
        assert np.median(z[np.isfinite(z)]) < 2, key
