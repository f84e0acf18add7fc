"""Refactors keep results bit-identical: short runs of every task against fingerprints recorded before them.

`tools/invariants.py` holds the commands (in today's flag vocabulary) and computes a run's fingerprint: the
(shape, dtype, sha256) of every tensor of its newest checkpoint, step counters left out, so renamed scopes do
not matter but any changed bit does. `tests/invariants/expected.json` was recorded at b46e05f (before the
"one house" refactor); a case may be re-recorded only by a change that is meant to change results, which then
says so in its commit message and in docs/invariants.md.
"""
import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools"))
import invariants  # noqa: E402  pylint: disable=wrong-import-position

EXPECTED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "invariants", "expected.json")
FAST = ("dna",)  # the cheapest case in the fast suite; every case in make test-all


def _cases():
    with open(EXPECTED) as handle:
        expected = json.load(handle)
    for name in sorted(invariants.CASES):
        marks = () if name in FAST else (pytest.mark.slow,)
        yield pytest.param(name, expected.get(name), id=name, marks=marks)


@pytest.mark.parametrize("name, expected", list(_cases()))
def test_short_run_is_bit_identical_to_the_recorded_one(tmp_path, name, expected):
    assert expected is not None, "no recorded fingerprint for %s in %s" % (name, EXPECTED)
    assert invariants.run_case(name, str(tmp_path)) == expected
