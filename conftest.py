"""Root pytest configuration: what ``--doctest-modules`` must not import.

``python -m pytest`` collects ``tests/`` and the doctests of ``src/srnnkit`` (pyproject's
``testpaths``).  ``srnnkit/__main__.py`` runs the command line on import, and the CUDA modules
import ``numba.cuda``: neither is collected (the CUDA code has its own tests in tests/cuda).
"""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

collect_ignore = ["src/srnnkit/__main__.py"]
collect_ignore_glob = ["src/srnnkit/*/_cuda*.py", "src/srnnkit/*/cuda/*"]
