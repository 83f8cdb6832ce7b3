"""JSON from untrusted sources: parse errors and absurd nesting become one clear error.

:func:`loads` is what the CLI, the studio and the scene loader use for every
JSON document a user hands in. The standard parser recurses once per nesting
level, so ``'[' * 100000`` ends in a ``RecursionError``; here it is an
:class:`~see2sound.errors.InputError`, and so is anything nested deeper than
:data:`MAX_DEPTH` (a scene file is about six levels deep).
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import InputError

#: The deepest nesting of arrays and objects a document may have.
MAX_DEPTH = 64


def loads(text: str | bytes, *, what: str = "JSON") -> Any:
    """Parse ``text``; raise :class:`InputError` ``"<what>: ..."`` if it is not usable JSON."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise InputError(f"{what}: nested deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{what}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except UnicodeDecodeError:
        raise InputError(f"{what}: not UTF-8 text") from None
    except ValueError as exc:  # an integer of more digits than Python converts, and the like
        reason = "a number with too many digits" if "digits" in str(exc) else str(exc).splitlines()[0][:120]
        raise InputError(f"{what}: invalid JSON ({reason})") from None
    if depth(data) > MAX_DEPTH:
        raise InputError(f"{what}: nested deeper than {MAX_DEPTH} levels")
    return data


def depth(value: Any) -> int:
    """How deeply arrays and objects nest in ``value`` (a scalar is 0), without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        if level <= MAX_DEPTH:  # deeper than that is refused anyway: stop counting
            stack.extend((child, level + 1) for child in children)
    return deepest
