"""Building blocks of the validated value types: a check turned into an annotated type.

A check takes the raw value and returns the value to keep, or raises `ValueError` with a
message that says what is wrong and how to fix it. Messages never name where the value came
from: pydantic names the field, and the stack configuration prefixes its key path.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema


def checked(check: Callable[[Any], Any], base: type = str, schema: dict | None = None) -> Any:
    """A `base` type whose raw input goes through `check` before pydantic parses it."""
    return Annotated[base, BeforeValidator(check), WithJsonSchema(schema or {"type": "string"})]


def checked_after(check: Callable[[Any], Any], base: type = int) -> Any:
    """A `base` type that pydantic parses first, then `check` accepts or rejects."""
    return Annotated[base, AfterValidator(check)]


def _regular_expression(value: Any) -> str:
    try:
        re.compile(value)
    except (re.error, TypeError) as exc:
        raise ValueError(f"{value!r} is not a valid regular expression ({exc})") from None
    return value


RegularExpression = Annotated[str, AfterValidator(_regular_expression)]
"""A regular expression that compiles. Checked with Python's `re`; a tool that reads it may be
stricter (SOPS uses Go's RE2, which has no lookaround)."""


def matching(pattern: re.Pattern[str], problem: str) -> Any:
    """A string that must match `pattern`; anything else is rejected as `<value> <problem>`,
    so `problem` says what is wrong and how to fix it."""

    def check(value: Any) -> str:
        if not isinstance(value, str) or not pattern.match(value):
            raise ValueError(f"{value!r} {problem}")
        return value

    return checked(check)
