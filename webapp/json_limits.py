"""Limits on JSON request bodies, checked before any view parses them.

Python's JSON parser recurses once per nesting level (5,000 levels: RecursionError, a 500), turns
a 5,000-digit number into an int that no column or later str() takes, accepts NaN and Infinity,
and decodes "\\ud800" into text no database can store. A body past these limits is refused here
with a 400 (422 for a lone surrogate, which is well-formed JSON but no text), saying which.
"""

from __future__ import annotations

import json
import math
import re

from flask import jsonify, request

from .domain.forms import json_nesting

MAX_JSON_BYTES = 2 * 1024 * 1024
MAX_JSON_DEPTH = 32
MAX_INTEGER_DIGITS = 18  # within a 64-bit column

_HIGH = r"\\u[dD][89abAB][0-9a-fA-F]{2}"
_LOW = r"\\u[dD][c-fC-F][0-9a-fA-F]{2}"
_LONE_SURROGATE = re.compile(rf"{_HIGH}(?!{_LOW})|(?<!{_HIGH}){_LOW}")


class JsonRefused(ValueError):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def check(body: bytes) -> None:
    """Raise JsonRefused if this JSON text passes a limit."""
    if len(body) > MAX_JSON_BYTES:
        raise JsonRefused(
            413,
            f"JSON 内容过大（最多 {MAX_JSON_BYTES // 1024} KB） (JSON body larger than {MAX_JSON_BYTES // 1024} KB)",
        )
    text = body.decode("utf-8", errors="replace")
    if json_nesting(text) > MAX_JSON_DEPTH:
        raise JsonRefused(
            400, f"JSON 嵌套过深（最多 {MAX_JSON_DEPTH} 层） (JSON nested deeper than {MAX_JSON_DEPTH} levels)"
        )
    if _LONE_SURROGATE.search(text):
        raise JsonRefused(
            422, "文本含有无效字符（孤立的代理码位） (text contains a lone surrogate, which is no character)"
        )
    try:
        json.loads(text, parse_int=_integer, parse_float=_finite, parse_constant=_no_constant)
    except JsonRefused:
        raise
    except ValueError:
        pass  # malformed: the view's own parser says so, as before


def _integer(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise JsonRefused(
            400, f"数字位数过多（最多 {MAX_INTEGER_DIGITS} 位） (integer longer than {MAX_INTEGER_DIGITS} digits)"
        )
    return int(digits)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonRefused(400, "数字超出范围 (number out of range)")
    return value


def _no_constant(name: str):
    raise JsonRefused(400, f"JSON 不允许 {name} (NaN and Infinity are not JSON)")


def init_app(app) -> None:
    @app.before_request
    def _check_json_body():
        if request.method in ("GET", "HEAD", "OPTIONS") or not request.is_json:
            return None
        try:
            check(request.get_data(cache=True))
        except JsonRefused as refused:
            return jsonify(code=refused.status, status="Bad Request", message=str(refused)), refused.status
        return None
