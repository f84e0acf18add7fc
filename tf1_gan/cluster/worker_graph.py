"""The graph of one worker task: the training step of `tf1_gan.train_step` on this worker's replica device.

Between-graph replication: each worker builds the whole graph under `tf.train.replica_device_setter`, so the
variables live on the ps tasks and the compute on this worker. Worker i takes slice i of the step's global batch
and z (the same stateless draws as one device); `train_step.build_step` builds the D-then-G step with one replica
(the worker) and a `SyncUpdate` in place of Adam on the controller:

  * each update goes through a `tf.train.SyncReplicasOptimizer`: the workers' gradients meet in
    ConditionalAccumulators on the ps, the chief's queue runner averages one gradient per worker, applies Adam
    and releases one token per worker (D's update, then G's through the updated D: two optimizers per step). Both
    share one hard-coded token-queue name ("sync_token_q"), so each lives in its own resource container;
  * spectral norm: every worker only READS u, v (`sn_in_step=False`); the power iteration runs once per step
    inside the chief's synchronous G update, after every worker has read, on the just-updated weights. The (u, v)
    computed at the end of step t-1 from W_t are what one device computes at the start of step t, so sigma
    matches; a fresh run advances u once after initialization for the same reason (`sn_init_update`);
  * batch norm: per-worker statistics; the moving averages are updated by the chief only (`keeps_state`).
"""
import collections

import tensorflow as tf

from common import training
from tf1_gan import losses
from tf1_gan import model
from tf1_gan import spectral_norm as sn
from tf1_gan import train_graph
from tf1_gan import train_step

WorkerGraph = collections.namedtuple("WorkerGraph", [
    "graph", "data_images", "data_init", "init_op", "local_init_op", "ready_op", "ready_for_local_init_op",
    "sn_init_update", "chief_init_ops", "chief_queue_runners", "worker_init_ops", "global_step", "train_op",
    "d_loss", "g_loss", "sigmas", "train_summary", "fixed_samples"])


def done_queue(ps_task):
    """A queue on ps task `ps_task` where each worker leaves one token when it ends (so the ps can exit)."""
    with tf.device("/job:ps/task:%d" % ps_task):
        return tf.FIFOQueue(1000, [tf.int32], shapes=[[]], name="done_queue_%d" % ps_task,
                            shared_name="done_queue_%d" % ps_task)


class _ApplyThen(object):
    """Optimizer wrapper for SyncReplicasOptimizer: apply the aggregated gradients, then run `after()`'s
    ops, then increment global_step - all inside the chief's single synchronous update."""

    def __init__(self, optimizer, after):
        self._opt = optimizer
        self._after = after

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):  # pylint: disable=unused-argument
        apply = self._opt.apply_gradients(grads_and_vars)
        with tf.control_dependencies([apply]):
            extra = self._after()
        with tf.control_dependencies([extra]):
            return tf.assign_add(global_step, 1).op

    def __getattr__(self, name):
        return getattr(self._opt, name)


def sn_power_iteration():
    """One op advancing every spectral-norm (u, v) of the graph by one power iteration on the current
    kernels (sn.spectral_norm's own assign, reconnected to each layer's variables); no_op without SN."""
    variables = {v.op.name: v for v in tf.global_variables()}
    updates = []
    for name in sorted(variables):
        if not name.endswith("/spectral_norm/u"):
            continue
        layer = name[:-len("/spectral_norm/u")]
        before = len(tf.get_collection(sn.SN_UPDATE_OPS))
        with tf.variable_scope(layer, reuse=True, auxiliary_name_scope=False), \
                tf.name_scope("sn_power_iteration/%s/" % layer):
            sn.spectral_norm(variables[layer + "/kernel"], training=True, warmup_iterations=0)
        updates += tf.get_collection(sn.SN_UPDATE_OPS)[before:]
    return tf.group(*updates, name="sn_power_iteration")


class SyncUpdate(object):
    """`train_step`'s update for a cluster worker: the D and G steps through two SyncReplicasOptimizers.

    `train_op` evaluates to the G token, i.e. the global step after this step's update.
    """

    def __init__(self, lr, beta1, beta2, global_step, d_counter, num_workers):
        self.lr, self.beta1, self.beta2 = lr, beta1, beta2
        self.global_step, self.d_counter = global_step, d_counter
        self.num_workers = num_workers
        self.d_sync = self.g_sync = None

    def _adam(self, name):
        return tf.train.AdamOptimizer(self.lr, beta1=self.beta1, beta2=self.beta2, name=name)

    def apply_d(self, grads_and_vars, with_ops):
        with tf.container("sync-d"):
            self.d_sync = tf.train.SyncReplicasOptimizer(
                self._adam("d_adam"), replicas_to_aggregate=self.num_workers, total_num_replicas=self.num_workers,
                name="d_sync")
            token = self.d_sync.apply_gradients(grads_and_vars, global_step=self.d_counter)  # D's own counter
        # apply_gradients also makes a readiness op for MonitoredTrainingSession; unused here (no warning on exit).
        self.d_sync.ready_for_local_init_op.mark_used()
        return tf.group(token, *with_ops, name="d_step")

    def apply_g(self, grads_and_vars, with_ops):
        # Not under the D step's control dependency: the chief's queue runner must not wait for a worker's token.
        with tf.container("sync-g"):
            self.g_sync = tf.train.SyncReplicasOptimizer(
                _ApplyThen(self._adam("g_adam"), sn_power_iteration), replicas_to_aggregate=self.num_workers,
                total_num_replicas=self.num_workers, name="g_sync")
            token = self.g_sync.apply_gradients(grads_and_vars, global_step=self.global_step)
        self.g_sync.ready_for_local_init_op.mark_used()
        with tf.control_dependencies(with_ops):  # the chief's BN moving averages
            return tf.identity(token, name="train_op")  # (), the global step after this step

    def chief_init_ops(self):
        # No initial tokens: every worker must push its step-0 gradients before anyone gets a token, and from
        # then on all workers wait in the token queue at each update, so each update averages exactly one
        # gradient per worker (with the default N initial tokens a fast chief could fill a whole aggregation
        # alone while the others are still starting).
        return [self.d_sync.chief_init_op, self.g_sync.chief_init_op,
                self.d_sync.get_init_tokens_op(0), self.g_sync.get_init_tokens_op(0)]


def build_worker_graph(cfg, spec, task_index, num_examples):
    """The graph of worker `task_index` (chief: 0).

    Args:
      cfg: config with variant, sn_scope, init, bn_epsilon, conv_impl, loss, batch_size (global, divisible by
        the worker count), lr, beta1, beta2, seed.
      spec: {"ps": [...], "worker": [...]}.
      task_index: this worker.
      num_examples: N of the uint8 dataset fed to `data_init` (kept on the worker, not the ps).

    Returns:
      WorkerGraph (not finalized). `train_op` evaluates to the global step after the step.
    """
    variant = model.variant_from_config(cfg)
    num_workers = len(spec["worker"])
    per_worker = cfg.batch_size // num_workers
    is_chief = task_index == 0
    worker_device = "/job:worker/task:%d" % task_index
    graph = tf.Graph()
    with graph.as_default():
        training.seed_everything(cfg.seed)
        setter = tf.train.replica_device_setter(cluster=tf.train.ClusterSpec(spec), worker_device=worker_device)
        with tf.device(setter):
            new_counter = lambda name, coll: tf.get_variable(  # noqa: E731
                name, [], tf.int64, tf.zeros_initializer(), trainable=False, use_resource=True,
                collections=[tf.GraphKeys.GLOBAL_VARIABLES] + coll)
            global_step = new_counter("global_step", [tf.GraphKeys.GLOBAL_STEP])
            d_counter = new_counter("d_sync_step", [])  # D's SyncReplicasOptimizer needs its own step
            with tf.device(worker_device), tf.name_scope("data"):
                data_images = tf.placeholder(tf.uint8, [num_examples, 28, 28], name="images")
                # In no collection: initialized by feeding data_init, never by the session manager.
                dataset = tf.Variable(data_images, trainable=False, collections=[], name="dataset")
                lo, hi = task_index * per_worker, (task_index + 1) * per_worker
                idx = training.batch_indices(num_examples, cfg.batch_size, cfg.seed, global_step,
                                             train_graph.STREAM_DATA)[lo:hi]  # this worker's slice
                real = tf.expand_dims(tf.cast(tf.gather(dataset, idx), tf.float32) / 127.5 - 1.0, -1)  # (b, 28, 28, 1)
                z = tf.random.stateless_normal([cfg.batch_size, model.Z_DIM], seed=training.stateless_seed(
                    cfg.seed, global_step, train_graph.STREAM_Z))[lo:hi]  # (b, Z_DIM)
            update = SyncUpdate(cfg.lr, cfg.beta1, cfg.beta2, global_step, d_counter, num_workers)
            step = train_step.build_step(real, z, variant, losses.objective(cfg), [setter], update, controller=setter,
                                         sn_in_step=False, keeps_state=is_chief)
            sn_init_update = sn_power_iteration()
            sampling = train_graph.build_sampling(cfg, variant)
            summary = train_step.train_summary(step)
            chief_init_ops = update.chief_init_ops()
        ready_op = tf.report_uninitialized_variables()
        ready_for_local_init_op = tf.report_uninitialized_variables(tf.global_variables())
        for tensor in (ready_op, ready_for_local_init_op):  # run by the session manager (no warning if unused)
            tensor.mark_used()
        return WorkerGraph(
            graph=graph, data_images=data_images, data_init=dataset.initializer,
            init_op=tf.global_variables_initializer(), local_init_op=tf.local_variables_initializer(),
            ready_op=ready_op, ready_for_local_init_op=ready_for_local_init_op,
            sn_init_update=sn_init_update, chief_init_ops=chief_init_ops,
            chief_queue_runners=[update.d_sync.get_chief_queue_runner(), update.g_sync.get_chief_queue_runner()],
            worker_init_ops=[update.d_sync.local_step_init_op, update.g_sync.local_step_init_op],
            global_step=global_step, train_op=step.train_op, d_loss=step.d_loss, g_loss=step.g_loss,
            sigmas=step.sigmas, train_summary=summary, fixed_samples=sampling["fixed_samples"])
