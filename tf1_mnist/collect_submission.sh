#!/usr/bin/env bash
# Builds the CS7643 A1 code submission (seed 002, section 6.1): the skeleton's files at the course's paths
#   configs/*.yaml  models/*.py  optimizer/*.py  utils.py  main.py
# plus what they import from this repository and the data they fall back to, so the unpacked zip runs on its
# own (Python 3.6, TensorFlow 1.15, NumPy, PyYAML, matplotlib, tqdm):
#   common/         only the shared modules main.py and utils.py import, followed through their own imports
#                   (common/vendor.py's closure: MNIST loader, plots, config, run folders, the training loop);
#                   models/ and optimizer/ import only each other
#   data/mnist10k/  (the embedded 10k real-MNIST subset; the course's data/mnist_{train,test}.csv win if present)
#
#   bash tf1_mnist/collect_submission.sh [OUT.zip]     (default: tf1_mnist/assignment_1_submission.zip)
#   make submission
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
out=${1:-$here/assignment_1_submission.zip}
case $out in /*) ;; *) out=$PWD/$out ;; esac
python=${PYTHON:-python3}
case $python in /*) ;; */*) python=$(cd "$(dirname "$python")" && pwd)/$(basename "$python") ;; esac

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/configs" "$stage/models" "$stage/optimizer" "$stage/common" "$stage/data/mnist10k"
cp "$here"/configs/*.yaml "$stage/configs/"
cp "$here"/models/*.py "$stage/models/"
cp "$here"/optimizer/*.py "$stage/optimizer/"
cp "$here/utils.py" "$here/main.py" "$stage/"
"$python" -c '
import sys
sys.path.insert(0, sys.argv[1])
from common import vendor
for name in vendor.closure(["tf1_mnist.main", "tf1_mnist.utils"]):
    if name.split(".")[0] == "common":
        print(vendor.module_path(name))' "$repo" > "$stage/common.txt"
while IFS= read -r file; do cp "$file" "$stage/common/"; done < "$stage/common.txt"
rm "$stage/common.txt"
cp "$repo"/data/mnist10k/* "$stage/data/mnist10k/"

rm -f "$out"
(cd "$stage" && "$python" -m zipfile -c "$out" configs models optimizer common data utils.py main.py)
echo "wrote $out ($(cd "$stage" && find . -type f | wc -l) files)"
