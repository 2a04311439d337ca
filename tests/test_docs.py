"""The documentation's shape (issue 20): the README is a front page whose links resolve,
every page the site lists exists, and no guide or gallery page pastes output by hand (its
commands run when the site is built: ``make docs``, which ``make test`` runs)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXECUTED = ("guide", "gallery")


def _fences(text: str) -> list[tuple[str, list[str]]]:
    """Each fenced block's opening line and body lines."""
    blocks, opening, body = [], None, []
    for line in text.split("\n"):
        if line.startswith("```"):
            if opening is None:
                opening, body = line, []
            else:
                blocks.append((opening, body))
                opening = None
        elif opening is not None:
            body.append(line)
    return blocks


def test_the_readme_is_a_front_page_whose_links_resolve() -> None:
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) < 120
    links = re.findall(r"\]\(([^)]+)\)", text)
    local = [link for link in links if "://" not in link]
    assert len(local) >= 10
    missing = [link for link in local if not (ROOT / link.split("#")[0]).exists()]
    assert not missing, missing


def test_every_page_in_the_site_exists() -> None:
    config = (ROOT / "mkdocs.yml").read_text()
    pages = re.findall(r":\s+(\S+\.(?:md|ipynb))\s*$", config, flags=re.M)
    assert len(pages) >= 20
    assert not [p for p in pages if not (DOCS / p).exists()]


@pytest.mark.parametrize(
    "page", sorted(p.relative_to(DOCS) for d in EXECUTED for p in (DOCS / d).glob("*.md"))
)
def test_commands_on_guide_pages_run_at_build_time(page: Path) -> None:
    for opening, body in _fences((DOCS / page).read_text()):
        shows_a_run = any(line.startswith(("$ ", ">>> ")) for line in body)
        assert not shows_a_run or 'exec="1"' in opening, f"{page}: {opening} {body[:1]}"
        if 'exec="1"' in opening and opening.startswith("```console"):
            assert all(line.startswith("$ ") for line in body if line.strip()), body


def test_the_gallery_notebook_has_no_stored_output() -> None:
    import json

    notebook = json.loads((DOCS / "gallery" / "concrete.ipynb").read_text())
    cells = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert cells and all(not c.get("outputs") for c in cells)  # the build runs it
