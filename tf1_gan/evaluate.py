"""Sample quality without looking: an MNIST classifier of our own, FID on its features, digit histogram.

`python -m tf1_gan.evaluate RUN_DIR...` evaluates runs, training the classifier first if it has no finished run
(`python -m tf1_gan.classifier`, runs/tf1_gan/classifier; `--train-classifier` retrains it from scratch).

FID here = Frechet distance between Gaussians fitted to the classifier's 128-d penultimate features of
generated and of real training images. It is not comparable with Inception-FID numbers from papers; the
real-data floor (test images vs training images, same sample count) shows what "as good as data" is.
"""
import os
import sys

import numpy as np

from common import cli, config, errors, files, mnist
from tf1_gan import classifier
from tf1_gan import model
from tf1_gan import options
from tf1_gan import sample

CONFIDENT = 0.9  # a prediction is "confident" when its top softmax probability exceeds this


def classify(clf, images, chunk=500):
    """images float32 (N, 28, 28) in [-1, 1] -> (features (N, 128), probabilities (N, 10))."""
    feats, logits = [], []
    for i in range(0, len(images), chunk):
        f, l = clf.session.run([clf.features, clf.logits], {clf.images: images[i:i + chunk, :, :, None]})
        feats.append(f)
        logits.append(l)
    logits = np.concatenate(logits).astype(np.float64)
    probs = np.exp(logits - logits.max(1, keepdims=True))
    return np.concatenate(feats).astype(np.float64), probs / probs.sum(1, keepdims=True)


def _sqrtm_psd(mat):
    vals, vecs = np.linalg.eigh(mat)
    return (vecs * np.sqrt(np.clip(vals, 0.0, None))) @ vecs.T


def frechet_distance(mu1, cov1, mu2, cov2):
    """||mu1 - mu2||^2 + Tr(C1 + C2 - 2 (C1 C2)^1/2), with Tr((C1 C2)^1/2) = Tr((S1 C2 S1)^1/2), S1 = C1^1/2.

    The symmetric form needs only eigh (no scipy): C1 C2 is similar to S1 C2 S1, which is PSD.
    """
    s1 = _sqrtm_psd(cov1)
    middle = np.linalg.eigvalsh(s1 @ cov2 @ s1)
    tr_sqrt = np.sqrt(np.clip(middle, 0.0, None)).sum()
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(cov1) + np.trace(cov2) - 2.0 * tr_sqrt)


def fid_from_features(f1, f2):
    return frechet_distance(f1.mean(0), np.cov(f1, rowvar=False), f2.mean(0), np.cov(f2, rowvar=False))


def sample_stats(probs):
    """Digit histogram (fractions of argmax predictions), confident fraction, digits covered (>= 2%)."""
    hist = np.bincount(probs.argmax(1), minlength=10) / float(len(probs))
    return {"digit_histogram": [round(float(h), 4) for h in hist],
            "confident_fraction": float((probs.max(1) > CONFIDENT).mean()),
            "digits_covered": int((hist >= 0.02).sum())}


def real_reference(clf, n, data_source="auto"):
    """Train-set features (the FID reference) and the real-data floor: FID(test[:n], train)."""
    train_images, _ = mnist.load_mnist(data_source, "train")
    test_images, _ = mnist.load_mnist(data_source, "test")
    train_feats, _ = classify(clf, mnist.to_float(train_images))
    test_feats, test_probs = classify(clf, mnist.to_float(test_images[:n]))
    floor = dict(sample_stats(test_probs), fid=fid_from_features(test_feats, train_feats), n=int(len(test_feats)))
    return train_feats, floor


def evaluate_run(run_dir, n=2000, seed=0, threads=2, clf=None, reference=None):
    """Metrics of a run's latest generator: fid, confident_fraction, digit histogram (+ *_batchstats for BN G).

    Sessions it opens (the sampler's, and the classifier's when `clf` is not given) are closed however it ends.
    """
    own = clf is None
    clf = clf or classifier.load_classifier(threads=threads)
    try:
        try:
            train_feats, floor = reference or real_reference(clf, n)
        except mnist.DataError as err:
            raise errors.DataError(str(err))
        sampler = sample.load_sampler(run_dir, threads)
        try:
            out = {"real_floor_fid": floor["fid"], "eval_samples": n}
            modes = ("moving", "batch") if model.has_bn(sampler.variant.g_norm) else ("moving",)
            for mode in modes:
                feats, probs = classify(clf, sample.generate(sampler, n, seed + 12345, bn=mode))
                suffix = "" if mode == "moving" else "_batchstats"
                stats = dict(sample_stats(probs), fid=fid_from_features(feats, train_feats))
                out.update({k + suffix: v for k, v in stats.items()})
        finally:
            sampler.session.close()
    finally:
        if own:
            clf.session.close()
    return out


@cli.entry_point
def main(argv=None):
    parser = config.arg_parser(__doc__.split("\n\n")[0], prog="python -m tf1_gan.evaluate")
    parser.add_argument("run_dirs", nargs="*", help="tf1_gan run dirs to evaluate (a finished run's metrics.json "
                        "is updated)")
    parser.add_argument("--train-classifier", action="store_true", help="retrain the classifier from scratch "
                        "(python -m tf1_gan.classifier --restart) before evaluating")
    parser.add_argument("--n", type=config.at_least(2), default=2000, help="samples per evaluation")
    args = parser.parse_args(argv)
    for run_dir in args.run_dirs:  # every run dir is checked (through the schema) before anything is computed
        options.TRAIN.load_saved(run_dir, complete=True)
    if args.train_classifier:
        metrics = classifier.train(restart=True)
        print("classifier test_accuracy=%.4f saved in %s" % (metrics["test_accuracy"], classifier.CLASSIFIER_DIR))
    if not args.run_dirs:
        return 0
    clf = classifier.load_classifier()
    try:
        _evaluate_and_record(args.run_dirs, args.n, clf)
    finally:
        clf.session.close()
    return 0


def _evaluate_and_record(run_dirs, n, clf):
    """Evaluates each run and merges the numbers into a finished run's metrics.json."""
    try:
        reference = real_reference(clf, n)
    except mnist.DataError as err:
        raise errors.DataError(str(err))
    print("real_floor fid=%.3f confident_fraction=%.3f" % (reference[1]["fid"], reference[1]["confident_fraction"]))
    for run_dir in run_dirs:
        metrics = evaluate_run(run_dir, n, clf=clf, reference=reference)
        path = os.path.join(run_dir, "metrics.json")
        if os.path.exists(path):  # a stopped run has no metrics.json and gets none
            merged = files.read_json(path)
            merged.update(metrics)
            files.write_json(path, merged)
        else:
            sys.stderr.write("%s has no metrics.json (the run did not finish): printed, not written\n" % run_dir)
        print("%s %s" % (run_dir, " ".join("%s=%s" % (k, round(v, 4) if isinstance(v, float) else v)
                                          for k, v in sorted(metrics.items()) if not isinstance(v, list))))


if __name__ == "__main__":
    sys.exit(main())
