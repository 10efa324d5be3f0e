"""``python -m srnnkit``: the command line."""

from srnnkit.cli import main

raise SystemExit(main())
