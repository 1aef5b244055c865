"""The images and the bare-metal unit, checked without Docker: hadolint on the Dockerfiles, a test for a
non-root user, pinned base images and no secrets, shellcheck on the entrypoint, systemd-analyze on the unit,
and the entrypoint's GPU mapping run natively against a stand-in nvidia-smi (none can run here)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from deployfiles import ENTRYPOINT, REPO, entrypoint_commands, require_tool

WORKERS = REPO / "workers"
DOCKERFILES = sorted(WORKERS.glob("*.Dockerfile"))
VENV_BIN = Path(sys.executable).parent
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
SECRET_NAMES = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|PRIVATE_KEY|CREDENTIAL)", re.IGNORECASE)


def _venv_tool(name: str) -> str:
    found = shutil.which(name, path=str(VENV_BIN)) or shutil.which(name)
    assert found, f"{name} is installed by the test extra (pip install -e '.[test]')"
    return found


def _instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", "\n".join(line for line in dockerfile.read_text().splitlines()
                                          if not line.lstrip().startswith("#")))
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line.strip() else "")
            for line in text.splitlines() if line.strip()]


def test_both_images_exist() -> None:
    assert [path.name for path in DOCKERFILES] == ["cpu.Dockerfile", "gpu.Dockerfile"]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.name)
def test_hadolint_passes(dockerfile: Path) -> None:
    out = subprocess.run([_venv_tool("hadolint"), "--no-color", str(dockerfile)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.name)
def test_images_run_as_non_root_from_pinned_bases_without_secrets(dockerfile: Path) -> None:
    instructions = _instructions(dockerfile)
    args = {}
    for instruction, rest in instructions:
        if instruction == "ARG" and "=" in rest:
            name, _, default = rest.partition("=")
            args[name] = default.strip('"')
    bases = [re.sub(r"\$\{?(\w+)\}?", lambda m: args[m.group(1)], rest.split()[0])
             for instruction, rest in instructions if instruction == "FROM"]
    assert bases
    for base in bases:
        name, _, digest = base.partition("@")
        image, _, tag = name.rpartition(":")
        assert image and re.fullmatch(r"\d+\.\d+\.\d+-[a-z0-9.-]+", tag), f"{base}: pin a full version tag"
        assert not digest or re.fullmatch(r"sha256:[0-9a-f]{64}", digest), base
    users = [rest.strip() for instruction, rest in instructions if instruction == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0"), f"{dockerfile.name} must end as a non-root USER"
    assert re.fullmatch(r"\d+:\d+", users[-1]), "a numeric user lets Kubernetes's runAsNonRoot verify it"
    entrypoint = [rest for instruction, rest in instructions if instruction == "ENTRYPOINT"]
    assert entrypoint == ['["tini", "--", "hpo-entrypoint"]'], "tini passes SIGTERM (warm shutdown) on to Celery"
    for instruction, rest in instructions:
        if instruction in ("ENV", "ARG", "LABEL"):
            assert not SECRET_NAMES.search(rest), f"{dockerfile.name}: {instruction} {rest}"
        if instruction in ("COPY", "ADD"):
            assert ".env" not in rest.split() and "id_rsa" not in rest, f"{dockerfile.name}: {instruction} {rest}"
    ignore = [line for line in dockerfile.with_name(dockerfile.name + ".dockerignore").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    assert ignore[0] == "*", "the build context starts empty: only what the image needs goes in (no .env)"
    for instruction, rest in instructions:
        if instruction == "COPY":
            for source in [word for word in rest.split() if not word.startswith("--")][:-1]:
                assert f"!{source}" in ignore or f"!{source}/" in ignore, f"COPY {source}: left out of the context"


def test_shellcheck_passes_on_the_entrypoint() -> None:
    out = subprocess.run([_venv_tool("shellcheck"), "--shell=sh", str(ENTRYPOINT)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_systemd_unit_verifies(tmp_path: Path) -> None:
    """systemd's own parser reads the unit without a warning (the entrypoint path pointed at this checkout)."""
    analyze = require_tool("systemd-analyze", shutil.which("systemd-analyze"))
    unit = (WORKERS / "hpo-worker@.service").read_text()
    assert "KillMode=mixed" in unit and "KillSignal=SIGTERM" in unit, "SIGTERM to Celery's main process alone"
    (tmp_path / "hpo-worker@.service").write_text(unit.replace("/usr/local/bin/hpo-entrypoint", str(ENTRYPOINT)))
    out = subprocess.run([analyze, "verify", "--man=no", str(tmp_path / "hpo-worker@gpu.service")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and not out.stderr.strip() and not out.stdout.strip(), out.stdout + out.stderr


# ---------------------------------------------------------------- the entrypoint's GPU mapping

FOUR_GPUS = """GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-2b1f3a6c-0000-4000-8000-000000000000)
GPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-2b1f3a6c-0000-4000-8000-000000000001)
GPU 2: NVIDIA H100 80GB HBM3 (UUID: GPU-2b1f3a6c-0000-4000-8000-000000000002)
GPU 3: NVIDIA H100 80GB HBM3 (UUID: GPU-2b1f3a6c-0000-4000-8000-000000000003)
"""
MIG_AND_WHOLE = """GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-5a1d0000-0000-4000-8000-000000000000)
  MIG 3g.20gb     Device  0: (UUID: MIG-7e7f0000-0000-5000-8000-000000000000)
  MIG 3g.20gb     Device  1: (UUID: MIG-7e7f0000-0000-5000-8000-000000000001)
GPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-5a1d0000-0000-4000-8000-000000000001)
"""


def _fake_nvidia_smi(folder: Path, listing: str | None, status: int = 0) -> str:
    """A stand-in for ``nvidia-smi`` (no GPU driver here) that prints ``listing`` for ``-L``."""
    folder.mkdir(exist_ok=True)
    if listing is not None:
        script = folder / "nvidia-smi"
        script.write_text(f"#!/bin/sh\n[ \"$1\" = -L ] || exit 2\ncat <<'EOF'\n{listing}EOF\nexit {status}\n")
        script.chmod(0o755)
    return str(folder)


def _no_real_nvidia_smi() -> None:
    if shutil.which("nvidia-smi", path=SYSTEM_PATH):
        pytest.skip("this machine has a real nvidia-smi: the cases without one cannot run here")


def _gpu_worker(tmp_path: Path, listing: str | None, **env: str) -> tuple[str, int]:
    """(HPO_GPUS, --concurrency) the gpu-worker role starts Celery with."""
    lines = entrypoint_commands(["gpu-worker"], env, path_prefix=_fake_nvidia_smi(tmp_path / "bin", listing))
    gpus = [line[0].partition("=")[2] for line in lines if line[0].startswith("HPO_GPUS=")]
    celery = [line for line in lines if line[0] == "celery"][0]
    assert celery[celery.index("-Q") + 1] == "gpu"
    return gpus[0], int(celery[celery.index("--concurrency") + 1])


def test_gpus_from_nvidia_smi(tmp_path: Path) -> None:
    assert _gpu_worker(tmp_path, FOUR_GPUS) == ("0,1,2,3", 4)


def test_a_mig_split_gpu_gives_one_slot_per_instance(tmp_path: Path) -> None:
    mig = "MIG-7e7f0000-0000-5000-8000-00000000000"
    assert _gpu_worker(tmp_path, MIG_AND_WHOLE) == (f"{mig}0,{mig}1,1", 3)


def test_gpus_from_nvidia_visible_devices_without_nvidia_smi(tmp_path: Path) -> None:
    """The container toolkit's list (UUIDs here): the container sees them as 0..n-1."""
    _no_real_nvidia_smi()
    assert _gpu_worker(tmp_path, None, NVIDIA_VISIBLE_DEVICES="GPU-aaa,GPU-bbb") == ("0,1", 2)


def test_hpo_gpus_and_cuda_visible_devices_win(tmp_path: Path) -> None:
    assert _gpu_worker(tmp_path, FOUR_GPUS, HPO_GPUS="2,3") == ("2,3", 2)
    assert _gpu_worker(tmp_path, FOUR_GPUS, CUDA_VISIBLE_DEVICES="1") == ("1", 1)


def test_trials_per_gpu(tmp_path: Path) -> None:
    assert _gpu_worker(tmp_path, FOUR_GPUS, WORKER_TRIALS_PER_GPU="2") == ("0,1,2,3", 8)


def _refused(tmp_path: Path, args: list[str], listing: str | None, status: int = 0, **env: str) -> str:
    folder = _fake_nvidia_smi(tmp_path / "bin", listing, status)
    out = subprocess.run(["sh", str(ENTRYPOINT), *args], capture_output=True, text=True, timeout=60,
                         env={**env, "ENTRYPOINT_DRY_RUN": "1", "PATH": f"{folder}:{SYSTEM_PATH}"})
    assert out.returncode == 1 and not out.stdout, out.stdout + out.stderr
    return out.stderr


def test_a_driver_that_does_not_answer_stops_the_start(tmp_path: Path) -> None:
    failed = "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n"
    assert "check the driver" in _refused(tmp_path, ["gpu-worker"], failed, status=9).lower()


def test_no_gpu_stops_the_start(tmp_path: Path) -> None:
    _no_real_nvidia_smi()
    assert "no GPU visible" in _refused(tmp_path, ["gpu-worker"], None)
    assert "no GPU visible" in _refused(tmp_path, ["gpu-worker"], None, NVIDIA_VISIBLE_DEVICES="void")
    assert "set HPO_GPUS" in _refused(tmp_path, ["gpu-worker"], None, NVIDIA_VISIBLE_DEVICES="all")


def test_cpu_worker_concurrency(tmp_path: Path) -> None:
    def concurrency(**env: str) -> int:
        celery = entrypoint_commands(["cpu-worker"], env)[0]
        assert celery[:4] == ["celery", "-A", "hpo.workers", "worker"]
        assert celery[celery.index("-n") + 1] == env.get("WORKER_NAME", "cpu") + "@%h"
        return int(celery[celery.index("--concurrency") + 1])

    assert concurrency(WORKER_CONCURRENCY="3") == 3
    assert concurrency() == int(subprocess.run(["nproc"], capture_output=True, text=True).stdout)
    assert concurrency(WORKER_NAME="cpu2") > 0
    assert "WORKER_CONCURRENCY" in _refused(tmp_path, ["cpu-worker"], None, WORKER_CONCURRENCY="0")


def test_flower_needs_its_credentials(tmp_path: Path) -> None:
    assert "FLOWER_BASIC_AUTH" in _refused(tmp_path, ["flower"], None)
    words = entrypoint_commands(["flower", "--port=5555"], {"FLOWER_BASIC_AUTH": "admin:pw"})[0]
    assert "admin:pw" not in " ".join(words), "the password stays off the command line"


def test_any_other_command_runs_as_given() -> None:
    out = subprocess.run(["sh", str(ENTRYPOINT), "sh", "-c", "echo ran $0", "it"], capture_output=True, text=True,
                         timeout=60, env={"PATH": SYSTEM_PATH, "HOME": os.environ.get("HOME", "/")})
    assert out.returncode == 0 and out.stdout == "ran it\n", out.stderr
