#!/bin/sh
# hpo's container entrypoint (installed as /usr/local/bin/hpo-entrypoint by workers/cpu.Dockerfile and
# workers/gpu.Dockerfile; the bare-metal unit workers/hpo-worker@.service runs it too).
#
#   hpo-entrypoint coordinator [ARGS...]     hpo storage upgrade, then hpo coordinator start ARGS
#   hpo-entrypoint cpu-worker [ARGS...]      celery -A hpo.workers worker -Q cpu --concurrency WORKER_CONCURRENCY (default: nproc)
#   hpo-entrypoint gpu-worker [ARGS...]      celery -A hpo.workers worker -Q gpu --concurrency <GPUs x WORKER_TRIALS_PER_GPU>,
#                                            HPO_GPUS set from the GPUs this container sees (see gpu_ids below)
#   hpo-entrypoint flower [ARGS...]          celery -A hpo.workers flower, basic auth from FLOWER_BASIC_AUTH (required)
#   hpo-entrypoint healthcheck coordinator   exit 0 when the coordinator of this host holds the broker's lease
#   hpo-entrypoint stop-worker               warm shutdown of this container's worker, and wait for it (a preStop hook)
#   hpo-entrypoint COMMAND [ARGS...]         runs COMMAND (hpo ..., celery ..., sh ...)
#
# ARGS are added to the end of the command line. hpo's own settings come from its HPO_* variables
# (hpo/distributed/config.py); this script reads these as well:
#   WORKER_CONCURRENCY     cpu-worker: trials at once (default: nproc)
#   WORKER_TRIALS_PER_GPU  gpu-worker: trials per GPU at once (default 1: one trial per GPU)
#   WORKER_QUEUES          the Celery queues to consume (default: cpu, or gpu)
#   WORKER_NAME            node name before the @ (default: cpu or gpu; Celery adds @hostname): unique per host
#   WORKER_LOGLEVEL        Celery's log level (default INFO)
#   WORKER_PIDFILE         where the worker writes its pid, for stop-worker (default /tmp/hpo-worker.pid)
#   FLOWER_BASIC_AUTH      USER:PASSWORD for Flower (read by Flower itself: not on its command line)
#   FLOWER_PORT            Flower's port (default 5555; read by Flower itself)
#   ENTRYPOINT_DRY_RUN     1: print the commands (and HPO_GPUS) instead of running them
#
# Celery's warm shutdown is SIGTERM (docker stop, Kubernetes, systemctl stop): the worker takes no new
# trial and waits for its running trials to end. Give it longer than a trial (or its checkpoint interval,
# with max_retries) before the SIGKILL: stop_grace_period, terminationGracePeriodSeconds, TimeoutStopSec.
set -eu

me=hpo-entrypoint

die() {
    echo "$me: $*" >&2
    exit 1
}

# Runs "$@" in place of this shell, or prints it under ENTRYPOINT_DRY_RUN=1.
run() {
    if [ "${ENTRYPOINT_DRY_RUN:-0}" = 1 ]; then
        echo "$*"
        exit 0
    fi
    exec "$@"
}

# The devices CUDA may use here, comma-separated, one per trial slot, first found of:
#   HPO_GPUS (set by you), CUDA_VISIBLE_DEVICES (a restriction already in place),
#   nvidia-smi -L (each GPU's index; a GPU split into MIG instances gives each instance's MIG UUID),
#   NVIDIA_VISIBLE_DEVICES as the NVIDIA Container Toolkit sets it (a list: the container's GPUs are 0..n-1).
gpu_ids() {
    if [ -n "${HPO_GPUS:-}" ]; then
        echo "$HPO_GPUS"
        return
    fi
    if [ -n "${CUDA_VISIBLE_DEVICES:-}" ]; then
        echo "$CUDA_VISIBLE_DEVICES"
        return
    fi
    if command -v nvidia-smi >/dev/null 2>&1; then
        if ! listing=$(nvidia-smi -L 2>&1); then
            die "nvidia-smi -L failed: $listing
Check the driver on the host (nvidia-smi there must list the GPUs) and, in a container, the NVIDIA Container Toolkit."
        fi
        echo "$listing" | awk '
            function flush() { if (gpu != "" && !split_up) { out = out sep gpu; sep = "," } }
            /^GPU [0-9]+:/ { flush(); gpu = $2; sub(":", "", gpu); split_up = 0; next }
            /^[ \t]+MIG / {
                if (match($0, /UUID: MIG-[^)]*/)) { out = out sep substr($0, RSTART + 6, RLENGTH - 6); sep = ","; split_up = 1 }
                next
            }
            END { flush(); print out }'
        return
    fi
    case "${NVIDIA_VISIBLE_DEVICES:-}" in
        "" | none | void) ;;
        all) die "NVIDIA_VISIBLE_DEVICES=all but no nvidia-smi to count the GPUs: set HPO_GPUS (e.g. 0,1,2,3)." ;;
        *)
            echo "$NVIDIA_VISIBLE_DEVICES" | awk -F, '{ for (i = 1; i <= NF; i++) printf "%s%d", (i > 1 ? "," : ""), i - 1; print "" }'
            return
            ;;
    esac
}

positive_int() { # NAME VALUE: VALUE, or exit naming NAME
    case "$2" in
        "" | *[!0-9]* | 0*) die "$1 must be a whole number > 0, got '$2'." ;;
    esac
    echo "$2"
}

worker() { # KIND QUEUE CONCURRENCY [ARGS...]
    kind=$1 queue=$2 concurrency=$3
    shift 3
    pidfile=${WORKER_PIDFILE:-/tmp/hpo-worker.pid}
    rm -f "$pidfile" # a container restarted in place keeps its files: a stale pid file would stop Celery
    name=${WORKER_NAME:-$kind}
    case "$name" in *@*) ;; *) name="$name@%h" ;; esac
    run celery -A hpo.workers worker -Q "${WORKER_QUEUES:-$queue}" --concurrency "$concurrency" -n "$name" \
        --pool prefork --without-gossip --without-mingle --loglevel "${WORKER_LOGLEVEL:-INFO}" --pidfile "$pidfile" "$@"
}

role=${1:-}
[ $# -gt 0 ] && shift
case "$role" in
    coordinator)
        if [ "${ENTRYPOINT_DRY_RUN:-0}" = 1 ]; then
            echo "hpo storage upgrade"
        else
            hpo storage upgrade # the schema first (a no-op when current); HPO_STORAGE_URL names the database
        fi
        run hpo coordinator start "$@"
        ;;
    cpu-worker)
        concurrency=$(positive_int WORKER_CONCURRENCY "${WORKER_CONCURRENCY:-$(nproc)}")
        worker cpu cpu "$concurrency" "$@"
        ;;
    gpu-worker)
        gpus=$(gpu_ids)
        [ -n "$gpus" ] || die "no GPU visible: nvidia-smi is not here and neither HPO_GPUS, CUDA_VISIBLE_DEVICES nor
NVIDIA_VISIBLE_DEVICES names one. Start the container with GPUs (compose: deploy.resources.reservations.devices;
Kubernetes: an nvidia.com/gpu limit), or set HPO_GPUS."
        if [ -n "${NVIDIA_VISIBLE_DEVICES:-}" ] && [ -z "${HPO_GPUS:-}" ]; then
            case "$NVIDIA_VISIBLE_DEVICES" in
                all | none | void) ;;
                *)
                    wanted=$(echo "$NVIDIA_VISIBLE_DEVICES" | awk -F, '{ print NF }')
                    seen=$(echo "$gpus" | awk -F, '{ print NF }')
                    [ "$wanted" = "$seen" ] || echo "$me: NVIDIA_VISIBLE_DEVICES names $wanted device(s) but $seen are usable here ($gpus)" >&2
                    ;;
            esac
        fi
        export HPO_GPUS="$gpus"
        per_gpu=$(positive_int WORKER_TRIALS_PER_GPU "${WORKER_TRIALS_PER_GPU:-1}")
        n=$(echo "$gpus" | awk -F, '{ print NF }')
        [ "${ENTRYPOINT_DRY_RUN:-0}" = 1 ] && echo "HPO_GPUS=$HPO_GPUS"
        worker gpu gpu $((n * per_gpu)) "$@"
        ;;
    flower)
        [ -n "${FLOWER_BASIC_AUTH:-}" ] || die "set FLOWER_BASIC_AUTH=USER:PASSWORD: Flower shows every trial and can stop workers."
        run celery -A hpo.workers flower --address=0.0.0.0 "$@"
        ;;
    healthcheck)
        [ "${1:-}" = coordinator ] || die "usage: $me healthcheck coordinator"
        run python -c '
import socket
import sys

from hpo.distributed import wire
from hpo.distributed.broker import redis_client
from hpo.distributed.config import Settings, masked_url

url = Settings.from_env(stack_fallback=False).broker_url
try:
    holder = redis_client(url).get(wire.coordinator_key())
except Exception as e:
    sys.exit(f"cannot reach the broker at {masked_url(url)}: {type(e).__name__}: {e}")
holder = holder.decode(errors="replace") if isinstance(holder, bytes) else holder
host = socket.gethostname()
if holder is None:
    sys.exit(f"no coordinator holds the lease {wire.coordinator_key()} at {masked_url(url)}")
if not holder.startswith(host + " pid "):
    sys.exit(f"the lease is held by {holder}, not by a coordinator of this host ({host})")
print(f"coordinator {holder} holds the lease")
'
        ;;
    stop-worker)
        pidfile=${WORKER_PIDFILE:-/tmp/hpo-worker.pid}
        [ -f "$pidfile" ] || exit 0
        pid=$(cat "$pidfile")
        kill -TERM "$pid" 2>/dev/null || exit 0 # warm shutdown: running trials end, no new one starts
        # until it is gone (Celery removes its pid file on the way out: a process not yet reaped counts as gone)
        while [ -f "$pidfile" ] && kill -0 "$pid" 2>/dev/null; do sleep 1; done
        ;;
    "")
        die "usage: $me coordinator|cpu-worker|gpu-worker|flower|healthcheck coordinator|stop-worker|COMMAND [ARGS...]"
        ;;
    *)
        run "$role" "$@"
        ;;
esac
