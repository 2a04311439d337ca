"""What each column of a table is, and what galton does with it.

``column_kind`` looks at one column (a bounded sample for the text tests) and says its kind:
numeric, boolean, categorical (with its levels), date, percent or currency text (parsed to
numbers), ID-like or constant. The preprocessor follows it; ``describe`` shows it to the
user before any fit (``galton describe``, the first lines of ``fit --verbose`` and the
report). Nothing here evaluates what it reads: the tests are regular expressions and
``pandas`` parsers with fixed formats.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Text values tested to recognise dates, percents and currency (the first ones present).
SAMPLE = 200
#: Share of the present values that must parse for a text column to be numbers or dates.
PARSED_SHARE = 0.9
#: A column with more than this share of its rows missing is "mostly missing".
MOSTLY_MISSING = 0.5
#: Names that say "identifier": id, key, index, row, uuid, or ending in _id / Id / ID.
ID_NAME = re.compile(
    r"^(?:id|ids|idx|index|key|row|rowid|uuid|guid)$|[_\s.-](?:id|key|uuid|no)$", re.IGNORECASE
)
#: CamelCase ids (``CustomerID``, ``orderId``): case matters, or ``paid`` would be one.
_ID_SUFFIX_CASED = re.compile(r"[a-z](?:Id|ID)$")
_PERCENT = re.compile(r"^[-+]?\d+(?:[.,]\d+)?\s?%$")
_MONEY = r"[$€£¥]"
_AMOUNT = r"[-+]?\d{1,3}(?:,\d{3})*(?:\.\d+)?|[-+]?\d+(?:\.\d+)?"
_CURRENCY = re.compile(rf"^[-+]?{_MONEY}\s?(?:{_AMOUNT})$|^(?:{_AMOUNT})\s?{_MONEY}$")
#: Date layouts recognised, each with the ``strftime`` formats tried in order (month
#: first, then day first, for slashes: the first that parses every value wins).
DATE_FORMATS = {
    re.compile(r"^\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"): ("ISO8601",),
    re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$"): ("%m/%d/%Y", "%d/%m/%Y"),
    re.compile(r"^\d{1,2}/\d{1,2}/\d{2}$"): ("%m/%d/%y", "%d/%m/%y"),
    re.compile(r"^\d{1,2}\.\d{1,2}\.\d{4}$"): ("%d.%m.%Y",),
    re.compile(r"^\d{4}/\d{1,2}/\d{1,2}$"): ("%Y/%m/%d",),
}
#: Date parts a date column can give, beside the day count; only those that vary are kept.
DATE_PARTS = ("year", "month", "weekday")
EPOCH = pd.Timestamp("1970-01-01")


@dataclass(frozen=True)
class Kind:
    """One column's inferred kind.

    Attributes
    ----------
    kind : str
        ``numeric``, ``bool``, ``categorical``, ``date``, ``percent``, ``currency``, ``id``
        or ``constant``.
    levels : int
        Distinct values present.
    date_format : str
        For dates: the format that parses every value (``ISO8601`` or a ``strftime`` one).
    why : str
        For ID-like columns: what made them so.
    """

    kind: str
    levels: int
    date_format: str = ""
    why: str = ""


def _sample(present: pd.Series) -> pd.Series:
    return present.iloc[:SAMPLE].astype(str).str.strip()


def _share(sample: pd.Series, pattern: re.Pattern[str]) -> float:
    return float(sample.str.match(pattern).mean()) if len(sample) else 0.0


def date_format(present: pd.Series) -> str:
    """The format that parses (nearly) every value of text column ``present``, or ''."""
    sample = _sample(present)
    for pattern, formats in DATE_FORMATS.items():
        if _share(sample, pattern) < PARSED_SHARE:
            continue
        for fmt in formats:
            parsed = pd.to_datetime(present.astype(str).str.strip(), format=fmt, errors="coerce")
            if parsed.notna().mean() >= PARSED_SHARE:
                return fmt
    return ""


def text_unit(present: pd.Series) -> str:
    """``percent`` or ``currency`` when (nearly) every value of ``present`` is one, or ''."""
    sample = _sample(present)
    if _share(sample, _PERCENT) >= PARSED_SHARE:
        return "percent"
    if _share(sample, _CURRENCY) >= PARSED_SHARE:
        return "currency"
    return ""


def parse_unit(values: pd.Series, unit: str) -> pd.Series:
    """Percent text as percent points (``"12.5%"`` → 12.5) or currency text as amounts
    (``"$1,234.50"`` → 1234.5); NaN where a value is not one."""
    text = values.astype("string").str.strip().str.replace(r"[%$€£¥\s]", "", regex=True)
    # a percent has no thousands separators, so its comma is a decimal comma
    text = text.str.replace(",", "." if unit == "percent" else "", regex=False)
    return pd.to_numeric(text, errors="coerce").astype(float)


def parse_dates(values: pd.Series, fmt: str) -> pd.Series:
    """Text (or datetimes) as datetimes by ``fmt``; NaT where a value is not a date."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.tz_localize(None) if values.dt.tz is not None else values
    return pd.to_datetime(values.astype("string").str.strip(), format=fmt, errors="coerce")


def date_parts(dates: pd.Series, parts: list[str]) -> np.ndarray:
    """Days since 1970-01-01 then each of ``parts`` (year, month, weekday): (n, 1 + len)."""
    days = (dates - EPOCH) / pd.Timedelta(days=1)
    columns = [days.to_numpy(dtype=float, na_value=np.nan)]
    for part in parts:
        value = dates.dt.day_of_week if part == "weekday" else getattr(dates.dt, part)
        columns.append(value.to_numpy(dtype=float, na_value=np.nan))
    return np.column_stack(columns)


def varying_parts(dates: pd.Series) -> list[str]:
    """The date parts that take more than one value in ``dates``."""
    present = dates.dropna()
    found = date_parts(present, list(DATE_PARTS))[:, 1:]
    return [p for j, p in enumerate(DATE_PARTS) if len(np.unique(found[:, j])) > 1]


def id_like(values: pd.Series, name: str, present: pd.Series, text: bool) -> str:
    """Why ``values`` is an identifier rather than a predictor, or '' when it is not:
    text with a distinct value in (nearly) every row, or unique monotone integers named
    like an id."""
    distinct = present.nunique()
    if text:
        if len(present) >= 10 and distinct >= 0.95 * len(present):
            return f"text with {distinct} distinct values in {len(present)} rows"
        return ""
    if not _looks_like_id_name(name) or distinct != len(present) or len(present) < 3:
        return ""
    numbers = present.to_numpy(dtype=float)
    integral = bool(np.all(numbers == np.round(numbers)))
    steps = np.diff(numbers)
    if integral and (np.all(steps > 0) or np.all(steps < 0)):
        return "unique monotone integers named like an id"
    return ""


def _looks_like_id_name(name: str) -> bool:
    return bool(ID_NAME.search(name.strip())) or bool(_ID_SUFFIX_CASED.search(name.strip()))


def names_like_ids(names: list[str]) -> bool:
    """Whether any of ``names`` reads like an identifier (a cheap test before a full one)."""
    return any(_looks_like_id_name(n) for n in names)


def column_kind(values: pd.Series, name: str) -> Kind:
    """The kind of column ``values`` (length n, at least one value present)."""
    present = values.dropna()
    if pd.api.types.is_bool_dtype(values):
        return Kind("bool", int(present.nunique()))
    if pd.api.types.is_datetime64_any_dtype(values):
        return Kind("date", int(present.nunique()), "ISO8601")
    numeric = pd.api.types.is_numeric_dtype(values)
    if not numeric:
        coerced = pd.to_numeric(present, errors="coerce")
        numeric = bool(coerced.notna().mean() >= PARSED_SHARE)
        present = coerced.dropna() if numeric else present
    levels = int(present.nunique())
    if not numeric:
        fmt = date_format(present)
        if fmt:
            return Kind("date", levels, fmt)
        unit = text_unit(present)
        if unit:
            return Kind(unit, levels)
    why = id_like(values, name, present, text=not numeric)
    if why:
        return Kind("id", levels, why=why)
    if levels == 1:
        return Kind("constant", levels)
    if numeric:
        return Kind("numeric", levels)
    return Kind("bool" if levels == 2 else "categorical", levels)


def level_limit(max_levels: int | None, n_rows: int) -> int:
    """The most levels a text column may have: ``max_levels``, or by default a tenth of
    the rows, between 10 and 50 (more levels than that saturate a linear model)."""
    if max_levels is not None:
        return max_levels
    return int(min(50, max(10, n_rows // 10)))


def too_many_levels(name: str, levels: int, limit: int, source: str) -> str:
    """The one-line refusal of a categorical column with more levels than ``limit``."""
    return (
        f"{source}: column '{name}' has {levels} distinct text values, more than the "
        f"{limit} allowed (--max-levels, max_levels=): one-hot it would give {levels - 1} "
        "columns. Leave it out (--features), group its rare levels as '(other)' "
        "(--group-rare, group_rare=True), or raise --max-levels"
    )
