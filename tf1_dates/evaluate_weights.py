"""Evaluates a set of weights on the target numbers: every satisfiable combination asked N times, scored by score.py.

    python -m tf1_dates.evaluate_weights                       # committed weights, 6,804 combos x 5
    python -m tf1_dates.evaluate_weights --weights runs/tf1_dates/final40k_heldout

Prints per-condition pass rates, all-four, diversity (and the diversity of an exact uniform sampler
for comparison), prediction speed, and -- if the weights' training held combinations out (a weights dir's
hparams.json or a run dir's config.yaml records the split) -- the same scores on those never-seen
combinations. (`score.py` scores one file of predictions; this samples the weights and scores the draws.)
"""
import sys
import time
from typing import Dict, List

import numpy as np

from common import cli, config, files
from tf1_dates import calendar_facts, data, predict, sampling, score, tokenizer

SCHEMA = config.Schema([
    config.Key("weights", sampling.WEIGHTS_DIR, "a weights dir (hparams.json + generator.*) or a training run "
                                                "dir (its newest checkpoint)"),
    config.Key("repeats", 5, "times each combination is asked", ge=1),
    config.seed(0, "sampling seed"),
    config.Key("temperature", 0.5, "softmax temperature (0.5: chosen on held-out validation combinations)", gt=0.0),
    config.threads(),
    config.Key("json", "", "also write the numbers to this JSON file ('' = none)"),
    config.Key("show", 0, "print this many sample and failing lines", ge=0),
])


def uniform_baseline(table: Dict[tuple, list], repeats: int, seed: int) -> float:
    """Diversity of a sampler drawing uniformly from the valid dates (the reference point)."""
    rng = np.random.RandomState(seed)
    counts = {c: len(v) for c, v in table.items()}
    lines = []
    for combo, dates in table.items():
        toks = " ".join(calendar_facts.condition_tokens(combo))
        for j in rng.randint(0, len(dates), repeats):
            lines.append("%s %s" % (toks, calendar_facts.format_date(*dates[j])))
    return score.score_lines(lines, counts)["diversity"]


def held_out_combos(split: Dict, table: Dict[tuple, list]) -> Dict[str, List[tuple]]:
    """The val and test combinations of a split recipe {val_frac, test_frac, seed}.

    `table` (calendar_facts.valid_dates_by_combo) lists combinations in data.txt's first-seen order,
    the same order `data.read_data` produces, so the split is identical to the training run's.
    """
    parts = data.split_combos(table, split["val_frac"], split["test_frac"], split["seed"])
    return {"held_out_val": parts["val"], "held_out_test": parts["test"]}


def score_combos(predictor, combos: List[tuple], repeats: int, temperature: float, counts) -> Dict[str, float]:
    conditions = [" ".join(calendar_facts.condition_tokens(c)) for c in combos for _ in range(repeats)]
    ids = tokenizer.encode_lines(conditions)
    start = time.time()
    tokens = predictor.predict(ids, temperature)
    seconds = time.time() - start
    lines = sampling.format_lines(conditions, tokens)
    out = score.score_lines(lines, counts)
    out["lines_per_second"] = len(ids) / max(seconds, 1e-9)
    out["failures"] = [line for line in lines if not score.check_line(line).all_four]
    out["samples"] = lines[:10]
    return out


@cli.entry_point
def main(argv=None):
    args = SCHEMA.parse(argv, description=__doc__.split("\n\n")[0])
    if args.json:
        files.check_output(args.json, files.artefact_inputs(args.weights))
    table = calendar_facts.valid_dates_by_combo()
    counts = {c: len(v) for c, v in table.items()}
    combos = [c for c in calendar_facts.all_combos() if c in counts]
    predictor = predict.Predictor(args.weights, args.seed, args.threads)
    results = {"all": score_combos(predictor, combos, args.repeats, args.temperature, counts)}
    split = predictor.hparams.get("split")
    if split and split["val_frac"] + split["test_frac"] > 0:
        for name, held in held_out_combos(split, table).items():
            if held:
                results[name] = score_combos(predictor, held, args.repeats, args.temperature, counts)
    predictor.close()
    results["uniform_sampler_diversity"] = uniform_baseline(table, args.repeats, args.seed)
    for name in ("all", "held_out_val", "held_out_test"):
        if name in results:
            r = results[name]
            print("[%s] combos=%d lines=%d" % (name, r["n"] // args.repeats, r["n"]))
            for key in ("weekday", "month", "leap", "decade", "all_four", "diversity", "diversity_macro",
                        "malformed", "invalid_date", "out_of_range", "lines_per_second"):
                value = r[key]
                print("%s_%s=%s" % (name, key, ("%.4f" % value) if isinstance(value, float) else value))
            for label in ("samples", "failures") if args.show else ():
                for line in r[label][:args.show]:
                    print("%s_%s: %s" % (name, label[:-1], line))
    print("uniform_sampler_diversity=%.4f" % results["uniform_sampler_diversity"])
    if args.json:
        files.write_json(args.json, files.json_value(results))  # an undefined rate (no valid draw) is null
    return 0


if __name__ == "__main__":
    sys.exit(main())
