"""Tokenizer, splits and graph: shapes and variable names, exact math, loss floors."""
import math

import numpy as np
import pytest
import tensorflow as tf

from tf1_dates import calendar_facts, data, model, sampling, tokenizer


@pytest.fixture(scope="module")
def groups():
    table = calendar_facts.valid_dates_by_combo()
    return {c: table[c] for c in sorted(table, key=calendar_facts.all_combos().index)}


def test_tokenizer_round_trip_and_vocab():
    assert tokenizer.encode_conditions(["[WED]", "[JAN]", "[False]", "[196]"]) == (2, 0, 0, 16, 1, 6)
    assert tokenizer.decode_conditions([2, 0, 0, 16]) == ["[WED]", "[JAN]", "[False]", "[196]"]
    for day, month, year in [(1, 1, 1800), (31, 12, 2200), (29, 2, 2000), (3, 12, 1962)]:
        ids = tokenizer.encode_date(day, month, year)
        assert tokenizer.decode_date(*ids) == "%d-%d-%d" % (day, month, year)
        assert tokenizer.decode_dates(np.array([ids])) == ["%d-%d-%d" % (day, month, year)]
    assert tokenizer.OUTPUT_SIZES == {"dy": 310, "month": 12, "century": 5, "decade": 10}
    with pytest.raises(tokenizer.TokenizerError, match="weekday"):
        tokenizer.encode_conditions(["[XYZ]", "[JAN]", "[False]", "[196]"])
    with pytest.raises(tokenizer.TokenizerError):
        tokenizer.encode_conditions(["[WED]", "[JAN]", "[False]"])


def test_soft_targets_are_uniform_over_valid_dates(groups):
    combos = list(groups)[:50]
    split = data.make_split(groups, combos)
    np.testing.assert_allclose(split.dy_target.sum(axis=1), 1.0, rtol=1e-6)
    for i, combo in enumerate(combos):
        support = set(np.nonzero(split.dy_target[i])[0])
        assert support == {tokenizer.encode_date(*d)[0] for d in groups[combo]}
        assert split.num_dates[i] == len(groups[combo])


def test_splits_hold_out_whole_combinations(groups):
    parts = data.split_combos(groups, 0.05, 0.05, seed=3)
    sets = {k: set(v) for k, v in parts.items()}
    assert not (sets["train"] & sets["val"]) and not (sets["train"] & sets["test"]) and not (sets["val"] & sets["test"])
    assert sum(len(v) for v in sets.values()) == 6804
    for name in ("val", "test"):  # every stratum is represented
        assert {(c[2], c[3] == 220) for c in parts[name]} == {(False, False), (True, False), (False, True)}
    assert data.split_combos(groups, 0.05, 0.05, seed=3) == parts


def test_network_shapes_and_variable_names():
    with tf.Graph().as_default():
        ids = tf.placeholder(tf.int32, [None, 6])
        logits = model.network(ids, hidden=16, layers=2, rank=8)
        logits2 = model.network(ids, hidden=16, layers=2, rank=8)  # reuse, no new variables
        assert {k: v.shape.as_list() for k, v in logits.items()} == {
            "dy": [None, 310], "month": [None, 12], "century": [None, 5], "decade": [None, 10]}
        names = sorted(v.op.name for v in tf.trainable_variables())
        assert names == sorted(["generator/%s/%s" % (layer, p) for layer in
                                ["mlp_0", "mlp_1", "mult_a", "mult_b", "mult_c", "head_dy", "head_month",
                                 "head_century", "head_decade"] for p in ("kernel", "bias")])
        assert logits2["dy"] is not logits["dy"]


def test_loss_of_uniform_logits_is_log_vocab():
    with tf.Graph().as_default(), tf.Session() as sess:
        b = 3
        logits = {k: tf.zeros([b, n]) for k, n in tokenizer.OUTPUT_SIZES.items()}
        target = np.zeros((b, 310), np.float32)
        target[:, :4] = 0.25
        parts = sess.run(model.losses(logits, tf.constant(target), tf.constant(np.zeros((b, 3), np.int32))))
        assert parts["dy"] == pytest.approx(math.log(310), rel=1e-6)
        assert parts["month"] == pytest.approx(math.log(12), rel=1e-6)
        # a perfect dy distribution reaches the entropy floor log(4), not 0
        perfect = {"dy": tf.constant(np.log(target + 1e-30))}
        floor = sess.run(tf.nn.softmax_cross_entropy_with_logits_v2(labels=target, logits=perfect["dy"]))
        np.testing.assert_allclose(floor, math.log(4), rtol=1e-5)


def test_expected_valid_matches_hand_computation():
    probs = {"dy": np.array([[0.5, 0.3, 0.2]]), "month": np.array([[0.9, 0.1]]),
             "century": np.array([[1.0]]), "decade": np.array([[0.2, 0.8]])}
    target = np.array([[0.5, 0.5, 0.0]])
    tokens = np.array([[0, 0, 1]])
    got = sampling.expected_valid(probs, target, tokens)
    assert got[0] == pytest.approx(0.8 * 0.9 * 1.0 * 0.8)


def test_sampling_follows_logits():
    with tf.Graph().as_default(), tf.Session() as sess:
        tf.set_random_seed(1)
        logits = {k: tf.one_hot([[3]][0] * 2000, n) * 50.0 for k, n in tokenizer.OUTPUT_SIZES.items()}
        draws = sess.run(model.sample_tokens(logits, tf.constant(1.0)))
        assert draws.shape == (2000, 4) and (draws == 3).all()
        two = {k: tf.tile(tf.constant([[0.0, math.log(3.0)]]), [20000, 1]) for k in tokenizer.OUTPUT_SIZES}
        draws = sess.run(model.sample_tokens(two, tf.constant(1.0)))
        assert abs(draws[:, 0].mean() - 0.75) < 0.02  # p(token 1) = 3/4


def test_calendar_table_and_data_file_give_the_same_split(tmp_path, groups):
    from tf1_dates import datagen
    path = datagen.generate(str(tmp_path))[0]
    from_file = data.read_data(path, trust_generated=False)  # every line parsed and checked
    assert list(from_file) == list(calendar_facts.valid_dates_by_combo())
    assert from_file == data.read_data(path)  # the generated file's fast path gives the same groups
    assert data.split_combos(from_file, 0.05, 0.05, 0) == data.split_combos(
        calendar_facts.valid_dates_by_combo(), 0.05, 0.05, 0)


def test_a_changed_data_file_is_checked_line_by_line(tmp_path):
    from tf1_dates import datagen
    path = datagen.generate(str(tmp_path))[0]
    lines = open(path, encoding="utf-8").read().split("\n")
    lines[7] = "[THU] [JAN] [False] [180] 1-1-1800"  # 1-1-1800 was a Wednesday
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines))
    with pytest.raises(data.DataError, match=r"data.txt:8: .*not a valid data line"):
        data.read_data(path)
    with open(path, "w", encoding="utf-8") as handle:  # a valid subset: not the generated file, parsed
        handle.write("\n".join(datagen.data_lines()[:1000]))
    assert sum(len(v) for v in data.read_data(path).values()) == 1000


@pytest.mark.parametrize("hp", [dict(hidden=16, layers=2, rank=8, periodic=False),
                                dict(hidden=8, layers=1, rank=0, periodic=True),
                                dict(hidden=12, layers=3, rank=0, periodic=True)],
                         ids=["relu-rank8", "sine-1-layer", "sine-3-layers"])
def test_variable_shapes_are_what_network_builds_and_give_back_the_hyperparameters(hp):
    with tf.Graph().as_default():
        model.network(tf.placeholder(tf.int32, [None, 6]), dropout=0.0, **hp)
        built = {v.op.name: tuple(v.shape.as_list()) for v in tf.trainable_variables()}
    assert model.variable_shapes(hp) == built
    assert model.network_of(built) == hp
    assert ("generator/sine_0/kernel" in built) == hp["periodic"]  # the first layer's name says its kind
