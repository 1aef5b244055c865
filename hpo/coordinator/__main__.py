"""``python -m hpo.coordinator [--storage URL] [--broker URL]``, the same as ``hpo coordinator start``."""

import argparse
import sys

from hpo.coordinator import serve
from hpo.exceptions import BrokerUnavailableError, CoordinatorConflictError

if __name__ == "__main__":  # the SQL writer child process imports this module too
    parser = argparse.ArgumentParser(prog="python -m hpo.coordinator")
    parser.add_argument("--storage", default=None,
                        help="SQL storage URL (default: HPO_STORAGE_URL, else OPTUNA_STORAGE)")
    parser.add_argument("--broker", default=None, help="Redis URL (default: HPO_BROKER_URL)")
    parser.add_argument("--metrics-port", type=int, default=None, help="serve /metrics and /healthz on this port")
    parser.add_argument("--metrics-host", default="127.0.0.1", help="address of the metrics port (default 127.0.0.1)")
    args = parser.parse_args()
    try:
        metrics = None if args.metrics_port is None else (args.metrics_host, args.metrics_port)
        serve(args.storage, args.broker, metrics)
    except (BrokerUnavailableError, CoordinatorConflictError) as e:
        sys.exit(f"hpo coordinator: {e}")
