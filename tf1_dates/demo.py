"""Quick end-to-end demo: data -> short training run -> predictions -> scores.

    python -m tf1_dates.demo          # writes runs/tf1_dates/demo/ and prints where things are

The short run (3,000 of the 40,000 steps of the real recipe) is a *pipeline check*: it shows every stage
working and the weekday being learned, not the recipe's numbers (those are `python -m
tf1_dates.evaluate_weights` on the committed weights). The committed weights are also used to predict
example_input.txt. Each demo starts a fresh run (`--restart` discards the previous demo run).
"""
import os
import sys

from common import cli, config
from tf1_dates import datagen, predict, sampling, score, train

SCHEMA = config.Schema([
    config.run_dir("output directory of the demo (its training run is RUN_DIR/train)"),
    config.steps(3000, "training steps of the short pipeline-check run"),
    config.eval_every(1000, "steps between validation sampling rounds"),
    config.threads(),
])
DEFAULT_DIR = os.path.join("runs", "tf1_dates", "demo")


@cli.entry_point
def main(argv=None):
    cfg = SCHEMA.parse(argv, description=__doc__.split("\n\n")[0])
    root = cfg.run_dir or DEFAULT_DIR
    data_path, example = datagen.generate()
    print("data: %s, %s" % (data_path, example))
    run_dir = os.path.join(root, "train")
    print("pipeline check: a %d-step training run (the recipe trains 40,000 steps)" % cfg.steps)
    code = train.main(["--run-dir", run_dir, "--data", data_path, "--steps", str(cfg.steps),
                       "--eval-every", str(cfg.eval_every), "--threads", str(cfg.threads), "--restart"])
    if code:
        return code
    outputs = []
    for label, weights in (("committed", sampling.WEIGHTS_DIR), ("demo %d-step pipeline check" % cfg.steps, run_dir)):
        out = os.path.join(root, "predictions_%s.txt" % label.split()[0])
        code = predict.main(["-i", example, "-o", out, "--weights", weights, "--seed", "0",
                             "--threads", str(cfg.threads)])
        if code:
            return code
        scores = score.score_lines(score.read_lines(out), inputs=score.read_lines(example))
        print("[%s weights] %s: all_four=%.4f weekday=%.4f month=%.4f leap=%.4f decade=%.4f"
              % (label, out, scores["all_four"], scores["weekday"], scores["month"], scores["leap"],
                 scores["decade"]))
        outputs.append(out)
    print("outputs: %s (training run: loss_curves.png, metrics.json, weights/, TensorBoard events), %s"
          % (run_dir, ", ".join(outputs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
