"""The Kubernetes manifests, validated offline against the Kubernetes schemas that
ship inside the `kubernetes-validate` wheel, and kept in line with the app."""

from __future__ import annotations

import copy

import kubernetes_validate
import pytest
import yaml

from app.config import ROOT, Settings

K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.30.0"
BUILT_IN = ("deployment", "service", "hpa")


def load(name: str) -> dict:
    return yaml.safe_load((K8S / f"{name}.yaml").read_text())


@pytest.mark.parametrize("name", BUILT_IN)
def test_each_manifest_validates_strictly(name):
    kubernetes_validate.validate(load(name), KUBERNETES_VERSION, strict=True)


def test_the_validator_catches_a_typo():
    broken = copy.deepcopy(load("deployment"))
    broken["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = broken["spec"]["template"]["spec"]["containers"][
        0
    ].pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def _container(doc: dict) -> dict:
    spec = doc["spec"]["template"]["spec"] if doc["kind"] == "Deployment" else doc["spec"]["predictor"]
    return spec["containers"][0]


def test_probes_and_port_match_the_app():
    for doc in (load("deployment"), load("kserve")):
        container = _container(doc)
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["ports"][0]["containerPort"] == 8000
    from app.main import create_app

    paths = set(create_app().openapi()["paths"])
    assert {"/readyz", "/healthz"} <= paths


def test_the_grace_period_covers_the_prestop_wait_and_the_drain():
    spec = load("deployment")["spec"]["template"]["spec"]
    pre_stop = spec["containers"][0]["lifecycle"]["preStop"]["sleep"]["seconds"]
    drain = Settings().graceful_shutdown_s  # what `vqa-demo serve`, the image's command, gives in-flight requests
    assert pre_stop + drain < spec["terminationGracePeriodSeconds"]


def test_the_kserve_service_is_a_v2_custom_predictor():
    # No KServe CRD schema ships in a package this project can reach: its shape is checked here.
    doc = load("kserve")
    assert doc["apiVersion"] == "serving.kserve.io/v1beta1" and doc["kind"] == "InferenceService"
    container = _container(doc)
    assert container["name"] == "kserve-container" and container["image"] == _container(load("deployment"))["image"]
    assert {"name": "PROTOCOL", "value": "v2"} in container["env"]
    assert container["resources"] == _container(load("deployment"))["resources"]
