# tf1-suite GPU image. The default base brings Python 3.6, CUDA 10.0 and tensorflow-gpu 1.15.5 (GPUs up to Turing).
# Build:  docker build -t tf1-suite .
#         docker build --build-arg BASE_IMAGE=nvcr.io/nvidia/tensorflow:23.03-tf1-py3 -t tf1-suite .
#         (NVIDIA's TF 1.15.5 build: CUDA 12.1, Python 3.8, for Ampere/Ada/Hopper; untested here, see README)
# Run:    docker run --gpus all --rm -v "$PWD/runs:/workspace/runs" tf1-suite python -m tf1_gan.train --variant dcgan_bn
ARG BASE_IMAGE=tensorflow/tensorflow:1.15.5-gpu-py3
FROM ${BASE_IMAGE}

# The base image's TensorFlow is the GPU build: install only the other packages, never a second TensorFlow.
# On Python 3.6 (the default base) they are this project's pins (requirements-common.txt + constraints.txt).
# Elsewhere those pins do not apply (they are what Python 3.6 resolved), so the same packages are installed with
# every package the base already has held at its version: its numpy and protobuf were built for its TensorFlow.
WORKDIR /workspace
COPY requirements-common.txt constraints.txt /tmp/
RUN if python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 6))'; then \
      python -m pip install --no-cache-dir -r /tmp/requirements-common.txt -c /tmp/constraints.txt; \
    else \
      python -m pip list --format=freeze > /tmp/base.txt \
      && sed -e 's/[ =].*//' -e '/^#/d' -e '/^$/d' /tmp/requirements-common.txt > /tmp/names.txt \
      && python -m pip install --no-cache-dir -r /tmp/names.txt -c /tmp/base.txt; \
    fi \
    && rm -f /tmp/requirements-common.txt /tmp/constraints.txt /tmp/base.txt /tmp/names.txt

# Run as a non-root user (uid 1000); outputs go to the runs/ volume. Only the folders made here change owner
# (NVIDIA's images keep their own files in /workspace).
RUN useradd --create-home --uid 1000 tf1 \
    && mkdir -p /workspace/runs /workspace/reports /workspace/data/full \
    && chown tf1:tf1 /workspace /workspace/runs /workspace/reports /workspace/data /workspace/data/full
COPY --chown=tf1:tf1 . /workspace
USER 1000:1000

ENV PYTHONHASHSEED=0 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    MPLBACKEND=Agg
# Outputs go to the runs/ volume; full MNIST can be mounted read-only at /workspace/data/full.
VOLUME ["/workspace/runs"]
EXPOSE 6006
CMD ["python", "-m", "pytest", "-q", "-m", "not slow"]
