#!/usr/bin/env bash
# Creates, or refreshes in place, a virtualenv this project owns; never deletes or changes one it does not own.
#
#   tools/venv.sh DIR PYTHON CHECK REQUIREMENTS [CONSTRAINTS]
#
# DIR carries the marker file .tf1-suite-venv once this script has created it. A DIR without the marker (a conda
# prefix, a venv of the user's own) is used as it is when `DIR/bin/python -c CHECK` succeeds, and refused with
# exit 2 otherwise: nothing is installed into it and nothing is removed. This script removes nothing at all.
# PIP_PIN (e.g. pip==21.3.1, which TF 1.15 on Python 3.6 needs) is installed first.
set -euo pipefail
dir=$1 python=$2 check=$3 req=$4 cons=${5:-}
marker="$dir/.tf1-suite-venv"

# One setup at a time: a second make waits instead of checking a venv that pip is rewriting.
exec 9>"$(dirname "$0")/../.setup.lock"
flock 9

if [ -e "$dir" ] && [ ! -e "$marker" ]; then
  if [ -x "$dir/bin/python" ] && "$dir/bin/python" -c "$check" >/dev/null 2>&1; then
    echo "== using $dir as it is: not created by this Makefile, so nothing is installed into it or removed"
    exit 0
  fi
  echo "error: $dir exists but was not created by this Makefile (no $marker), and its Python cannot run:" >&2
  echo "  $check" >&2
  echo "  Nothing was changed. Install the requirements into it yourself (pip install -r $req${cons:+ -c $cons})," >&2
  echo "  or choose another VENV=... for make to create." >&2
  exit 2
fi

if [ -e "$marker" ] && ! "$dir/bin/python" -c "import sys" >/dev/null 2>&1; then
  echo "error: $dir was made by this Makefile but its Python no longer runs (a moved checkout, a removed" >&2
  echo "  interpreter). Nothing was removed; delete it yourself (rm -rf $dir) and run make again." >&2
  exit 2
fi

if [ ! -e "$dir" ]; then
  if [ -z "$python" ]; then
    echo "error: no suitable Python to create $dir (see make help / README)" >&2
    exit 1
  fi
  echo "== creating $dir with $python"
  "$python" -m venv "$dir"
  touch "$marker"
fi

pip=("$dir/bin/python" -m pip install --quiet --disable-pip-version-check)
if [ -n "${PIP_PIN:-}" ]; then "${pip[@]}" "$PIP_PIN"; fi
"${pip[@]}" -r "$req" ${cons:+-c "$cons"}
touch "$dir/.installed"
echo "== $dir ready"
