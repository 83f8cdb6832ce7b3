# Sourced by scripts/build_detectors.sh and scripts/build_classifier.sh: where models go, a
# scratch folder removed on exit, and a throwaway venv with the converters (tensorflow-cpu and
# tf2onnx, 1.6 GB: needed only to re-derive the shipped models, never at run time).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[1]}")/.." && pwd)
out="$here/src/see2sound/data/models"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
venv=${CONVERT_VENV:-${TMPDIR:-/tmp}/see2sound-convert-venv}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet tensorflow-cpu==2.21.0 tf2onnx==1.17.0
fi
cd "$work"
