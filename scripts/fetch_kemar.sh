#!/usr/bin/env bash
# Re-derive the bundled MIT KEMAR SOFA file from Debian's libmysofa1 package
# and check it against the recorded sha256.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
want=2768ac841213a7ae11d1ea7fd0f25a69b39216102dc5dd913ea6ba0f0dc57e28
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
apt-get download libmysofa1
dpkg -x libmysofa1_*.deb x
src=x/usr/share/libmysofa/MIT_KEMAR_normal_pinna.sofa
got=$(sha256sum "$src" | cut -d' ' -f1)
[ "$got" = "$want" ] || { echo "sha256 mismatch: $got" >&2; exit 1; }
cp "$src" "$here/src/see2sound/data/hrtf/mit_kemar_normal_pinna.sofa"
echo "wrote src/see2sound/data/hrtf/mit_kemar_normal_pinna.sofa ($got)"
