"""Quick end-to-end demo: data -> short training run -> predictions -> scores.

    python -m tf1_dates.demo          # writes runs/tf1_dates/demo/ and prints where things are

The short run (3,000 of the 20,000 steps of the real recipe, ~40 s on 2 cores) shows the pipeline
working and the weekday being learned; the committed weights are also used to predict example_input.txt.
Each demo starts a fresh run (the previous demo run dir is replaced).
"""
import os
import shutil
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tf1_dates import datagen, predict, sampling, train  # noqa: E402
from tf1_dates import eval as dates_eval  # noqa: E402

RUN_DIR = os.path.join("runs", "tf1_dates", "demo")


def main() -> int:
    data_path, example = datagen.generate()
    print("data: %s, %s" % (data_path, example))
    shutil.rmtree(os.path.join(RUN_DIR, "train"), ignore_errors=True)  # a demo is always a fresh run
    code = train.main(["--run-dir", os.path.join(RUN_DIR, "train"), "--data", data_path,
                       "--steps", "3000", "--eval-every", "1000", "--export-dir",
                       os.path.join(RUN_DIR, "train", "export")])
    if code:
        return code
    outputs = []
    for label, weights in (("committed", sampling.WEIGHTS_DIR), ("demo", os.path.join(RUN_DIR, "train", "export"))):
        if not os.path.exists(os.path.join(weights, "hparams.json")):
            print("no weights in %s, skipping" % weights)
            continue
        out = os.path.join(RUN_DIR, "predictions_%s.txt" % label)
        code = predict.main(["-i", example, "-o", out, "--weights", weights, "--seed", "0"])
        if code:
            return code
        scores = dates_eval.score_lines(dates_eval.read_lines(out), inputs=dates_eval.read_lines(example))
        print("[%s weights] %s: all_four=%.4f weekday=%.4f month=%.4f leap=%.4f decade=%.4f"
              % (label, out, scores["all_four"], scores["weekday"], scores["month"], scores["leap"],
                 scores["decade"]))
        outputs.append(out)
    print("outputs: %s (training run: loss_curves.png, metrics.json, TensorBoard events), %s"
          % (os.path.join(RUN_DIR, "train"), ", ".join(outputs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
