"""The worker graph of tf1_gan/distributed.py (between-graph replication, synchronous D then G steps).

Kept apart from the process/session code so it can be read (and built in a test) on its own.
"""
import collections

import tensorflow as tf

from common import training
from tf1_gan import graph as gan_graph
from tf1_gan import losses
from tf1_gan import model
from tf1_gan import parallel
from tf1_gan import spectral_norm as sn

WorkerGraph = collections.namedtuple("WorkerGraph", [
    "graph", "data_images", "data_init", "init_op", "local_init_op", "ready_op", "ready_for_local_init_op",
    "sn_init_update", "chief_init_ops", "chief_queue_runners", "worker_init_ops", "global_step", "train_op",
    "d_loss", "g_loss", "sigmas", "train_summary", "fixed_samples", "done_ops"])


def done_queue(ps_task):
    """A queue on ps task `ps_task` where each finished worker leaves one token (so the ps can exit)."""
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


def build_worker_graph(cfg, spec, task_index, num_examples):
    """The graph of worker `task_index` (chief: 0).

    Args:
      cfg: config with variant, sn_scope, loss, batch_size (global, divisible by the worker count), lr,
        beta1, beta2, seed.
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
    _, g_loss_fn = losses.get_loss(cfg.loss)
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
                                             gan_graph.STREAM_DATA)[lo:hi]  # this worker's slice
                real = tf.expand_dims(tf.cast(tf.gather(dataset, idx), tf.float32) / 127.5 - 1.0, -1)  # (b, 28, 28, 1)
                z = tf.random.stateless_normal([cfg.batch_size, model.Z_DIM], seed=training.stateless_seed(
                    cfg.seed, global_step, gan_graph.STREAM_Z))[lo:hi]  # (b, Z_DIM)
            # SN in read mode on every worker (lead_updates=[]): u moves only in sn_power_iteration.
            tower = parallel.tower_forward(real, z, variant, cfg.loss, lead_updates=[])
            g_vars, d_vars = model.split_variables()
            d_grads = tf.gradients(tower.losses.d_loss, d_vars)
            with tf.container("sync-d"):
                d_sync = tf.train.SyncReplicasOptimizer(
                    tf.train.AdamOptimizer(cfg.lr, beta1=cfg.beta1, beta2=cfg.beta2, name="d_adam"),
                    replicas_to_aggregate=num_workers, total_num_replicas=num_workers, name="d_sync")
                d_token = d_sync.apply_gradients(list(zip(d_grads, d_vars)), global_step=d_counter)
            d_done = tf.group(d_token, *(tower.bn_updates["d"] if is_chief else []), name="d_step")
            with tf.control_dependencies([d_done]), tf.name_scope("g_train"):
                # Built after D's token: resource reads see the aggregated D update.
                logits, new = gan_graph.collect_new_ops(
                    lambda: model.discriminator(tower.fake, variant, training=True, update_sn=False))
                g_loss = g_loss_fn(logits)
                g_grads = tf.gradients(g_loss, g_vars)
            # Outside the control dependency: the chief's queue runner must not wait for a worker's token.
            with tf.container("sync-g"):
                g_sync = tf.train.SyncReplicasOptimizer(
                    _ApplyThen(tf.train.AdamOptimizer(cfg.lr, beta1=cfg.beta1, beta2=cfg.beta2, name="g_adam"),
                               sn_power_iteration),
                    replicas_to_aggregate=num_workers, total_num_replicas=num_workers, name="g_sync")
                g_token = g_sync.apply_gradients(list(zip(g_grads, g_vars)), global_step=global_step)
            chief_bn = tower.bn_updates["g"] + new[tf.GraphKeys.UPDATE_OPS] if is_chief else []
            with tf.control_dependencies(chief_bn):
                train_op = tf.identity(g_token, name="train_op")  # (), the global step after this step
            sn_init_update = sn_power_iteration()
            sampling = gan_graph.build_sampling(cfg, variant)
            summaries = [tf.summary.scalar("loss/d", tower.losses.d_loss), tf.summary.scalar("loss/g", g_loss),
                         tf.summary.scalar("d/real", tf.reduce_mean(tf.sigmoid(tower.real_logits))),
                         tf.summary.scalar("d/fake", tf.reduce_mean(tf.sigmoid(tower.fake_logits)))]
            summaries += [tf.summary.scalar("sn/sigma/" + n, s) for n, s in tower.sigmas]
            # No initial tokens: every worker must push its step-0 gradients before anyone gets a token,
            # and from then on all workers wait in the token queue at each update, so each update
            # averages exactly one gradient per worker (with the default N initial tokens a fast chief
            # could fill a whole aggregation alone while the others are still starting).
            chief_init_ops = [d_sync.chief_init_op, g_sync.chief_init_op,
                              d_sync.get_init_tokens_op(0), g_sync.get_init_tokens_op(0)]
        done_ops = tf.group(*[done_queue(i).enqueue(task_index) for i in range(len(spec["ps"]))])
        return WorkerGraph(
            graph=graph, data_images=data_images, data_init=dataset.initializer,
            init_op=tf.global_variables_initializer(), local_init_op=tf.local_variables_initializer(),
            ready_op=tf.report_uninitialized_variables(),
            ready_for_local_init_op=tf.report_uninitialized_variables(tf.global_variables()),
            sn_init_update=sn_init_update, chief_init_ops=chief_init_ops,
            chief_queue_runners=[d_sync.get_chief_queue_runner(), g_sync.get_chief_queue_runner()],
            worker_init_ops=[d_sync.local_step_init_op, g_sync.local_step_init_op], global_step=global_step,
            train_op=train_op, d_loss=tower.losses.d_loss, g_loss=g_loss, sigmas=tower.sigmas,
            train_summary=tf.summary.merge(summaries), fixed_samples=sampling["fixed_samples"], done_ops=done_ops)
