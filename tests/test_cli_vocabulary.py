"""One CLI vocabulary: every training CLI's `--help`, parsed, follows the rules of common/README.md.

- one spelling per flag (dashes only), every flag with a value shows its default, every enumeration its choices;
- the same concept has the same flag in every task (the synonyms once in use are refused), with the course's
  own keys kept only in the CS7643 entry point;
- the keys every run has: --config, --run-dir, --seed, --threads, --restart;
- `main(["--help"])` exits 0.
"""
import importlib
import re

import pytest

from common import task


def training_clis():
    """Every training CLI of the suite, from the registry: each task's trainers and its run CLIs."""
    return [name for t in task.tasks() for name in [tr.module for tr in t.trainers] + list(t.run_clis)]


TRAINING_CLIS = training_clis()
# Synonyms that were in use for one concept; the vocabulary keeps the first name of each line.
SYNONYMS = {
    "--lr": ["--learning-rate"],
    "--ckpt-every": ["--checkpoint-every"],
    "--log-every": ["--print-every"],
    "--hidden": ["--hidden-size", "--hidden-units"],
    "--val-frac": ["--val-fraction"],
    "--num-train": ["--train-limit"],
}
# The CS7643 skeleton's config keys stay as the course names them (its graders read those YAML keys).
COURSE_KEYS = {"tf1_mnist.main": {"--learning-rate", "--hidden-size"}}
ENUMERATIONS = {"--variant", "--sn-scope", "--init", "--conv-impl", "--loss", "--data-source", "--bn", "--definition",
                "--activation", "--optimizer", "--type", "--dataset", "--target"}
EVERY_RUN = {"--config", "--run-dir", "--seed", "--threads", "--restart"}


def _help(module_name, capsys):
    module = importlib.import_module(module_name)
    with pytest.raises(SystemExit) as exit_info:
        module.main(["--help"])
    assert exit_info.value.code == 0
    return capsys.readouterr().out


def _options(text):
    """{primary flag: (all spellings, metavar or choices, help text)} from argparse's help output."""
    body = text.split("\noptional arguments:\n", 1)[-1].split("\noptions:\n", 1)[-1]
    blocks = re.split(r"\n(?=  -)", "\n" + body)
    out = {}
    for block in blocks:
        block = block.strip("\n")
        if not block.startswith("  -"):
            continue
        head, _, rest = block.strip().partition("  ")
        flags = re.findall(r"(?:^|, )(--?[\w-]+)", head)
        value = head[len(", ".join(flags)):].strip() if flags else ""
        out[flags[0]] = (flags, value, " ".join(rest.split()))
    return out


@pytest.mark.parametrize("module_name", TRAINING_CLIS)
def test_training_cli_follows_the_vocabulary(module_name, capsys):
    check_vocabulary(module_name, _help(module_name, capsys))


def check_vocabulary(module_name, help_text):
    """Asserts the vocabulary rules on one CLI's `--help` text."""
    options = _options(help_text)
    flags = {spelling for spellings, _, _ in options.values() for spelling in spellings}
    assert EVERY_RUN <= flags, "missing: %s" % sorted(EVERY_RUN - flags)
    for primary, (spellings, value, text) in options.items():
        if primary in ("-h", "--help"):
            continue
        assert "_" not in " ".join(spellings), "%s: underscore spelling %s" % (module_name, spellings)
        long_names = [s for s in spellings if s.startswith("--") and not s.startswith("--no-")]
        assert len(long_names) == 1, "%s: %s has several spellings" % (module_name, spellings)
        if value:  # takes a value: its default must be shown
            assert "(default:" in text, "%s: %s shows no default" % (module_name, primary)
        if primary in ENUMERATIONS:
            assert value.startswith("{"), "%s: %s shows no choices" % (module_name, primary)
    allowed = COURSE_KEYS.get(module_name, set())
    for name, synonyms in SYNONYMS.items():
        for synonym in synonyms:
            assert synonym not in flags or synonym in allowed, "%s: %s (say %s)" % (module_name, synonym, name)
