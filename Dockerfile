# tf1-suite GPU image: Python 3.6, CUDA 10.0, tensorflow-gpu 1.15.5 come with the base image.
# Build:  docker build -t tf1-suite .
# Run:    docker run --gpus all --rm -v "$PWD/runs:/workspace/runs" tf1-suite python -m tf1_gan.train --variant dcgan_bn
FROM tensorflow/tensorflow:1.15.5-gpu-py3

# The base image's TensorFlow is the GPU build: install only the other pins, never a second TensorFlow.
WORKDIR /workspace
COPY requirements-common.txt constraints.txt /tmp/
RUN python -m pip install --no-cache-dir -r /tmp/requirements-common.txt -c /tmp/constraints.txt \
    && rm /tmp/requirements-common.txt /tmp/constraints.txt

# Run as a non-root user (uid 1000); outputs go to the runs/ volume.
RUN useradd --create-home --uid 1000 tf1 \
    && mkdir -p /workspace/runs /workspace/reports /workspace/data/full \
    && chown -R tf1:tf1 /workspace
COPY --chown=tf1:tf1 . /workspace
USER 1000:1000

ENV PYTHONHASHSEED=0 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    MPLBACKEND=Agg
# Outputs go to the runs/ volume; full MNIST can be mounted read-only at /workspace/data/full.
VOLUME ["/workspace/runs"]
EXPOSE 6006
CMD ["python", "-m", "pytest", "-q", "-m", "not slow"]
