"""Where the replicas of the training step run: one device, or K towers on GPUs or virtual CPU devices.

The step builder (`train_step.build_step`) takes a list of device contexts, one per replica; this module makes
that list for in-graph replication. `[None]` is one device with TensorFlow's default placement (K = 1).
For K > 1, every variable op goes to the controller `/cpu:0` (one shared set of weights, Adam slots, BN
statistics and SN u/v) and every other op of replica i to `/gpu:i`, or to virtual CPU device `/cpu:i`
(`session_config` creates them) when no GPU is visible. The cluster worker passes its replica device setter
instead (`tf1_gan/cluster/worker_graph.py`).
"""
import tensorflow as tf

from common import training
from tf1_gan import cpu_env

CONTROLLER = "/cpu:0"
_VARIABLE_OPS = frozenset(["Variable", "VariableV2", "VarHandleOp", "AutoReloadVariable"])


def available_gpus():
    """Names of the GPUs TensorFlow can see in this process, e.g. ['/device:GPU:0'] (empty on CPU)."""
    from tensorflow.python.client import device_lib  # pylint: disable=import-outside-toplevel
    conf = tf.ConfigProto()
    conf.gpu_options.allow_growth = True  # listing devices must not grab all GPU memory
    return [d.name for d in device_lib.list_local_devices(conf) if d.device_type == "GPU"]


def tower_devices(num_towers, gpus=None):
    """The K compute devices: `/gpu:0..K-1` if K GPUs are visible, else virtual `/cpu:0..K-1`.

    Args:
      num_towers: K >= 1.
      gpus: visible GPU names (default: `available_gpus()`).

    Raises:
      ValueError: K < 1, or some GPUs are visible but fewer than K (silently doubling up towers on
        one GPU would hide exactly the problem of seed question 1c).
    """
    if num_towers < 1:
        raise ValueError("num_towers must be >= 1, got %d" % num_towers)
    gpus = available_gpus() if gpus is None else list(gpus)
    if gpus:
        if len(gpus) < num_towers:
            raise ValueError("%d towers requested but only %d GPU(s) visible (%s); check CUDA_VISIBLE_DEVICES, "
                             "nvidia-smi and the container runtime (docs/tf1_gan_parallel.md)"
                             % (num_towers, len(gpus), ", ".join(gpus)))
        return ["/gpu:%d" % i for i in range(num_towers)]
    return ["/cpu:%d" % i for i in range(num_towers)]


def for_towers(num_towers, gpus=None):
    """The device list of `tf1_gan.train --num-towers K`: [None] (default placement) for K = 1, else the K towers."""
    return [None] if num_towers == 1 else tower_devices(num_towers, gpus)


def pin_variables(compute_device):
    """Device function of one tower: variable ops on the controller, every other op on `compute_device`."""
    def place(op):
        return CONTROLLER if op.type in _VARIABLE_OPS else compute_device
    return place


def session_config(devices, threads=2):
    """A ConfigProto with the virtual CPU devices the towers need (plain for one device or GPU towers).

    It first sets `cpu_env`'s OpenMP/MKL defaults where unset: oneDNN builds read them when a session first runs
    their kernels (not when TensorFlow is imported), so every session configured here gets them.
    """
    cpu_env.tune()
    num_cpus = sum(1 for d in devices if d is not None and d.startswith("/cpu:"))
    if num_cpus <= 1:
        return training.session_config(threads)
    return training.session_config(threads, device_count={"CPU": num_cpus})
