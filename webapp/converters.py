"""URL converters for every route: ids in URLs stay within what the database can hold."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

DB_INT_MAX = 2**31 - 1  # PostgreSQL INTEGER; SQLite overflows past 2**63 with an error, not a miss


class DatabaseInt(IntegerConverter):
    """`<int:…>` that answers 404 for numbers no row can have, instead of a database error (500)."""

    def __init__(self, map, fixed_digits=0, min=None, max=DB_INT_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app) -> None:
    app.url_map.converters["int"] = DatabaseInt  # before any blueprint adds its routes
