"""``python -m srnnkit``: the command line."""

from srnnkit.cli import console_main

console_main()
