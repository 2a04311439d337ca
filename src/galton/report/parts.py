"""Pieces every galton page shares: the style sheet, embedded figures, number formats,
tables from data frames, and writing the page whole or not at all."""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path
from typing import Any

from galton.atomic import atomic_write
from galton.errors import GaltonError

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #222;
       background: #f6f7f9; }
main { max-width: 1000px; margin: 0 auto; padding: 24px; }
h1 { font-size: 1.5rem; margin: 0 0 4px; } h2 { font-size: 1.15rem; margin-top: 32px; }
.sub { color: #555; margin: 0 0 18px; }
.verdict { border-radius: 10px; padding: 18px 22px; color: white; margin: 12px 0 8px; }
.verdict.yay { background: #1f7a3f; } .verdict.nay { background: #5a6270; }
.verdict .word { font-size: 2.2rem; font-weight: 800; letter-spacing: 0.05em; }
.verdict p { font-size: 1.05rem; margin: 6px 0 0; line-height: 1.45; }
table { border-collapse: collapse; background: white; font-size: 0.9rem; width: 100%; }
th, td { padding: 6px 10px; border-bottom: 1px solid #e3e5e8; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #eceef1; }
figure { background: white; margin: 14px 0; padding: 10px; border-radius: 8px; }
figure img { max-width: 100%; height: auto; display: block; margin: 0 auto; }
figcaption { color: #555; font-size: 0.9rem; margin-top: 6px; }
.notes li { color: #555; }
table.roles td { text-align: left; }
pre { background: white; padding: 12px; overflow-x: auto; font-size: 0.8rem; }
"""


def png_tag(name: str, png: bytes, caption: str, plots_dir: Path | None) -> str:
    """A figure embedded as base64 PNG (and written to ``plots_dir`` when given)."""
    if plots_dir is not None:
        (plots_dir / f"{name}.png").write_bytes(png)
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<figure id="fig-{name}"><img alt="{html.escape(caption)}" '
        f'src="data:image/png;base64,{data}"><figcaption>{html.escape(caption)}</figcaption>'
        "</figure>"
    )


def fmt(value: Any, digits: int = 4) -> str:
    """A number to ``digits`` significant digits (n/a when missing); text as it is."""
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, bool):
        return "n/a" if value is None else str(value)
    if isinstance(value, int):
        return str(value)
    value = float(value)
    return "n/a" if not math.isfinite(value) else f"{value:.{digits}g}"


def frame_table(frame: Any, table_id: str, index: str = "") -> str:
    """A data frame as an HTML table with its index as the first column, headed
    ``index``; every cell escaped."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in [index, *frame.columns])
    rows = [
        f"<tr><td>{html.escape(str(label))}</td>"
        + "".join(f"<td>{html.escape(fmt(v))}</td>" for v in values)
        + "</tr>"
        for label, values in zip(frame.index, frame.itertuples(index=False), strict=True)
    ]
    return f'<table id="{table_id}"><tr>{head}</tr>{"".join(rows)}</table>'


def check_destination(path: str | Path) -> None:
    """Refuse a report path whose directory does not exist (before any work is done)."""
    path = Path(path)
    if not path.parent.is_dir():
        raise GaltonError(f"{path}: directory {path.parent} does not exist")


def write_page(path: str | Path, title: str, body: str) -> str:
    """The whole HTML document around ``body``, written atomically to ``path``."""
    page = document(title, body)

    def write(tmp: str) -> None:
        Path(tmp).write_text(page, encoding="utf-8")

    atomic_write(Path(path), write)
    return page


def document(title: str, body: str) -> str:
    """The page as text, not written anywhere."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head><body>{body}</body></html>\n"
    )
