"""sample and diagnose restore a run through common.inference: the recorded config.yaml is read through the
training schema (a hand-edited key of the wrong type, or a missing one, exits 2 naming the file and the key), and
the newest readable checkpoint is the one used."""
import os
import shutil

import numpy as np
import pytest
import yaml

from tf1_gan import diagnose
from tf1_gan import options
from tf1_gan import sample
from tf1_gan import task as gan_task


@pytest.fixture(scope="module")
def sn_run(tmp_path_factory):
    run_dir = str(tmp_path_factory.mktemp("loaders") / "run")
    images = np.random.RandomState(1).randint(0, 256, size=(32, 28, 28)).astype(np.uint8)
    cfg = options.train_config(variant="dcgan_sn", sn_scope="d", batch_size=16, epochs=1, eval=False, threads=1)
    gan_task.train(cfg, images, run_dir, log=lambda _: None)
    return run_dir


def _edited(run_dir, tmp_path, edit):
    copy = str(tmp_path / "edited")
    shutil.copytree(run_dir, copy)
    path = os.path.join(copy, "config.yaml")
    cfg = yaml.safe_load(open(path))
    edit(cfg)
    with open(path, "w") as handle:
        yaml.safe_dump(cfg, handle)
    return copy


@pytest.mark.parametrize("edit, pattern", [
    (lambda c: c.update(batch_size="sixteen"), "'batch_size'"),
    (lambda c: c.pop("variant"), "key 'variant' missing"),
    (lambda c: c.update(variant="wgan"), "'variant' must be one of"),
])
@pytest.mark.parametrize("command", ["sample", "diagnose"])
def test_a_hand_edited_config_exits_2_naming_the_file_and_key(sn_run, tmp_path, capsys, edit, pattern, command):
    run_dir = _edited(sn_run, tmp_path, edit)
    argv = ["--run-dir", run_dir] + (["--out", str(tmp_path / "s.npy")] if command == "sample" else [])
    main = sample.main if command == "sample" else diagnose.main
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert os.path.join(run_dir, "config.yaml") in err and pattern in err, err
    assert "Traceback" not in err


def test_sampler_and_diagnose_read_the_run(sn_run, tmp_path, capsys):
    sampler = sample.load_sampler(sn_run, threads=1)
    try:
        assert sampler.step == 2 and sampler.variant.d_norm == "sn" and sampler.variant.g_norm == "bn"
        out = sample.generate(sampler, 5, seed=3)
        assert out.shape == (5, 28, 28) and np.abs(out).max() <= 1.0
    finally:
        sampler.session.close()
    assert diagnose.main(["--run-dir", sn_run, "--n", "8", "--threads", "1"]) == 0
    text = capsys.readouterr().out
    # SN is in D only: the check lists D's three kernels, with the estimate from the stored u, v below the SVD's.
    sn_lines = [line for line in text.splitlines() if line.strip().startswith("sn ")]
    assert [line.split()[1] for line in sn_lines] == ["discriminator/conv1", "discriminator/conv2",
                                                     "discriminator/fc"]
    for line in sn_lines:
        est, svd = (float(part.split("=")[1]) for part in line.split()[2:4])
        assert 0 < est <= svd * (1 + 1e-4)


def test_no_checkpoint_is_a_clean_error(sn_run, tmp_path, capsys):
    run_dir = str(tmp_path / "bare")
    os.makedirs(run_dir)
    shutil.copy(os.path.join(sn_run, "config.yaml"), run_dir)
    assert sample.main(["--run-dir", run_dir, "--out", str(tmp_path / "s.npy")]) == 2
    assert "no checkpoint" in capsys.readouterr().err
