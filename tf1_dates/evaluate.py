"""The target numbers: every satisfiable combination asked N times, scored by eval.py.

    python -m tf1_dates.evaluate                       # committed weights, 6,804 combos x 5
    python -m tf1_dates.evaluate --weights runs/tf1_dates/heldout/export

Prints per-condition pass rates, all-four, diversity (and the diversity of an exact uniform sampler
for comparison), prediction speed, and -- if the weights' training held combinations out (their
hparams.json records the split) -- the same scores on those never-seen combinations.
"""
import argparse
import os
import sys
import time
from typing import Dict, List, Optional

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from common import files  # noqa: E402
from tf1_dates import calendar_facts, data, predict, sampling, tokenizer  # noqa: E402
from tf1_dates import eval as dates_eval  # noqa: E402


def uniform_baseline(table: Dict[tuple, list], repeats: int, seed: int) -> float:
    """Diversity of a sampler drawing uniformly from the valid dates (the reference point)."""
    rng = np.random.RandomState(seed)
    counts = {c: len(v) for c, v in table.items()}
    lines = []
    for combo, dates in table.items():
        toks = " ".join(calendar_facts.condition_tokens(combo))
        for j in rng.randint(0, len(dates), repeats):
            lines.append("%s %s" % (toks, calendar_facts.format_date(*dates[j])))
    return dates_eval.score_lines(lines, counts)["diversity"]


def held_out_combos(split: Dict, table: Dict[tuple, list]) -> Dict[str, List[tuple]]:
    """The val and test combinations of a split recipe {val_frac, test_frac, seed}.

    `table` (calendar_facts.valid_dates_by_combo) lists combinations in data.txt's first-seen order,
    the same order `data.read_data` produces, so the split is identical to the training run's.
    """
    parts = data.split_combos(table, split["val_frac"], split["test_frac"], split["seed"])
    return {"held_out_val": parts["val"], "held_out_test": parts["test"]}


def score(predictor, combos: List[tuple], repeats: int, temperature: float, counts) -> Dict[str, float]:
    conditions = [" ".join(calendar_facts.condition_tokens(c)) for c in combos for _ in range(repeats)]
    ids = tokenizer.encode_lines(conditions)
    start = time.time()
    tokens = predictor.predict(ids, temperature)
    seconds = time.time() - start
    lines = sampling.format_lines(conditions, tokens)
    out = dates_eval.score_lines(lines, counts)
    out["lines_per_second"] = len(ids) / max(seconds, 1e-9)
    out["failures"] = [line for line in lines if not dates_eval.check_line(line).all_four]
    out["samples"] = lines[:10]
    return out


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Ask every satisfiable condition combination N times and "
                                                 "print the target numbers.")
    parser.add_argument("--weights", default=sampling.WEIGHTS_DIR, help="exported weights dir")
    parser.add_argument("--repeats", type=int, default=5, help="times each combination is asked")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed")
    parser.add_argument("--temperature", type=float, default=0.5,
                        help="softmax temperature (0.5: chosen on held-out validation combinations)")
    parser.add_argument("--threads", type=int, default=2, help="TF threads")
    parser.add_argument("--json", default="", help="also write the numbers here")
    parser.add_argument("--show", type=int, default=0, help="print this many sample and failing lines")
    args = parser.parse_args(argv)
    table = calendar_facts.valid_dates_by_combo()
    counts = {c: len(v) for c, v in table.items()}
    combos = [c for c in calendar_facts.all_combos() if c in counts]
    try:
        predictor = predict.Predictor(args.weights, args.seed, args.threads)
    except (OSError, ValueError) as err:
        sys.stderr.write("error: cannot load weights from %s: %s\n" % (args.weights, err))
        return 2
    results = {"all": score(predictor, combos, args.repeats, args.temperature, counts)}
    split = sampling.load_hparams(args.weights).get("split")
    if split and split["val_frac"] + split["test_frac"] > 0:
        for name, held in held_out_combos(split, table).items():
            if held:
                results[name] = score(predictor, held, args.repeats, args.temperature, counts)
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
        files.write_json(args.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
