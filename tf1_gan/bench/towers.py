"""Train-step throughput on K towers: `python -m tf1_gan.bench.towers --num-towers 1 2 4`.

Prints one line per K: `variant=<v> num_towers=<K> devices=<...> global_batch=<B> imgs_per_s=<f>` (images per
second of the one D-then-G step of tf1_gan.train_step built over K devices, median of 3 timed blocks after
warm-up). Without GPUs the towers are virtual CPU devices sharing the same cores, so on CPU this measures the
overhead of replication (K smaller matmuls, gradient averaging), not a speed-up.
"""
import sys

from common import cli, config, mnist
from tf1_gan import devices
from tf1_gan import model
from tf1_gan import options
from tf1_gan import train_graph
from tf1_gan.bench import steps

SCHEMA = config.Schema([
    config.Key("num_towers", (1, 2, 4), "tower counts K to measure", type=tuple, item_type=int),
    config.Key("variant", ("dcgan_bn",), "variants to time, one or more of: %s" % ", ".join(model.VARIANTS),
               type=tuple, item_type=str, choices=tuple(model.VARIANTS)),
    config.Key("steps", 20, "steps per timed block (3 blocks, median)", ge=1),
    config.Key("warmup", 5, "untimed steps first", ge=0),
    config.batch_size(64, "the GLOBAL batch (split over the towers)"),
    config.threads(2),
], checks=[lambda cfg: config.require(cfg.variant and cfg.num_towers, "give at least one --variant and --num-towers"),
           lambda cfg: config.require(all(k >= 1 for k in cfg.num_towers),
                                      "config key 'num_towers' must hold integers >= 1, got %s" % (cfg.num_towers,)),
           lambda cfg: config.require(all(cfg.batch_size % k == 0 for k in cfg.num_towers),
                                      "config key 'batch_size' (%d) must split evenly over every K of %s"
                                      % (cfg.batch_size, cfg.num_towers))])


def bench_towers(variant, num_towers, steps_per_block=20, warmup=5, batch_size=64, threads=2, images=None):
    """(imgs_per_s, devices) of the K-tower train step at global batch `batch_size`.

    Raises:
      ValueError: fewer GPUs visible than towers (tf1_gan.devices.tower_devices).
    """
    if images is None:
        images, _ = mnist.load_mnist("embedded", "train")
    cfg = options.train_config(variant=variant, batch_size=batch_size, num_towers=num_towers)
    placed = devices.tower_devices(num_towers)
    g = train_graph.build_train_graph(cfg, len(images), placed)
    g.graph.finalize()
    rate = steps.time_train_op(g, images, devices.session_config(placed, threads), steps_per_block, warmup,
                               batch_size)
    return rate, placed


@cli.entry_point
def main(argv=None):
    args = SCHEMA.parse(argv, description=__doc__.split("\n\n")[0])
    images, _ = mnist.load_mnist("embedded", "train")
    for variant in args.variant:
        for k in args.num_towers:
            try:
                rate, placed = bench_towers(variant, k, args.steps, args.warmup, args.batch_size, args.threads,
                                            images)
            except ValueError as err:  # GPUs visible but fewer than K
                raise config.ConfigError(str(err))
            print("variant=%s num_towers=%d devices=%s global_batch=%d imgs_per_s=%.1f"
                  % (variant, k, ",".join(placed), args.batch_size, rate), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
