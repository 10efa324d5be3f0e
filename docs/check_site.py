"""Check a built documentation site for resources fetched from the network.

Usage::

    python docs/check_site.py docs/_build/html

Every page must load its scripts, stylesheets, images and fonts from the site itself (links
to other sites are fine), and the pages with math must load MathJax from ``_static`` (the
``sphinx-mathjax-offline`` package copies it there), so the site renders offline. Exit code
0 when the site passes, 1 with one line per problem otherwise. ``.ci/run`` runs it after the
Sphinx build; ``tests/test_docs.py`` tests the checker.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

#: attributes that make the browser fetch something (``<a href>`` only links)
_FETCH = re.compile(
    r"<(script|img|iframe|source|audio|video)\b[^>]*?\bsrc\s*=\s*[\"']([^\"']+)[\"']"
    r"|<link\b[^>]*?\bhref\s*=\s*[\"']([^\"']+)[\"']", re.I | re.S)
_REMOTE = re.compile(r"^(https?:)?//", re.I)
_CSS_URL = re.compile(r"url\(\s*[\"']?((?:https?:)?//[^)\"']+)", re.I)
_MATH = re.compile(r'class="[^"]*\bmath\b')


def page_problems(html: str, page: Path, root: Path) -> list[str]:
    """Remote resources of one page, and a missing or remote MathJax on a page with math."""
    problems = []
    mathjax = []
    for m in _FETCH.finditer(html):
        url = m.group(2) or m.group(3)
        if m.group(3) is not None and not re.search(r"\brel\s*=\s*[\"'](stylesheet|preload|"
                                                    r"modulepreload|icon)", m.group(0), re.I):
            continue                          # <link rel="next"> etc. only name a page
        if _REMOTE.match(url):
            problems.append(f"{page.relative_to(root)}: fetches {url} from the network")
        elif "mathjax" in url.lower():
            mathjax.append(url)
    if _MATH.search(html):
        if not mathjax:
            problems.append(f"{page.relative_to(root)}: has math but loads no local MathJax")
        for url in mathjax:
            local = (page.parent / url.split("?")[0]).resolve()
            if not local.is_file():
                problems.append(f"{page.relative_to(root)}: MathJax {url} is missing")
    return problems


def site_problems(root: Path) -> list[str]:
    """Problems of every HTML page and stylesheet under ``root``."""
    root = Path(root)
    pages = sorted(root.rglob("*.html"))
    if not pages:
        return [f"{root}: no HTML pages (build the site first)"]
    problems = []
    for page in pages:
        problems += page_problems(page.read_text(encoding="utf-8", errors="replace"), page,
                                  root)
    for css in sorted(root.rglob("*.css")):
        for url in _CSS_URL.findall(css.read_text(encoding="utf-8", errors="replace")):
            problems.append(f"{css.relative_to(root)}: fetches {url} from the network")
    return problems


def main(argv: list[str]) -> int:
    root = Path(argv[0] if argv else "docs/_build/html")
    problems = site_problems(root)
    for line in problems:
        print(line)
    if not problems:
        print(f"{root}: every page loads its resources (MathJax included) from the site")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
