"""One GPU per worker child process, through ``CUDA_VISIBLE_DEVICES``."""

from __future__ import annotations

import os
import shutil
import subprocess


def detect_gpus() -> tuple[str, ...]:
    """The GPU indices ``nvidia-smi`` lists, or none."""
    if shutil.which("nvidia-smi") is None:
        return ()
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=index", "--format=csv,noheader"], capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    return tuple(line.strip() for line in out.splitlines() if line.strip())


def assign_gpu(child_index: int, gpus: tuple[str, ...]) -> str | None:
    """Give the child process number ``child_index`` its own device; return the device id."""
    if not gpus:
        return None
    device = gpus[child_index % len(gpus)]
    os.environ["CUDA_VISIBLE_DEVICES"] = device
    return device
