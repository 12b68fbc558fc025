"""Reading the JSON input of the `koperasi calc` commands: bounded before it is read, numbers
straight into Decimal, no NaN/Infinity, no duplicate keys, no nesting deeper than the stack;
every refusal a CommandError with exit code 2 and a clear message."""

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn, TextIO

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.translation import gettext as _


def load_json(path: str, stdin: TextIO | None, example: str) -> dict[str, Any]:
    """The JSON object in `path` ("-": standard input); `example` shows its shape."""
    limit = settings.CALC_MAX_INPUT_BYTES
    too_large = _("--input: the file is too large (at most %(mb)s MB).") % {
        "mb": f"{limit / (1024 * 1024):g}"
    }
    try:
        if path == "-":
            text = (stdin or sys.stdin).read(limit + 1)
            if len(text.encode("utf-8", "surrogatepass")) > limit:
                _fail(too_large)
        else:
            file = Path(path)
            if file.is_file() and file.stat().st_size > limit:  # before reading it
                _fail(too_large)
            text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        _fail(_("--input: the file %(path)s does not exist.") % {"path": path})
    except OSError as exc:
        reason = exc.strerror or str(exc)
        _fail(_("--input: cannot read %(path)s: %(reason)s.") % {"path": path, "reason": reason})
    except UnicodeDecodeError:
        _fail(_("--input: %(path)s is not UTF-8 text.") % {"path": path})
    try:
        data = json.loads(
            text,
            parse_float=Decimal,
            parse_constant=_refuse_constant,
            object_pairs_hook=_no_duplicate_keys,
        )
    except json.JSONDecodeError as exc:
        _fail(
            _("--input: not valid JSON (%(reason)s at line %(line)d, column %(column)d).")
            % {"reason": exc.msg, "line": exc.lineno, "column": exc.colno}
        )
    except ValueError as exc:  # NaN, Infinity, a duplicate key, an integer of 4,300+ digits
        _fail(_("--input: not valid JSON (%(reason)s).") % {"reason": exc})
    except RecursionError:  # "[[[[…" nested deeper than Python's stack
        _fail(_("--input: not valid JSON (%(reason)s).") % {"reason": _("nested too deeply")})
    if not isinstance(data, dict):
        _fail(_("--input: the JSON must be an object such as %(example)s.") % {"example": example})
    return data


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise ValueError(_("the key %(key)s appears twice") % {"key": json.dumps(key)})
            seen.add(key)
    return data


def _fail(message: str) -> NoReturn:
    raise CommandError(message, returncode=2)
