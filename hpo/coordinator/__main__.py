"""``python -m hpo.coordinator [--storage URL] [--broker URL]``, the same as ``hpo coordinator start``."""

import argparse

from hpo.coordinator import serve

if __name__ == "__main__":  # the SQL writer child process imports this module too
    parser = argparse.ArgumentParser(prog="python -m hpo.coordinator")
    parser.add_argument("--storage", default=None, help="SQL storage URL (default: HPO_STORAGE_URL)")
    parser.add_argument("--broker", default=None, help="Redis URL (default: HPO_BROKER_URL)")
    args = parser.parse_args()
    serve(args.storage, args.broker)
