#!/usr/bin/env bash
# Build the documentation site into build/docs/ with `mkdocs build --strict`.
# Installs nothing: run `pip install -e ".[docs]"` first (in the active venv).
# Exits non-zero when the build fails or prints any warning (a broken link,
# a docstring griffe cannot parse, a module mkdocstrings cannot collect).
set -uo pipefail
cd "$(dirname "$0")/.."
if ! command -v mkdocs >/dev/null 2>&1; then
    echo 'error: mkdocs is not installed: pip install -e ".[docs]"' >&2
    exit 2
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# Material prints an end-of-life banner on every build; it is not a warning about these docs.
NO_MKDOCS_2_WARNING=1 mkdocs build --strict --clean -d build/docs "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
    echo "error: mkdocs build --strict failed (exit $status)" >&2
    exit "$status"
fi
if grep -qE '^(WARNING|ERROR)\b' "$log"; then
    echo "error: the docs build printed warnings (above)" >&2
    exit 1
fi
echo "docs built in build/docs/ (open build/docs/index.html)"
