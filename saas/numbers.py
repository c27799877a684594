"""Numbers typed by clients, bounded before they reach the database or a JSON response.

An id beyond the database's INTEGER makes the driver raise (SQLite: OverflowError; PostgreSQL:
out of range), an infinite or NaN float is stored as such (SQLite keeps no NaN: NOT NULL fails)
and then written back as `Infinity`/`NaN`, which is not JSON. So ids are read with `db_id`, which
werkzeug's `args.get(name, type=db_id)` turns into the default when it refuses (an id out of range
is simply not there), and numbers of forms pass `finite` before their NumberRange.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from wtforms.validators import StopValidation

MAX_ID = 2**31 - 1  # PostgreSQL INTEGER: every id column


def whole(low: int, high: int):
    """A converter for `args.get(name, type=...)`: a whole number from `low` to `high` in ASCII
    digits (not "²" or "٣", which str.isdigit accepts and int() does not), else ValueError."""
    def convert(text) -> int:
        text = str(text).strip()
        if not re.fullmatch(r"-?[0-9]{1,19}", text) or not low <= int(text) <= high:
            raise ValueError(f"not a whole number from {low} to {high}")
        return int(text)

    return convert


# An id from a query string or a form field: one the database could hold.
db_id = whole(1, MAX_ID)


def ids(values) -> set[int]:
    """The ids among `values` (ticked boxes); what could not be one is left out."""
    out = set()
    for value in values:
        try:
            out.add(db_id(value))
        except ValueError:
            pass
    return out


def is_finite(value) -> bool:
    """A real number that is neither infinite nor NaN (a signalling Decimal NaN included,
    which math.isnan cannot even look at)."""
    if isinstance(value, Decimal):
        return value.is_finite()
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def finite(form, field) -> None:
    """WTForms validator, before NumberRange: "inf", "nan", "sNaN" are not numbers here."""
    if field.data is not None and not is_finite(field.data):
        raise StopValidation(_("%(field)s: enter a number.", field=field.label.text))


def _finite_only(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite_only(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_only(v) for v in value]
    return value


class FiniteJSONProvider(DefaultJSONProvider):
    """JSON responses are JSON: Python writes a float that is not finite as `Infinity` or `NaN`,
    which no JSON parser accepts, so such a value (which the inputs no longer let in, but rows
    written before may hold) is answered as null. The common case pays one strict dump."""

    def dumps(self, obj, **kwargs) -> str:
        try:
            return super().dumps(obj, **{**kwargs, "allow_nan": False})
        except ValueError:
            return super().dumps(_finite_only(obj), **kwargs)


def score(value) -> str:
    """The one way a score or points are written, on pages and in documents: at most one decimal,
    none when whole (80, 72.5, 0.5), a dash when there is none."""
    if value is None:
        return "—"
    rounded = round(float(value), 1) or 0.0  # never "-0"
    return f"{rounded:.0f}" if rounded == int(rounded) else f"{rounded:.1f}"
