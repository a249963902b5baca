"""Whether a record is valid against its kind's JSON Schema: the jsonschema validator (which
finds and explains every problem) with this archive's formats and its strict integers."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from ..model import PartialDate
from .schemas import schema

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator, FormatChecker


def _is_whole_number(checker, instance: object) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


@cache
def format_checker() -> FormatChecker:
    from jsonschema import FormatChecker  # see validator

    checker = FormatChecker()
    checker.checks("partial-date")(is_partial_date)
    return checker


@cache
def validator(kind: str) -> Draft202012Validator:
    # Imported here: most loads find every record in the cache or passing the quick check,
    # and never need jsonschema (a tenth of a rebuild's start-up).
    from jsonschema import Draft202012Validator
    from jsonschema.validators import extend

    # JSON Schema counts 3.0 as an integer; a footnote or paragraph number written 3.0 is a
    # typo, and would reach the model as a float (and fail as a list index).
    checker = Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_whole_number)
    strict = extend(Draft202012Validator, type_checker=checker)
    return strict(schema(kind), format_checker=format_checker())


def is_partial_date(value: object) -> bool:
    """The `partial-date` format: `YYYY-MM-DD`, `YYYY-MM` or `YYYY`, a real one."""
    if not isinstance(value, str):
        return True  # formats judge strings only; the type is checked apart
    try:
        PartialDate.parse(value)
    except ValueError:
        return False
    return True
