"""tools/gan_results.sh (`make gan-results`): valid bash, and it refuses to mix in another revision's runs."""
import os
import shutil
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "tools", "gan_results.sh")


def test_script_parses():
    subprocess.run(["bash", "-n", SCRIPT], check=True)


def test_refuses_a_non_empty_runs_dir_before_running_anything(tmp_path):
    # A copy in a throwaway tree: the script works relative to its own parent directory.
    (tmp_path / "tools").mkdir()
    shutil.copy(SCRIPT, str(tmp_path / "tools" / "gan_results.sh"))
    (tmp_path / "runs" / "tf1_gan" / "linear_s0").mkdir(parents=True)
    proc = subprocess.run(["bash", str(tmp_path / "tools" / "gan_results.sh")], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, env=dict(os.environ, PY="false"))
    assert proc.returncode == 2
    assert "runs/tf1_gan is not empty" in proc.stderr and proc.stdout == ""
