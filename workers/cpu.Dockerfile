# syntax=docker/dockerfile:1
# hpo's CPU image: the coordinator, CPU workers and Flower run from it (one image, several commands:
# workers/entrypoint.sh). Build it from the repository's root (docker-compose.yml does):
#
#   docker build -f workers/cpu.Dockerfile -t hpo:cpu .
#
# Your objectives go on top, in one of two ways (the workers import only HPO_OBJECTIVE_MODULES):
#   1. a build arg, pip's arguments:
#        docker build -f workers/cpu.Dockerfile --build-arg OBJECTIVE_PACKAGES="mypkg==1.2.0" -t hpo:cpu .
#   2. an image of your own FROM this one:
#        FROM hpo:cpu
#        USER root
#        COPY . /tmp/mypkg
#        RUN pip install --no-cache-dir /tmp/mypkg && rm -rf /tmp/mypkg
#        USER 10001:10001
#        ENV HPO_OBJECTIVE_MODULES=mypkg.objectives
# Never put a token in a build arg (the image's history shows it): use `RUN --mount=type=secret`.
#
# The base image is pinned by its full tag; to pin its digest too (reproducible builds), pass
#   --build-arg BASE_IMAGE=python:3.12.11-slim-bookworm@sha256:<digest of `docker buildx imagetools inspect TAG`>
ARG BASE_IMAGE=python:3.12.11-slim-bookworm
FROM ${BASE_IMAGE}

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/hpo \
    PATH=/opt/hpo/bin:$PATH \
    PYTHONPATH=/opt/hpo/examples

# tini is PID 1: it passes SIGTERM (Celery's warm shutdown) on to the worker and reaps orphans.
# Distribution packages are not pinned (DL3008): their security updates replace the old versions.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/* \
    && python -m venv /opt/hpo \
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
CMD ["cpu-worker"]
