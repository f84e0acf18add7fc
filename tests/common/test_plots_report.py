"""common.plots, common.files and common.report produce real files (atomically); the PDFs: tests/docs/."""
import os

import numpy as np
import pytest

from common import documents, files, plots, report
from common import task as common_task


def test_image_grid_layout_and_range():
    images = np.stack([np.full((2, 3), v) for v in (-1.0, 0.0, 1.0)])
    grid = plots.image_grid(images, nrow=2, pad=1)
    assert grid.shape == (2 * 3 + 1, 2 * 4 + 1)
    assert grid[1, 1] == 0.0 and grid[1, 5] == 0.5 and grid[4, 1] == 1.0
    with pytest.raises(ValueError, match="image_grid"):
        plots.image_grid(np.zeros((2, 3)))


def test_pngs_written(tmp_path):
    grid = plots.save_image_grid(np.random.rand(10, 28, 28, 1) * 2 - 1, str(tmp_path / "g.png"), title="t")
    curves = plots.save_curves(str(tmp_path / "c.png"), {"d": ([0, 1], [1, 2]), "g": ([0, 1], [2, 1])})
    learn = plots.save_learning_curves(str(tmp_path / "l.png"),
                                       {"loss": {"train": ([1, 2], [1, 0.5]), "val": ([1, 2], [1.2, 0.7])}})
    for path in (grid, curves, learn):
        assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert sorted(os.listdir(str(tmp_path))) == ["c.png", "g.png", "l.png"]  # no temp files left


def test_atomic_write_keeps_old_file_on_error(tmp_path):
    path = str(tmp_path / "out.txt")
    files.write_text(path, "old")
    with pytest.raises(RuntimeError):
        with files.atomic_write(path) as handle:
            handle.write("half")
            raise RuntimeError("crash mid-write")
    assert open(path).read() == "old" and os.listdir(str(tmp_path)) == ["out.txt"]
    files.write_json(str(tmp_path / "m.json"), {"a": np.float32(0.5), "b": np.arange(2)})
    assert files.read_json(str(tmp_path / "m.json")) == {"a": 0.5, "b": [0, 1]}


def test_report_gathers_metrics_and_figures(tmp_path):
    run = tmp_path / "runs" / "toytask" / "run1"
    run.mkdir(parents=True)
    files.write_json(str(run / "metrics.json"), {"accuracy": 0.9, "nested": {"fid": 3.5}, "notes": ["x"]})
    plots.save_curves(str(run / "loss.png"), {"loss": ([0, 1], [1, 0])})
    md, pdf, count = report.build_report(str(tmp_path / "runs"), str(tmp_path / "reports"), str(tmp_path),
                                         engine=str(tmp_path / "no-engine" / "python"))
    text = open(md).read()
    assert count == 1 and "## toytask" in text and "| run1 | 0.9 | 3.5 |" in text
    assert "nested/fid" in text and "loss.png" in text


def test_report_without_engine_says_so_and_writes_every_markdown(tmp_path, capsys):
    md, pdf, count = report.build_report(str(tmp_path / "runs"), str(tmp_path / "reports"), str(tmp_path),
                                         engine=str(tmp_path / "no-engine" / "python"))
    assert pdf is None and count == 0
    assert "PDFs not written: no document engine" in capsys.readouterr().err
    text = open(md).read()
    for task in common_task.REGISTRY:  # one overview section per task, with its documents listed
        assert "## `%s`:" % task in text
    for deliverable in documents.deliverables():
        assert "reports/%s" % deliverable.output in text
        written = tmp_path / "reports" / (os.path.splitext(deliverable.output)[0] + ".md")
        assert written.read_text(encoding="utf-8").startswith("# ")
    assert "No runs yet" in text


def test_report_relinks_images_one_level_down():
    assert report.relink("![a](runs/x.png) ![b](../y.png)") == "![a](../runs/x.png) ![b](../y.png)"


def test_report_finds_runs_nested_in_subfolders(tmp_path):
    nested = tmp_path / "runs" / "toytask" / "demo" / "train"
    nested.mkdir(parents=True)
    files.write_json(str(nested / "metrics.json"), {"accuracy": 0.5})
    assert [name for name, _ in report.find_runs(str(tmp_path / "runs" / "toytask"))] == [os.path.join("demo", "train")]
    md, _, count = report.build_report(str(tmp_path / "runs"), str(tmp_path / "reports"), str(tmp_path), engine=None)
    assert count == 1 and "| demo/train | 0.5 |" in open(md).read()
