"""The compose file's nginx configuration, run for real with Debian's nginx in front of
two local servers of the app (in place of the compose replicas at `app:8000`): requests
reach both, and a replica killed outright mid-traffic costs the clients nothing: nginx
hands what the dead replica refused or dropped to the other one.

Skips without nginx, unless VQADEMO_REQUIRE_NGINX=1 (set by .ci/run) makes that a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading
import time
from contextlib import ExitStack

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from app.config import ROOT
from benchmarks.serve import digits_body, free_port, server

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CONF = ROOT / "deploy" / "nginx" / "nginx.conf"

if not os.path.exists(NGINX):
    if os.environ.get("VQADEMO_REQUIRE_NGINX") == "1":
        raise RuntimeError("nginx is required (apt-get install nginx-light)")
    pytest.skip("nginx is not installed (apt-get install nginx-light)", allow_module_level=True)


def local_conf(replica_ports: list[int], listen: int, prefix: str) -> str:
    """The committed configuration with local addresses for `app:8000` and the port."""
    text = CONF.read_text()
    line = re.search(r"^\s*server app:8000 (.*);$", text, re.M)
    assert line, "the upstream line changed; update this test"
    servers = "\n".join(f"        server 127.0.0.1:{p} {line.group(1)};" for p in replica_ports)
    text = text.replace(line.group(0), servers)
    text = text.replace("listen 8080;", f"listen 127.0.0.1:{listen};")
    return text.replace("/tmp/", prefix + "/")


def digits_requests(url: str) -> float:
    text = httpx.get(url + "/metrics").text
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "vqademo_requests_total" and s.labels.get("model") == "digits"
    )


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """(balancer url, [(replica url, pid)]): two servers of the committed digits model."""
    tmp = tmp_path_factory.mktemp("nginx")
    with ExitStack() as stack:
        replicas = [stack.enter_context(server("app.main:app", {"VQADEMO_MODELS": "digits"})) for _ in range(2)]
        ports = [int(url.rsplit(":", 1)[1]) for url, _, _ in replicas]
        listen = free_port()
        (tmp / "nginx.conf").write_text(local_conf(ports, listen, str(tmp)))
        subprocess.run([NGINX, "-t", "-q", "-p", str(tmp), "-c", str(tmp / "nginx.conf")], check=True)
        proc = subprocess.Popen([NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-g", "daemon off;"])
        stack.callback(proc.wait, 10)
        stack.callback(proc.terminate)
        url = f"http://127.0.0.1:{listen}"
        for _ in range(100):
            try:
                httpx.get(url + "/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield url, [(u, pid) for u, _, pid in replicas]


def test_compose_file_points_the_balancer_at_the_app():
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    app, balancer = compose["services"]["app"], compose["services"]["balancer"]
    assert balancer["depends_on"]["app"]["condition"] == "service_healthy"
    assert any(v.startswith("./nginx/nginx.conf:/etc/nginx/nginx.conf") for v in balancer["volumes"])
    assert app["deploy"]["replicas"] >= 2
    assert "server app:8000" in CONF.read_text()


def test_requests_reach_both_replicas(cluster):
    url, replicas = cluster
    before = [digits_requests(u) for u, _ in replicas]
    body = digits_body()
    with httpx.Client(timeout=30) as client:
        for _ in range(40):
            r = client.post(url + "/api/digits", content=body, headers={"content-type": "application/json"})
            assert r.status_code == 200, r.text
    served = [digits_requests(u) - b for (u, _), b in zip(replicas, before, strict=True)]
    assert sum(served) == 40 and min(served) > 0, served


def test_a_replica_killed_mid_traffic_costs_the_clients_nothing(cluster):
    url, replicas = cluster
    body = digits_body()
    stop = threading.Event()
    outcomes: list[int | str] = []

    def client_loop() -> None:
        with httpx.Client(timeout=30) as client:
            while not stop.is_set():
                try:
                    r = client.post(url + "/api/digits", content=body, headers={"content-type": "application/json"})
                    outcomes.append(r.status_code)
                except httpx.TransportError as exc:
                    outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=client_loop) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        time.sleep(1)
        os.kill(replicas[0][1], signal.SIGKILL)  # no drain: its open connections just break
        time.sleep(2)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert len(outcomes) > 50
    assert set(outcomes) == {200}, {o: outcomes.count(o) for o in set(outcomes)}
