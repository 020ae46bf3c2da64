#!/usr/bin/env bash
# The inputs of the OpenCV detector tests, made into OUTDIR: small YOLO ONNX models with known
# outputs (make_yolo.py; Debian's python3-onnx), and the photograph of a person that Debian's
# darknet package ships, as raw BGR for the C test.
#   tests/models/make_all.sh OUTDIR
set -euo pipefail
here=$(dirname "$0")
out=$1
PY=/usr/bin/python3
mkdir -p "$out"
missing() {
  echo "missing: $1 (make deps installs it; CI does)" >&2
  exit 1
}
$PY -c "import onnx, numpy" 2> /dev/null || missing "python3-onnx and python3-numpy"
photo=/usr/share/darknet/data/person.jpg
[ -r "$photo" ] || missing "$photo (Debian's darknet package)"
command -v ffmpeg > /dev/null || missing ffmpeg
mk() { $PY "$here/make_yolo.py" "$@"; }
for l in v5 v8; do
  mk patch "$out/patch-$l.onnx" --layout $l --size 256 --class-id 2
  # Boxes in the 256 x 256 input: two of class 0 overlapping (NMS keeps the better), one of
  # class 2 on them (another class: kept), one of class 1 under the default confidence.
  mk fixed "$out/fixed-$l.onnx" --layout $l --size 256 --box 128,128,64,96,0.9,0 \
    --box 132,128,64,96,0.8,0 --box 130,130,60,90,0.7,2 --box 40,200,20,20,0.1,1
done
mk fixed "$out/fixed3.onnx" --layout v8 --size 256 --classes 3 --box 128,128,64,96,0.9,1
printf 'cat\ndog\nfox\n' > "$out/three.names"
printf 'not a model at all\n' > "$out/garbage.onnx"
ffmpeg -loglevel error -y -i "$photo" -f rawvideo -pix_fmt bgr24 "$out/person.bgr"
echo "models and images in $out"
