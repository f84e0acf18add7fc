"""tf1_gan on TensorFlow 1.15's distributed runtime: one ps + N worker processes, synchronous D-then-G steps.

`train.py` (one ps or worker task, `python -m tf1_gan.cluster.train`), `worker_graph.py` (a worker's graph: the
one training step of tf1_gan.train_step on its replica device, with synchronous-replica updates) and `demo.py`
(a loopback cluster of separate processes, `make cluster-demo`).
"""
