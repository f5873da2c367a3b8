"""The compose file's nginx configuration, run for real with Debian's nginx in front of
two local servers of the app (in place of the compose replicas at `app:8000`): requests
reach both, and a replica killed outright mid-traffic costs the clients only the
responses it had begun to write. nginx hands what the dead replica refused, or dropped
before answering, to the other one; a response whose header had already gone to the
client cannot be resent (nginx's rule for `proxy_next_upstream`), so that client sees a
broken connection and, the request being idempotent, sends it again.

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
CLIENTS = 4
# nginx's error line for an upstream that closed after sending a response's header.
CUT_MID_RESPONSE = "upstream prematurely closed connection while reading upstream"

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
        # The configuration logs to stderr; the kill test reads what nginx said.
        log = stack.enter_context((tmp / "error.log").open("wb"))
        proc = subprocess.Popen([NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-g", "daemon off;"], stderr=log)
        stack.callback(proc.wait, 10)
        stack.callback(proc.terminate)
        url = f"http://127.0.0.1:{listen}"
        for _ in range(100):
            try:
                httpx.get(url + "/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield url, [(u, pid) for u, _, pid in replicas], tmp / "error.log"


def test_compose_file_points_the_balancer_at_the_app():
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    app, balancer = compose["services"]["app"], compose["services"]["balancer"]
    assert balancer["depends_on"]["app"]["condition"] == "service_healthy"
    assert any(v.startswith("./nginx/nginx.conf:/etc/nginx/nginx.conf") for v in balancer["volumes"])
    assert app["deploy"]["replicas"] >= 2
    assert "server app:8000" in CONF.read_text()


def test_requests_reach_both_replicas(cluster):
    url, replicas, _ = cluster
    before = [digits_requests(u) for u, _ in replicas]
    body = digits_body()
    with httpx.Client(timeout=30) as client:
        for _ in range(40):
            r = client.post(url + "/api/digits", content=body, headers={"content-type": "application/json"})
            assert r.status_code == 200, r.text
    served = [digits_requests(u) - b for (u, _), b in zip(replicas, before, strict=True)]
    assert sum(served) == 40 and min(served) > 0, served


def test_a_replica_killed_mid_traffic_costs_only_the_responses_it_had_begun(cluster):
    url, replicas, nginx_log = cluster
    body = digits_body()
    stop = threading.Event()
    first_tries: list[int | str] = []
    retries_failed: list[int | str] = []
    lock = threading.Lock()

    def client_loop() -> None:
        with httpx.Client(timeout=30) as client:

            def post() -> int | str:
                try:
                    r = client.post(url + "/api/digits", content=body, headers={"content-type": "application/json"})
                    return r.status_code
                except httpx.TransportError as exc:
                    return type(exc).__name__

            while not stop.is_set():
                outcome = post()
                with lock:
                    first_tries.append(outcome)
                # The one retry a client makes of an idempotent request its connection lost.
                if outcome != 200 and (again := post()) != 200:
                    with lock:
                        retries_failed.append(again)

    cut_before = nginx_log.read_text().count(CUT_MID_RESPONSE)
    threads = [threading.Thread(target=client_loop) for _ in range(CLIENTS)]
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
    failed = [o for o in first_tries if o != 200]
    cut = nginx_log.read_text().count(CUT_MID_RESPONSE) - cut_before
    assert len(first_tries) > 50
    # No 502 or 5xx: everything refused or dropped before an answer went to the other replica.
    assert set(failed) <= {"RemoteProtocolError"}, {o: failed.count(o) for o in set(failed)}
    # Each loss is a response nginx saw cut after its header, at most one per client in flight.
    assert len(failed) == cut <= CLIENTS, (failed, cut)
    assert retries_failed == []
