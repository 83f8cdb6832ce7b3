"""The exceptions see2sound raises for problems that are the user's, not ours.

Every one is a :class:`See2SoundError`; the CLI prints its message after
``error:`` and exits with status 2. Anything else that escapes is an
internal failure (exit 1). Messages name Python parameters (``hfov_deg``,
``format``), never command-line flags: the CLI translates
:attr:`ParameterError.parameter` into its flag.

Contents
--------
See2SoundError          the base: bad input, bad parameters, a missing part
ParameterError          a parameter's value is not allowed (``.parameter`` names it)
InputError              a file or document given to see2sound cannot be used
MissingExtraError       an optional package is not installed (``.extra`` names the extra)
ModelUnavailableError   a learned model's weights are not on this machine and cannot be fetched
"""

from __future__ import annotations


class See2SoundError(ValueError):
    """Bad input or bad parameters; the message says what and where."""


class ParameterError(See2SoundError):
    """A parameter has a value see2sound does not accept.

    ``str(error)`` is ``"<parameter>: <detail>"``; :attr:`detail` alone is
    what to say after another name for the parameter (a CLI flag).
    """

    def __init__(self, parameter: str, detail: str):
        self.parameter = parameter
        self.detail = detail
        super().__init__(f"{parameter}: {detail}")

    def __reduce__(self):  # picklable for worker processes
        return (type(self), (self.parameter, self.detail))


class InputError(See2SoundError):
    """A file, scene or document cannot be used (missing, unreadable, malformed, too large)."""


class MissingExtraError(See2SoundError):
    """An optional package is needed: ``pip install "see2sound[<extra>]"``."""

    def __init__(self, what: str, extra: str, *, command: str | None = None):
        self.what = what
        self.extra = extra
        self.command = command or f'pip install "see2sound[{extra}]"'
        super().__init__(f"{what} needs its optional packages: {self.command}")

    def __reduce__(self):
        return (type(self), (self.what, self.extra), {"command": self.command})

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.args = (f"{self.what} needs its optional packages: {self.command}",)


class ModelUnavailableError(See2SoundError):
    """A learned model is neither cached here nor reachable; the message says how to get it."""
