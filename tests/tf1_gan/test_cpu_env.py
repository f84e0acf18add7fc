"""tf1_gan.cpu_env: which OpenMP/MKL defaults are set on which CPU, and that a user's own value wins."""
from tf1_gan import cpu_env

CPUINFO = "processor\t: 0\nvendor_id\t: %s\ncpu family\t: 25\nflags\t\t: fpu avx2 avx512f\n\nprocessor\t: 1\n"


def _cpuinfo(tmp_path, vendor):
    path = tmp_path / "cpuinfo"
    path.write_text(CPUINFO % vendor)
    return str(path)


def test_vendor_is_read_from_cpuinfo(tmp_path):
    assert cpu_env.cpu_vendor(_cpuinfo(tmp_path, "AuthenticAMD")) == "AuthenticAMD"
    assert cpu_env.cpu_vendor(_cpuinfo(tmp_path, "GenuineIntel")) == "GenuineIntel"
    assert cpu_env.cpu_vendor(str(tmp_path / "missing")) == ""


def test_amd_gets_the_mkl_avx2_switch_intel_does_not(tmp_path):
    amd, intel = {}, {}
    assert cpu_env.tune(amd, _cpuinfo(tmp_path, "AuthenticAMD")) == {"KMP_BLOCKTIME": "1",
                                                                     "MKL_DEBUG_CPU_TYPE": "5"}
    assert amd == {"KMP_BLOCKTIME": "1", "MKL_DEBUG_CPU_TYPE": "5"}
    cpu_env.tune(intel, _cpuinfo(tmp_path, "GenuineIntel"))
    assert intel == {"KMP_BLOCKTIME": "1"}
    unknown = {}
    cpu_env.tune(unknown, str(tmp_path / "missing"))
    assert unknown == {"KMP_BLOCKTIME": "1"}


def test_values_the_user_set_are_kept(tmp_path):
    env = {"KMP_BLOCKTIME": "200", "MKL_DEBUG_CPU_TYPE": "0"}
    assert cpu_env.tune(env, _cpuinfo(tmp_path, "AuthenticAMD")) == {}
    assert env == {"KMP_BLOCKTIME": "200", "MKL_DEBUG_CPU_TYPE": "0"}


def test_importing_the_package_sets_nothing_and_session_config_sets_the_defaults():
    """tf1_gan's modules (the CLIs' imports included) leave os.environ alone; a training session's config sets them."""
    import os
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {k: v for k, v in os.environ.items() if k not in ("KMP_BLOCKTIME", "MKL_DEBUG_CPU_TYPE")}
    code = ("import os, tf1_gan, tf1_gan.train, tf1_gan.task, tf1_gan.sample, tf1_gan.devices as d; "
            "print(os.environ.get('KMP_BLOCKTIME')); d.session_config([None]); print(os.environ.get('KMP_BLOCKTIME'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, stdout=subprocess.PIPE,
                         universal_newlines=True, check=True).stdout.split()
    assert out == ["None", "1"]
