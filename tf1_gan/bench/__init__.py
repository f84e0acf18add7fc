"""tf1_gan's speed benchmarks (they print numbers; tests never time anything).

`python -m tf1_gan.bench` (`steps.py`: images/s of the train step per variant), `python -m tf1_gan.bench.towers`
(the same step on K towers), `python -m tf1_gan.bench.conv` (each convolution pass, TF's ops vs conv_ops).
The PyTorch yardstick they are compared with lives in `tools/torch_reference_bench.py` (it needs torch).
"""
