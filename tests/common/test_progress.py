"""Progress off a terminal: a training run with stdout a pipe prints timestamped progress lines (Docker without
-t, nohup, `| tee`); on a terminal a bar, with messages written through it."""
import io
import os
import re
import subprocess
import sys

from common import loop, progress

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d  tf1_dna train  epoch (\d+)/6 \(\d+%\)")


def test_training_with_stdout_a_pipe_prints_periodic_progress_lines(tmp_path):
    env = dict(os.environ, TF1_PROGRESS_SECONDS="0")
    proc = subprocess.run([sys.executable, "-m", "tf1_dna.train", "--epochs", "6", "--threads", "1", "--eval-orfs",
                           "2", "--log-every", "3", "--run-dir", str(tmp_path / "run")], cwd=ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    steps = [int(LINE.match(l).group(1)) for l in lines if LINE.match(l)]
    assert steps[:6] == [1, 2, 3, 4, 5, 6], proc.stdout
    shown = [l for l in lines if LINE.match(l) and "epoch 6/6" in l][0]
    assert "epoch/s" in shown and "ETA" in shown and "loss/train=" in shown
    assert any(l.startswith("epoch    3/6  loss over the 3 sequences") for l in lines)  # the task's own log lines
    assert any(l.startswith("codon accuracy, training sequences") for l in lines)  # the end-of-run table
    assert "\r" not in proc.stdout + proc.stderr  # no bar off a terminal


def test_lines_come_every_interval_and_once_at_the_end(monkeypatch):
    out = io.StringIO()
    clock = [100.0]
    monkeypatch.setattr(progress.time, "time", lambda: clock[0])
    bar = progress.Progress(10, 0, desc="toy", unit="step", bar=False, stream=out, seconds=30)
    for _ in range(10):
        clock[0] += 7.0
        bar.update(1)
    bar.close()
    bar.close()  # closing twice writes nothing more
    lines = out.getvalue().splitlines()
    assert [re.search(r"step (\d+)/10", l).group(1) for l in lines] == ["5", "10"]  # 35 s, 70 s (= the end: once)
    assert "0.143 step/s" in lines[0] and "ETA 0:00:35" in lines[0]


def test_messages_go_through_the_bar(monkeypatch, capsys):
    monkeypatch.setenv("TQDM_FORCE", "1")
    bar = progress.Progress(3, 0, desc="toy")
    bar.update(1)
    bar.write("a message")
    bar.close()
    captured = capsys.readouterr()
    assert "a message\n" in captured.out
    assert "a message" not in captured.err  # the bar is on stderr, the message on its own stdout line


def test_a_closed_stdout_does_not_fail_a_message():
    stream = io.StringIO()
    stream.close()
    progress.write("lost, harmlessly", stream)


def test_summary_table_is_aligned_and_rounded():
    text = loop.summary_table([("loss", 0.123456789, ""), ("speed", 1234.5678, "img/s"), ("steps", 40, ""),
                               ("accuracy", 1.0, ""), ("variant", "dcgan_sn (--sn-scope d)", "")], run_dir="runs/x")
    assert text.splitlines() == ["loss      0.1235",
                                 "speed      1,235 img/s",
                                 "steps         40",
                                 "accuracy   1.000",
                                 "variant   dcgan_sn (--sn-scope d)",
                                 "run dir   runs/x (metrics.json holds the full record)"]
