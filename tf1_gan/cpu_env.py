"""CPU runtime settings for TF builds with oneDNN/MKL, set as environment defaults before a session starts.

`tune()` is called by `tf1_gan.devices.session_config` (every tf1_gan training and benchmark session) and by the
cluster entry point; importing tf1_gan sets nothing. OpenMP and MKL read these variables when they initialize,
at the first kernel a session runs, not when TensorFlow is imported.

Both are read only by `intel-tensorflow` (`make setup-onednn`); the stock wheel ignores them. A value the
user already set is kept. Measurements: docs/tf1_gan.md, Speed.

- KMP_BLOCKTIME=1 (ms): Intel's OpenMP default lets idle threads spin for 200 ms; with another process on
  one of the 2 cores that made every variant 1.4-2.5x slower than 1 ms does (no difference when idle).
- MKL_DEBUG_CPU_TYPE=5, on AMD CPUs only: the MKL 2019 library in that build (libmklml_intel, used for
  MatMul) picks its slow generic code path on any CPU whose vendor is not Intel; this undocumented switch,
  honoured by MKL up to 2020.0, selects its AVX2 kernels. It doubled the dense variants' speed on an AMD
  EPYC. On Intel CPUs it would force AVX2 instead of AVX-512, so it is not set there.
"""
import os

CPUINFO = "/proc/cpuinfo"


def cpuinfo_field(key, cpuinfo=CPUINFO):
    """The first value of `key` in /proc/cpuinfo ("vendor_id", "model name", ...); "" where it cannot be read."""
    try:
        with open(cpuinfo) as f:
            for line in f:
                name, _, value = line.partition(":")
                if name.strip() == key:
                    return value.strip()
    except OSError:
        pass
    return ""


def cpu_vendor(cpuinfo=CPUINFO):
    """"GenuineIntel", "AuthenticAMD", ... or ""."""
    return cpuinfo_field("vendor_id", cpuinfo)


def settings(vendor):
    """{variable: value} this module sets by default on a CPU of `vendor`."""
    out = {"KMP_BLOCKTIME": "1"}
    if vendor == "AuthenticAMD":
        out["MKL_DEBUG_CPU_TYPE"] = "5"
    return out


def tune(environ=None, cpuinfo=CPUINFO):
    """Sets settings(cpu_vendor()) in `environ` (default os.environ) where unset; returns what it set."""
    environ = os.environ if environ is None else environ
    done = {}
    for key, value in settings(cpu_vendor(cpuinfo)).items():
        if key not in environ:
            environ[key] = done[key] = value
    return done
