"""deploy/, checked without a cluster: each kustomization rendered (``kubectl kustomize`` where kubectl is
installed, else by deployfiles' own reader, and both agree), every manifest validated strictly against the
Kubernetes API schemas kubernetes-validate ships (KEDA's custom resources: their references checked), and
each container's command, variables, Secret keys and ports checked against hpo's code and each other."""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
from deployfiles import (
    CLUSTER_SCOPED,
    DEPLOY,
    KUBERNETES_VERSION,
    check_command,
    entrypoint_commands,
    entrypoint_roles,
    kustomizations,
    names_entrypoint_reads,
    names_flower_reads,
    names_hpo_reads,
    pod_spec,
    render_kustomization,
    render_kustomization_here,
    require_tool,
)
from kubernetes_validate.utils import SchemaNotFoundError

KUSTOMIZATIONS = kustomizations()
CUSTOM_RESOURCES = ("keda.sh/",)
"""API groups whose schemas kubernetes-validate does not ship: checked by their references instead."""
POSTGRES_IMAGE_VARIABLES = {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "PGDATA"}


def _ids(folder: Path) -> str:
    return str(folder.relative_to(DEPLOY))


def _by_key(docs: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in docs}


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict[str, Any]]]:
    """Each kustomization's manifests, by its folder under deploy/."""
    return {_ids(folder): render_kustomization(folder) for folder in KUSTOMIZATIONS}


def test_the_layout_issue_15_asks_for() -> None:
    assert {_ids(folder) for folder in KUSTOMIZATIONS} == {"base", "overlays/example", "overlays/example-keda"}
    assert (DEPLOY / "components" / "keda" / "kustomization.yaml").exists()
    assert (DEPLOY / "components" / "postgres" / "kustomization.yaml").exists()


@pytest.mark.parametrize("folder", KUSTOMIZATIONS, ids=_ids)
def test_kubectl_and_the_tests_reader_render_the_same(folder: Path) -> None:
    """The test's own renderer (used where kubectl is missing) gives exactly what kubectl kustomize gives."""
    require_tool("kubectl", shutil.which("kubectl"))
    assert _by_key(render_kustomization(folder)) == _by_key(render_kustomization_here(folder))


@pytest.mark.parametrize("folder", KUSTOMIZATIONS, ids=_ids)
def test_every_manifest_is_valid_for_kubernetes(folder: Path, rendered: dict[str, list[dict[str, Any]]]) -> None:
    """Strict validation (unknown fields refused) against Kubernetes KUBERNETES_VERSION's API schemas."""
    docs = rendered[_ids(folder)]
    assert len(_by_key(docs)) == len(docs), "two resources of one kind share a name"
    for doc in docs:
        if doc["apiVersion"].startswith(CUSTOM_RESOURCES):
            with pytest.raises(SchemaNotFoundError):
                kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
            continue
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as e:
            pytest.fail(f"{doc['kind']}/{doc['metadata']['name']}: {e.message} at {list(e.path)}")


def test_overlays_put_everything_in_one_namespace(rendered: dict[str, list[dict[str, Any]]]) -> None:
    for overlay in ("overlays/example", "overlays/example-keda"):
        for doc in rendered[overlay]:
            expected = None if doc["kind"] in CLUSTER_SCOPED else "hpo"
            assert doc["metadata"].get("namespace") == expected, f"{overlay}: {doc['kind']}/{doc['metadata']['name']}"


def test_the_validator_is_strict(rendered: dict[str, list[dict[str, Any]]]) -> None:
    """Guards the check above: a misspelt field, a wrong type and a missing required field are refused."""
    deployment = copy.deepcopy(_by_key(rendered["base"])[("Deployment", "hpo-coordinator")])
    for damage in ("misspelt", "wrong type", "missing"):
        broken = copy.deepcopy(deployment)
        container = broken["spec"]["template"]["spec"]["containers"][0]
        if damage == "misspelt":
            container["readynessProbe"] = container.pop("readinessProbe")
        elif damage == "wrong type":
            broken["spec"]["replicas"] = "one"
        else:
            del container["name"]
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def _hpo_containers(docs: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(workload, container) pairs of the containers running hpo's images."""
    pairs = []
    for doc in docs:
        spec = pod_spec(doc)
        for container in spec["containers"] if spec else []:
            if not container["image"].startswith(("redis", "postgres")):
                pairs.append((doc, container))
    return pairs


def _env_values(container: dict[str, Any], secrets: dict[str, dict[str, str]],
                config_maps: dict[str, dict[str, str]]) -> dict[str, str]:
    """The container's environment as Kubernetes sets it ($(VAR) references expanded)."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(config_maps[source["configMapRef"]["name"]])
    for variable in container.get("env", []):
        if "value" in variable:
            env[variable["name"]] = re.sub(r"\$\((\w+)\)", lambda m: env[m.group(1)], variable["value"])
        elif "secretKeyRef" in variable.get("valueFrom", {}):
            ref = variable["valueFrom"]["secretKeyRef"]
            env[variable["name"]] = secrets[ref["name"]][ref["key"]]
        else:
            env[variable["name"]] = "2"  # a resourceFieldRef: the CPU limit
    return env


def test_containers_run_entrypoint_roles_with_the_variables_the_code_reads(
        rendered: dict[str, list[dict[str, Any]]]) -> None:
    """In the example overlays: each hpo container runs a role of workers/entrypoint.sh whose commands are
    hpo's and Celery's with real options; every HPO_* variable is one hpo reads, every other one is read by
    the entrypoint, Flower or another variable; every Secret and ConfigMap key referenced exists."""
    hpo_names, entrypoint_names, flower_names = names_hpo_reads(), names_entrypoint_reads(), names_flower_reads()
    roles = entrypoint_roles()
    for overlay in ("overlays/example", "overlays/example-keda"):
        docs = rendered[overlay]
        secrets = {doc["metadata"]["name"]: doc["stringData"] for doc in docs if doc["kind"] == "Secret"}
        config_maps = {doc["metadata"]["name"]: doc["data"] for doc in docs if doc["kind"] == "ConfigMap"}
        for data in config_maps.values():
            assert set(data) <= hpo_names, sorted(set(data) - hpo_names)
        for doc, container in _hpo_containers(docs):
            where = f"{overlay} {doc['kind']}/{doc['metadata']['name']}"
            env = _env_values(container, secrets, config_maps)
            referenced = set(re.findall(r"\$\((\w+)\)", " ".join(v.get("value", "") for v in container["env"])))
            for variable in env:
                if variable.startswith("HPO_"):
                    assert variable in hpo_names, f"{where}: {variable} is read by no hpo code"
                else:
                    assert variable in entrypoint_names | flower_names | referenced, f"{where}: {variable} unread"
            if container["args"][0] == "hpo":  # an hpo command, which the entrypoint runs as given
                check_command(container["args"], where)
            else:
                assert container["args"][0] in roles, where
                if "gpu-worker" in container["args"]:
                    env["HPO_GPUS"] = "0"
                for words in entrypoint_commands(container["args"], env):
                    if "=" not in words[0]:
                        check_command(words, where)
            ports = {port["name"]: port["containerPort"] for port in container.get("ports", [])}
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                command = container.get(probe, {}).get("exec", {}).get("command")
                if command:
                    assert command[0] == "hpo-entrypoint" and command[1] in roles, f"{where} {probe}"
                for kind in ("httpGet", "tcpSocket"):
                    if kind in container.get(probe, {}):
                        assert container[probe][kind]["port"] in ports, f"{where} {probe}: no such port"
            if "HPO_METRICS_PORT" in env:
                assert ports["metrics"] == int(env["HPO_METRICS_PORT"]) and env["HPO_METRICS_HOST"] == "0.0.0.0"
            pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command")
            if pre_stop:
                assert pre_stop == ["hpo-entrypoint", "stop-worker"], where
        for doc in docs:
            spec = pod_spec(doc)
            for container in spec["containers"] if spec else []:
                if container["image"].startswith("postgres"):
                    assert {v["name"] for v in container["env"]} <= POSTGRES_IMAGE_VARIABLES
                if container["image"].startswith("redis"):
                    assert [v["name"] for v in container["env"]] == ["REDIS_PASSWORD"]
                    assert "${REDIS_PASSWORD}" in container["command"][-1], "the password in on stdin"
                _env_values(container, secrets, config_maps)  # every key it names exists


def test_workloads_behave_as_issue_15_asks(rendered: dict[str, list[dict[str, Any]]]) -> None:
    docs = _by_key(rendered["overlays/example"])
    coordinator = docs[("Deployment", "hpo-coordinator")]
    assert coordinator["spec"]["replicas"] == 1 and coordinator["spec"]["strategy"] == {"type": "Recreate"}
    probes = coordinator["spec"]["template"]["spec"]["containers"][0]
    assert all(probes[probe]["exec"]["command"] == ["hpo-entrypoint", "healthcheck", "coordinator"]
               for probe in ("startupProbe", "readinessProbe"))
    assert probes["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    redis = docs[("StatefulSet", "hpo-redis")]
    assert redis["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "data"
    assert "--appendonly yes" in redis["spec"]["template"]["spec"]["containers"][0]["command"][-1]
    for kind in ("cpu", "gpu"):
        spec = docs[("Deployment", f"hpo-{kind}-worker")]["spec"]["template"]["spec"]
        assert spec["terminationGracePeriodSeconds"] >= 600, "longer than a trial's checkpoint interval"
        assert spec["containers"][0]["lifecycle"]["preStop"]["exec"]["command"] == ["hpo-entrypoint", "stop-worker"]
    gpu = docs[("Deployment", "hpo-gpu-worker")]["spec"]["template"]["spec"]["containers"][0]
    assert gpu["resources"]["limits"]["nvidia.com/gpu"] >= 1
    assert docs[("Service", "hpo-flower")]["spec"]["ports"][0]["port"] == 5555
    assert docs[("StatefulSet", "hpo-postgres")]
    for doc in docs.values():
        spec = pod_spec(doc)
        if spec:
            assert spec["securityContext"]["runAsNonRoot"] is True, doc["metadata"]["name"]
            for container in spec["containers"]:
                assert container["securityContext"]["allowPrivilegeEscalation"] is False
                assert "image" in container and ":" in container["image"], "images named with a tag"


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.get("matchLabels", {}).items())


def test_only_hpo_reaches_redis_and_only_the_coordinator_reaches_postgres(
        rendered: dict[str, list[dict[str, Any]]]) -> None:
    docs = rendered["overlays/example"]
    pods = {doc["metadata"]["name"]: doc["spec"]["template"]["metadata"]["labels"] for doc in docs if pod_spec(doc)}
    policies = [doc["spec"] for doc in docs if doc["kind"] == "NetworkPolicy"]

    def admitted(target: str) -> set[str]:
        """The workloads whose pods may open a connection to ``target``'s pods."""
        rules = [rule for policy in policies if _selects(policy["podSelector"], pods[target])
                 for rule in policy.get("ingress", [])]
        assert any(_selects(policy["podSelector"], pods[target]) for policy in policies), f"{target}: no policy"
        return {name for name, labels in pods.items() for rule in rules for peer in rule["from"]
                if "namespaceSelector" not in peer and _selects(peer["podSelector"], labels)}

    assert admitted("hpo-redis") == set(pods)
    assert admitted("hpo-postgres") == {"hpo-coordinator", "hpo-dashboard"}, "workers never touch the database"
    for workload in ("hpo-coordinator", "hpo-cpu-worker", "hpo-gpu-worker"):
        assert admitted(workload) == set(), f"no hpo pod reaches {workload}"
    budgets = [doc["spec"] for doc in docs if doc["kind"] == "PodDisruptionBudget"]
    for workload in ("hpo-redis", "hpo-cpu-worker", "hpo-gpu-worker", "hpo-postgres"):
        assert sum(_selects(budget["selector"], pods[workload]) for budget in budgets) == 1, workload
    for doc in docs:
        if doc["kind"] in ("Service", "PodDisruptionBudget") or pod_spec(doc):
            selector = doc["spec"]["selector"]
            selector = selector.get("matchLabels", selector)
            assert any(_selects({"matchLabels": selector}, labels) for labels in pods.values()), doc["metadata"]


def test_keda_scales_the_workers_on_their_queues(rendered: dict[str, list[dict[str, Any]]]) -> None:
    """KEDA's resources (no schema here) name real Deployments, their queues, the Secret's key and Redis."""
    docs = _by_key(rendered["overlays/example-keda"])
    without = _by_key(rendered["overlays/example"])
    assert not any(kind in ("ScaledObject", "TriggerAuthentication") for kind, _ in without)
    secret = docs[("Secret", "hpo-secrets")]["stringData"]
    for (kind, _), doc in docs.items():
        if kind == "TriggerAuthentication":
            assert doc["apiVersion"] == "keda.sh/v1alpha1"
            for ref in doc["spec"]["secretTargetRef"]:
                assert ref["name"] == "hpo-secrets" and ref["key"] in secret and ref["parameter"] == "password"
        if kind != "ScaledObject":
            continue
        assert doc["apiVersion"] == "keda.sh/v1alpha1"
        spec = doc["spec"]
        assert set(spec) <= {"scaleTargetRef", "minReplicaCount", "maxReplicaCount", "pollingInterval",
                             "cooldownPeriod", "triggers"}
        target = docs[("Deployment", spec["scaleTargetRef"]["name"])]
        assert spec["minReplicaCount"] >= 1, "with no worker, hpo publishes nothing: the queue never grows"
        assert spec["maxReplicaCount"] > spec["minReplicaCount"]
        args = target["spec"]["template"]["spec"]["containers"][0]["args"]
        queue = {"cpu-worker": "cpu", "gpu-worker": "gpu"}[args[0]]
        (trigger,) = spec["triggers"]
        assert trigger["type"] == "redis" and trigger["metricType"] == "Value"
        assert set(trigger["metadata"]) == {"address", "databaseIndex", "listName", "listLength"}
        assert trigger["metadata"]["listName"] == queue
        namespace = doc["metadata"]["namespace"]
        assert trigger["metadata"]["address"] == f"hpo-redis.{namespace}.svc.cluster.local:6379"
        assert ("TriggerAuthentication", trigger["authenticationRef"]["name"]) in docs


def test_secrets_hold_example_values_only_in_the_example_overlay(rendered: dict[str, list[dict[str, Any]]]) -> None:
    assert not [doc for doc in rendered["base"] if doc["kind"] == "Secret"], "no password in the base"
    (secret,) = [doc for doc in rendered["overlays/example"] if doc["kind"] == "Secret"]
    for key, value in secret["stringData"].items():
        assert "EXAMPLE-ONLY" in value, key
    assert "NEVER DEPLOY" in (DEPLOY / "overlays" / "example" / "secrets.example.yaml").read_text()
    for folder in ("base", "components"):
        for path in (DEPLOY / folder).rglob("*.yaml"):
            assert "stringData" not in path.read_text() and "kind: Secret" not in path.read_text(), path
