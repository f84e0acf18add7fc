"""PyTorch reference for the speed comparison in docs/tf1_gan.md — a tool, NOT part of the TF package.

Needs PyTorch, which is not a dependency of this repository; it runs in its own Python >= 3.10 venv,
which `make bench-compare` builds (.venv-torch, requirements-bench-torch.txt) before alternating this
script with `python -m tf1_gan.bench` (tools/gan_speed_table.py). By hand:
    .venv-torch/bin/python tools/torch_reference_bench.py [--variant V ...] [--steps N]
Prints `framework=torch variant=<v> imgs_per_s=<f>` per variant: the same networks as tf1_gan/model.py
(shapes, LeakyReLU 0.2, BN eps/momentum), Adam 2e-4 (0.5, 0.999), batch 64, 2 threads, the PyTorch-GAN
loop (G step, then D step on the same fakes: one G forward, three D forwards per step, like ours).
For dcgan_sn it uses torch.nn.utils.spectral_norm: this file is a speed yardstick for the other
framework, not our implementation (ours is tf1_gan/spectral_norm.py).
"""
import argparse
import gzip
import os
import time

import numpy as np
import torch
from torch import nn

VARIANTS = ("linear", "linear_bn", "dcgan_bn", "dcgan_sn")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_images():
    with gzip.open(os.path.join(ROOT, "data", "mnist10k", "train-images-idx3-ubyte.gz"), "rb") as f:
        raw = np.frombuffer(f.read(), np.uint8, offset=16)
    return torch.from_numpy(raw.reshape(-1, 1, 28, 28).astype(np.float32) / 127.5 - 1.0)


def lrelu():
    return nn.LeakyReLU(0.2)


def networks(variant):
    sn = nn.utils.spectral_norm if variant == "dcgan_sn" else (lambda m: m)
    if variant in ("linear", "linear_bn"):
        def block(i, o, bn):
            return [nn.Linear(i, o)] + ([nn.BatchNorm1d(o, eps=0.8, momentum=0.1)] if bn else []) + [lrelu()]
        bn = variant == "linear_bn"
        g = nn.Sequential(*block(100, 128, False), *block(128, 256, bn), *block(256, 512, bn),
                          *block(512, 1024, bn), nn.Linear(1024, 784), nn.Tanh(), nn.Unflatten(1, (1, 28, 28)))
        d = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), lrelu(), nn.Linear(512, 256), lrelu(), nn.Linear(256, 1))
        return g, d

    def norm(c, two_d=True):
        if variant == "dcgan_sn":
            return nn.Identity()
        return nn.BatchNorm2d(c, eps=1e-5, momentum=0.1) if two_d else nn.BatchNorm1d(c, eps=1e-5, momentum=0.1)
    g = nn.Sequential(
        sn(nn.Linear(100, 7 * 7 * 256, bias=variant == "dcgan_sn")), norm(7 * 7 * 256, False), lrelu(),
        nn.Unflatten(1, (256, 7, 7)),
        sn(nn.ConvTranspose2d(256, 128, 5, 1, 2, bias=variant == "dcgan_sn")), norm(128), lrelu(),
        sn(nn.ConvTranspose2d(128, 64, 5, 2, 2, output_padding=1, bias=variant == "dcgan_sn")), norm(64), lrelu(),
        sn(nn.ConvTranspose2d(64, 1, 5, 2, 2, output_padding=1)), nn.Tanh())
    d = nn.Sequential(
        sn(nn.Conv2d(1, 64, 5, 2, 2)), lrelu(),
        sn(nn.Conv2d(64, 128, 5, 2, 2, bias=variant == "dcgan_sn")), norm(128), lrelu(),
        nn.Flatten(), sn(nn.Linear(7 * 7 * 128, 1)))
    return g, d


def bench(variant, images, steps, warmup, batch=64):
    torch.manual_seed(0)
    g, d = networks(variant)
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)
    n = len(images)

    def step(i):
        real = images[torch.randint(0, n, (batch,))]
        fake = g(torch.randn(batch, 100))
        opt_g.zero_grad()
        bce(d(fake), ones).backward()
        opt_g.step()
        opt_d.zero_grad()
        (0.5 * (bce(d(real), ones) + bce(d(fake.detach()), zeros))).backward()
        opt_d.step()

    for i in range(warmup):
        step(i)
    rates = []
    for _ in range(3):
        t0 = time.time()
        for i in range(steps):
            step(i)
        rates.append(steps * batch / (time.time() - t0))
    return float(np.median(rates))


def _at_least(low):
    def convert(text):
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if value < low:
            raise argparse.ArgumentTypeError("must be an integer >= %d, got %r" % (low, text))
        return value
    return convert


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--variant", choices=VARIANTS, nargs="+", default=list(VARIANTS), help="variants to time")
    parser.add_argument("--steps", type=_at_least(1), default=10, help="timed steps per block (3 blocks, median)")
    parser.add_argument("--warmup", type=_at_least(0), default=5, help="untimed steps first")
    parser.add_argument("--threads", type=_at_least(1), default=2, help="torch intra- and inter-op threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(args.threads)
    images = load_images()
    for variant in args.variant:
        print("framework=torch variant=%s imgs_per_s=%.1f" % (variant, bench(variant, images, args.steps,
                                                                             args.warmup)), flush=True)


if __name__ == "__main__":
    main()
