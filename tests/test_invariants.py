"""Refactors keep results bit-identical: short runs of every task against fingerprints recorded before them.

`tools/invariants.py` takes its cases from the task registry (each trainer's `invariants`) and computes a run's
fingerprint: the (shape, dtype, sha256) of every tensor of its newest checkpoint, step counters left out, so
renamed scopes do not matter but any changed bit does. `tests/invariants/expected.json` holds them per platform
(TensorFlow's CPU kernels give other bits on another processor); a case may be re-recorded only by a change
that is meant to change results, which then says so in docs/invariants.md.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools"))
import invariants  # noqa: E402  pylint: disable=wrong-import-position

CASES = invariants.cases()
FAST = invariants.fast_cases()  # the cheapest cases in the fast suite; every case in make test-all


@pytest.fixture(scope="module")
def expected():
    recorded = invariants.expected_for()
    if recorded is None:
        pytest.skip("no fingerprints recorded for this platform (%s): run `python tools/invariants.py record` on "
                    "the commit before a refactor" % invariants.platform())
    return recorded


@pytest.mark.parametrize("name", [pytest.param(n, id=n, marks=() if n in FAST else (pytest.mark.slow,))
                                  for n in sorted(CASES)])
def test_short_run_is_bit_identical_to_the_recorded_one(tmp_path, name, expected):
    assert name in expected, "no recorded fingerprint for %s on this platform in %s" % (name, invariants.EXPECTED)
    assert invariants.run_case(name, str(tmp_path), argv=CASES[name]) == expected[name]


def test_every_case_has_a_fingerprint_on_every_recorded_platform():
    for key, recorded in invariants.load_expected().items():
        if key.startswith("("):  # a legacy entry whose platform was not recorded
            continue
        missing = sorted(set(CASES) - set(recorded))
        assert not missing, "platform %s lacks %s" % (key, missing)
