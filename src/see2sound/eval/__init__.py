"""The evaluation suite: is the sound where the picture says, and is it the right sound?

``direction`` (directions measured from a rendered file, matching, F-score,
energy maps), ``similarity`` (the scores SEE-2-SOUND published), ``report``
(a file against its scene: ``evaluate``).
"""

from .report import evaluate, evaluate_file, format_table

__all__ = ["evaluate", "evaluate_file", "format_table"]
