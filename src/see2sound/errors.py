"""The one exception type that see2sound raises for bad input.

A :class:`See2SoundError` is the user's problem, not ours: the CLI prints its
message after ``error:`` and exits with status 2. Anything else that escapes is
an internal failure (exit 1).
"""


class See2SoundError(ValueError):
    """Bad input or bad parameters; the message says what and where."""
