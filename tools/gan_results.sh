#!/usr/bin/env bash
# Every tf1_gan result in docs/tf1_gan.md, from scratch: `make gan-results` (about 30 min on 2 cores).
#
# Trains the evaluation classifier, the 13 runs of the docs' three tables (10 epochs each: the seed's four
# variants and the four fixes at seed 0 - the paper's `--sn-scope d` among them -, five of them again at seed 1),
# rebuilds the three comparison figures in tf1_gan/figures/ and prints the `diagnose` rows. Each command is echoed before it runs, so the
# log (reports/gan_results.log with `make gan-results`) shows which command printed which number.
# It needs an empty runs/tf1_gan: an existing run dir would be resumed and a cached classifier reused,
# mixing in results of another revision.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
EPOCHS=${EPOCHS:-10}

if [ -d runs/tf1_gan ] && [ -n "$(ls -A runs/tf1_gan)" ]; then
  echo "error: runs/tf1_gan is not empty; move it away first (e.g. mv runs/tf1_gan runs/tf1_gan.old)" >&2
  exit 2
fi

run() { echo "+ $*"; "$@"; }

run "$PY" -m tf1_gan.evaluate --train-classifier
for args in "--variant linear" "--variant linear_bn" "--variant dcgan_bn" "--variant dcgan_sn" \
            "--variant linear --init he" "--variant linear_bn --bn-epsilon 0.00001" \
            "--variant dcgan_sn --sn-scope d" "--variant dcgan_sn --sn-scope all_bn"; do
  # shellcheck disable=SC2086  # $args is a list of words on purpose
  run "$PY" -m tf1_gan.train $args --epochs "$EPOCHS" --seed 0
done
for args in "--variant linear" "--variant linear --init he" "--variant linear_bn" \
            "--variant linear_bn --bn-epsilon 0.00001" "--variant dcgan_sn"; do
  # shellcheck disable=SC2086
  run "$PY" -m tf1_gan.train $args --epochs "$EPOCHS" --seed 1
done

R=runs/tf1_gan
# The first figure: the seed's four variants and, beside them, the paper's SN setup (SN in D only).
run "$PY" -m tf1_gan.compare $R/linear_s0 $R/linear_bn_s0 $R/dcgan_bn_s0 $R/dcgan_sn_s0 $R/dcgan_sn_snD_s0 \
  --out tf1_gan/figures/variants
run "$PY" -m tf1_gan.compare $R/linear_he_s0 $R/linear_bn_eps1e-05_s0 $R/dcgan_sn_snD_s0 $R/dcgan_sn_snAllBN_s0 \
  --out tf1_gan/figures/fixes
run "$PY" -m tf1_gan.compare $R/linear_s1 $R/linear_he_s1 $R/linear_bn_s1 $R/linear_bn_eps1e-05_s1 $R/dcgan_sn_s1 \
  --out tf1_gan/figures/seed1

for args in "--variant linear" "--variant linear_bn" "--variant linear --init he" \
            "--variant linear_bn --bn-epsilon 0.00001" "--variant dcgan_bn" "--variant dcgan_sn" \
            "--variant dcgan_sn --init he" "--variant dcgan_sn --sn-scope all_bn" \
            "--run-dir $R/dcgan_sn_s0" "--run-dir $R/dcgan_sn_snAllBN_s0" "--run-dir $R/dcgan_sn_snD_s0" \
            "--run-dir $R/dcgan_bn_s0"; do
  # shellcheck disable=SC2086
  run "$PY" -m tf1_gan.diagnose $args
done
