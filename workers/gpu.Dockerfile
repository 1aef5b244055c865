# syntax=docker/dockerfile:1
# hpo's GPU worker image: CUDA's runtime libraries, Python 3.12 and hpo. Build it from the repository's root:
#
#   docker build -f workers/gpu.Dockerfile -t hpo:gpu .
#
# It starts `celery -A hpo.workers worker -Q gpu` with one slot per GPU the container sees (HPO_GPUS is
# set from nvidia-smi -L or NVIDIA_VISIBLE_DEVICES: workers/entrypoint.sh). Run it with GPUs:
#   docker run --gpus all -e HPO_BROKER_URL=redis://:PASSWORD@redis-host:6379/0 -e HPO_OBJECTIVE_MODULES=mypkg.objectives hpo:gpu
#
# Your objectives (and your framework: torch, jax...) go on top, in one of two ways:
#   1. a build arg, pip's arguments:
#        docker build -f workers/gpu.Dockerfile --build-arg OBJECTIVE_PACKAGES="torch==2.5.1 mypkg==1.2.0" -t hpo:gpu .
#   2. an image of your own FROM this one:
#        FROM hpo:gpu
#        USER root
#        COPY . /tmp/mypkg
#        RUN pip install --no-cache-dir /tmp/mypkg && rm -rf /tmp/mypkg
#        USER 10001:10001
#        ENV HPO_OBJECTIVE_MODULES=mypkg.objectives
# Never put a token in a build arg (the image's history shows it): use `RUN --mount=type=secret`.
# Pick a CUDA version your framework's wheels and the hosts' driver support (nvidia-smi shows the driver's
# highest CUDA version); the base image is pinned by its full tag; to pin its digest too, pass
#   --build-arg BASE_IMAGE=nvidia/cuda:12.6.3-runtime-ubuntu24.04@sha256:<digest of `docker buildx imagetools inspect TAG`>
ARG BASE_IMAGE=nvidia/cuda:12.6.3-runtime-ubuntu24.04
FROM ${BASE_IMAGE}

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/hpo \
    PATH=/opt/hpo/bin:$PATH \
    PYTHONPATH=/opt/hpo/examples

# Ubuntu 24.04's Python is 3.12. tini is PID 1: it passes SIGTERM (Celery's warm shutdown) on to the
# worker and reaps orphans.
# Distribution packages are not pinned (DL3008): their security updates replace the old versions.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv tini \
    && rm -rf /var/lib/apt/lists/* \
    && python3 -m venv /opt/hpo \
    && useradd --create-home --uid 10001 --user-group --shell /usr/sbin/nologin hpo

COPY pyproject.toml README.md /tmp/hpo-src/
COPY hpo /tmp/hpo-src/hpo
RUN pip install "/tmp/hpo-src[postgresql,dashboard]" && rm -rf /tmp/hpo-src

# The example objective of README's Deploy section (HPO_OBJECTIVE_MODULES=quadratic).
COPY examples/quadratic.py /opt/hpo/examples/quadratic.py
COPY --chmod=755 workers/entrypoint.sh /usr/local/bin/hpo-entrypoint

ARG OBJECTIVE_PACKAGES=""
# Your packages, as you pin them (DL3013); split into pip's arguments on purpose (SC2086).
# hadolint ignore=DL3013,SC2086
RUN if [ -n "$OBJECTIVE_PACKAGES" ]; then pip install $OBJECTIVE_PACKAGES; fi

USER 10001:10001
WORKDIR /home/hpo
ENTRYPOINT ["tini", "--", "hpo-entrypoint"]
CMD ["gpu-worker"]
