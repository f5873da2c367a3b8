"""Peer benchmark: this server against the servers people would pick instead, one run.

The committed `digits` model (and `vqa`, with two inputs) served by:
- ours: `uvicorn app.main:app`, one worker, as `make run` starts it (`--workers 1,2`
  adds "ours x2": two worker processes, each with its own models and batchers);
- PyTriton 0.7 (Triton's C++ HTTP front end, the model in a Python stub with `@batch`
  and Triton's dynamic batcher);
- MLServer 1.7 (a custom runtime with adaptive batching, one process: its docs'
  advice for a model that batches; `parallel_workers` 0);
- BentoML 1.4 (a service with a batchable API, one worker), on its own JSON route,
  since it has no V2 endpoint.

Every peer runs the same Keras file through the same compiled forward pass (a
`tf.function` with a batch-free signature, as the app compiles it) in its own virtual
environment under `.peers/` (made by this script with pip, never a dependency of the
service). The script checks all answer the same argmax, then drives one server at a time
with wrk at c = 1, 8, 32, 64 in interleaved rounds (every server once per round), over
V2 JSON, and over V2 binary tensors (the extension `tritonclient` uses) for the two that
speak it. It prints requests/s and p50/p99 per server with medians and ranges over the
rounds, and our throughput divided by each peer's, paired within each round.

    python -m benchmarks.peers                      # 3 rounds, about 15 minutes
    python -m benchmarks.peers --rounds 1 --seconds 3 --peers pytriton
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

from benchmarks.serve import UVICORN_FLAGS, free_port, wrk

ROOT = Path(__file__).resolve().parents[2]
PEERS_DIR = ROOT / ".peers"
CONCURRENCY = (1, 8, 32, 64)
MAX_BATCH = 32  # the app's VQADEMO_MAX_BATCH_SIZE, given to every peer's batcher

# Versions measured; the TensorFlow and Keras of the app, so the forward pass is the same.
SHARED = ["tensorflow==2.21.0", "keras==3.15.1"]
REQUIREMENTS = {
    "pytriton": ["nvidia-pytriton==0.7.0"],
    # MLServer's parallel workers crash-loop under uvloop 0.23 (no current event loop).
    "mlserver": ["mlserver==1.7.1", "uvloop<0.22"],
    "bentoml": ["bentoml==1.4.40"],
}
# The VQA file's custom layers live in the app's own modules: the peer gets the app
# installed (with its dependencies, as the peer's own pins allow) to import them.
MODEL_REQUIREMENTS = {"vqa": [str(ROOT)]}

# -- the peers' programs: real files in this package, copied beside a peer.json -----------

HERE = Path(__file__).resolve().parent
PROGRAMS = {"pytriton": "pytriton_server.py", "mlserver": "mlserver_runtime.py", "bentoml": "bentoml_service.py"}


@dataclass
class ModelSpec:
    name: str  # the app's model name
    inputs: list[tuple[str, tuple, str]]  # (name, shape without batch, dtype)
    output: str

    @property
    def specs(self) -> list[tuple[tuple, str]]:
        return [(shape, dtype) for _, shape, dtype in self.inputs]

    @property
    def path(self) -> str:
        return str(ROOT / "models" / self.name / "model.keras")


DIGITS = ModelSpec("digits", [("image", (28, 28, 1), "float32")], "probabilities")
VQA = ModelSpec("vqa", [("image", (64, 64, 3), "float32"), ("question", (24,), "int32")], "answers")


def peer_folder(peer: str, model: ModelSpec, port: int, folder: Path) -> list[str]:
    """Writes the peer's program, the shared forward pass and `peer.json` (what to serve)
    into `folder`, plus the peer's own settings files; returns the command to start it."""
    for name in ("forward.py", PROGRAMS[peer]):
        shutil.copy(HERE / name, folder / name)
    grpc_port, metrics_port = free_port(), free_port()
    spec = {
        "name": model.name,
        "path": model.path,
        "inputs": [[n, list(s), d] for n, s, d in model.inputs],
        "output": model.output,
        "port": port,
        "ports": [grpc_port, metrics_port],
        "max_batch": MAX_BATCH,
    }
    (folder / "peer.json").write_text(json.dumps(spec))
    if peer == "pytriton":
        return ["python", PROGRAMS[peer]]
    if peer == "mlserver":
        settings = {"http_port": port, "grpc_port": grpc_port, "metrics_port": metrics_port, "parallel_workers": 0}
        (folder / "settings.json").write_text(json.dumps(settings))
        model_settings = {
            "name": model.name,
            "implementation": "mlserver_runtime.Runtime",
            "max_batch_size": MAX_BATCH,
            "max_batch_time": 0.002,
        }
        (folder / "model-settings.json").write_text(json.dumps(model_settings))
        return ["mlserver", "start", str(folder)]
    return ["bentoml", "serve", "bentoml_service:Peer", "--port", str(port), "--host", "127.0.0.1"]


# -- servers ------------------------------------------------------------------------------


def ensure_venv(peer: str, model: ModelSpec) -> Path:
    """The peer's virtual environment, made with pip on first use, topped up with what a
    model needs."""
    venv = PEERS_DIR / peer
    marker = venv / ".installed"
    wanted = REQUIREMENTS[peer] + SHARED + MODEL_REQUIREMENTS.get(model.name, [])
    installed = marker.read_text().split() if marker.exists() else []
    if not set(wanted) <= set(installed):
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([venv / "bin" / "pip", "install", "--quiet", *wanted], check=True)
        marker.write_text(" ".join(sorted(set(wanted) | set(installed))))
    return venv


def peer_env(venv: Path) -> dict[str, str]:
    env = os.environ | {"PATH": f"{venv / 'bin'}:{os.environ['PATH']}", "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("PYTHONPATH", None)
    # Triton's Python stub links the system libpython; a venv whose standard library is a
    # different patch release must find its own first (or the stub fails on RLock).
    libdir = subprocess.run(
        [venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_config_var('LIBDIR'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    env["LD_LIBRARY_PATH"] = f"{libdir}:{os.environ.get('LD_LIBRARY_PATH', '')}"
    return env


@dataclass
class Server:
    name: str
    url: str  # the infer URL
    json_body: bytes
    binary: tuple[bytes, dict[str, str]] | None = None  # body and headers, for the V2 binary extension
    answer: int = -1  # the argmax of its first real answer


def sample_inputs(model: ModelSpec) -> dict[str, np.ndarray]:
    if model.name == "digits":
        image = np.zeros((1, 28, 28, 1), np.float32)
        image[0, 4:24, 12:16] = 1.0  # a "1"
        return {"image": image}
    from PIL import Image

    from app.worlds.shapes.preprocessing import image_to_array, read_assets

    scene = image_to_array(Image.open(ROOT / "static" / "samples" / "scene_00.png").convert("RGB"))
    ids, _ = read_assets(ROOT / "models" / "vqa")["encoder"].encode("What color is the large circle?")
    return {"image": scene[None], "question": ids[None]}


V2_DATATYPES = {"float32": "FP32", "int32": "INT32"}


def v2_json(model: ModelSpec, inputs: dict[str, np.ndarray]) -> bytes:
    tensors = [
        {
            "name": n,
            "shape": list(inputs[n].shape),
            "datatype": V2_DATATYPES[d],
            "data": inputs[n].ravel().tolist(),
        }
        for n, _, d in model.inputs
    ]
    return json.dumps({"inputs": tensors}).encode()


def v2_binary(model: ModelSpec, inputs: dict[str, np.ndarray]) -> tuple[bytes, dict[str, str]]:
    tensors, blobs = [], []
    for n, _, d in model.inputs:
        blob = inputs[n].astype(np.dtype(d).newbyteorder("<")).tobytes()
        tensors.append(
            {
                "name": n,
                "shape": list(inputs[n].shape),
                "datatype": V2_DATATYPES[d],
                "parameters": {"binary_data_size": len(blob)},
            }
        )
        blobs.append(blob)
    header = json.dumps({"inputs": tensors, "outputs": [{"name": model.output, "parameters": {"binary_data": True}}]}).encode()
    return header + b"".join(blobs), {
        "Content-Type": "application/octet-stream",
        "Inference-Header-Content-Length": str(len(header)),
    }


def our_workers(name: str) -> int:
    """Our uvicorn workers: one for "ours" (as `make run` starts it), N for "ours xN"."""
    return int(name.removeprefix("ours x")) if name.startswith("ours x") else 1


@contextmanager
def running(peer: str, model: ModelSpec, tmp: Path):
    """Starts one server; yields a Server once it has answered a real inference."""
    port = free_port()
    inputs = sample_inputs(model)
    v2 = v2_json(model, inputs)
    folder = Path(tempfile.mkdtemp(dir=tmp))
    v2_url = f"http://127.0.0.1:{port}/v2/models/{model.name}/infer"
    if peer.startswith("ours"):
        env = os.environ | {"VQADEMO_MODELS": model.name, "VQADEMO_WORKERS": str(our_workers(peer)), "TF_CPP_MIN_LOG_LEVEL": "3"}
        cmd = [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port), *UVICORN_FLAGS]
        cmd += ["--workers", str(our_workers(peer))]
        server = Server(peer, v2_url, v2, v2_binary(model, inputs))
        cwd = ROOT
    else:
        venv = ensure_venv(peer, model)
        env, cwd = peer_env(venv), folder
        cmd = peer_folder(peer, model, port, folder)
        if peer == "pytriton":
            cmd[0] = str(venv / "bin" / "python")
        if peer == "bentoml":
            body = json.dumps({n: inputs[n].tolist() for n, _, _ in model.inputs}).encode()
            server = Server(peer, f"http://127.0.0.1:{port}/predict", body)
        else:
            server = Server(peer, v2_url, v2, v2_binary(model, inputs) if peer == "pytriton" else None)
    log = open(folder / "server.log", "wb")
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        # Readiness routes answer before some peers load the model: wait for a real answer.
        deadline = time.monotonic() + 300
        while True:
            try:
                r = httpx.post(server.url, content=server.json_body, headers={"content-type": "application/json"}, timeout=10)
                if r.status_code == 200:
                    server.answer = answer_of(r.json(), model)
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"{peer} did not start; see {folder / 'server.log'}:\n" + (folder / "server.log").read_text()[-3000:]
                )
            time.sleep(0.5)
        yield server
    finally:
        # Peers' helper processes can outlive SIGTERM: stop the whole session group.
        for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
            try:
                os.killpg(proc.pid, sig)
                proc.wait(timeout=wait)
                break
            except (ProcessLookupError, subprocess.TimeoutExpired):
                continue
        log.close()


def answer_of(body, model: ModelSpec) -> int:
    """The argmax of the model's output, from a V2 response or BentoML's array."""
    if isinstance(body, dict):
        out = next(o for o in body["outputs"] if o["name"] == model.output)
        data = out["data"]
    else:
        data = body
    return int(np.argmax(np.asarray(data, np.float32).ravel()))


def cost_per_row(model: ModelSpec) -> dict[str, float]:
    """GFLOP per row (TensorFlow's profiler on the traced forward pass, batch 1) and the
    raw forward pass in ms at batch 1 and 32 on this machine."""
    import keras
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2
    from tensorflow.python.profiler import model_analyzer, option_builder

    from app.worlds.shapes import models as vqa_models  # noqa: F401  (registers the VQA layers)
    from benchmarks.serve import raw_forward_ms

    net = keras.saving.load_model(model.path, compile=False)
    signature = [tf.TensorSpec((1, *shape), dtype) for shape, dtype in model.specs]
    call = (lambda x: net(x, training=False)) if len(signature) == 1 else (lambda *xs: net(list(xs), training=False))
    graph = convert_variables_to_constants_v2(tf.function(call).get_concrete_function(*signature)).graph
    options = option_builder.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    flops = model_analyzer.profile(graph, options=options).total_float_ops
    ms = raw_forward_ms(Path(model.path))
    return {"gflop": flops / 1e9, "ms_batch_1": ms[1], "ms_per_row_batch_32": ms[32] / 32}


# -- the run ------------------------------------------------------------------------------


def drive(server: Server, seconds: int, tmp: Path, concurrency: tuple[int, ...]) -> dict:
    rows = {}
    wrk(server.url, server.json_body, 8, 2, tmp)  # warm connections and batch sizes
    for c in concurrency:
        rows[("json", c)] = wrk(server.url, server.json_body, c, seconds, tmp)
    if server.binary:
        body, headers = server.binary
        for c in concurrency:
            rows[("binary", c)] = wrk(server.url, body, c, seconds, tmp, headers["Content-Type"], headers)
    return rows


def summarize(results: dict[str, list[dict]], concurrency: tuple[int, ...]) -> None:
    def span(values: list[float], fmt: str) -> str:
        if len(values) == 1:
            return format(values[0], fmt)
        return f"{format(statistics.median(values), fmt)} ({format(min(values), fmt)}-{format(max(values), fmt)})"

    print(f"\n{'server':<10} {'body':<7} {'c':>3} | {'requests/s, median (range)':>28} | {'p50 ms':>18} | {'p99 ms':>18} | fail")
    for name, rounds in results.items():
        for key in rounds[0]:
            rps = [r[key]["rps"] for r in rounds]
            p50 = [r[key]["p50"] for r in rounds]
            p99 = [r[key]["p99"] for r in rounds]
            fail = sum(r[key]["failures"] for r in rounds)
            print(
                f"{name:<10} {key[0]:<7} {key[1]:>3} | {span(rps, '.0f'):>28} | {span(p50, '.2f'):>18} | {span(p99, '.1f'):>18} | {fail}"
            )
    for mine in (n for n in results if n.startswith("ours")):
        print(f"\n{mine} / peer, requests/s paired within each round: median (range)")
        for name, rounds in results.items():
            if name == mine:
                continue
            for key in rounds[0]:
                ratios = [o[key]["rps"] / p[key]["rps"] for o, p in zip(results[mine], rounds, strict=True) if key in o]
                if ratios:
                    label = f"{key[0]} c={key[1]}"
                    print(f"  vs {name:<9} {label:<12} {span(ratios, '.2f')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5, help="per wrk run")
    parser.add_argument("--peers", default="pytriton,mlserver,bentoml")
    parser.add_argument("--workers", default="1", help="our uvicorn worker counts to run, e.g. 1,2")
    parser.add_argument("--model", choices=("digits", "vqa"), default="digits")
    parser.add_argument("--concurrency", default=",".join(map(str, CONCURRENCY)))
    parser.add_argument("--cost", action="store_true", help="print the model's GFLOP and ms per row, then stop")
    parser.add_argument(
        "--peer-intra-op-threads", type=int, default=0, help="the peers' TensorFlow intra-op threads (0: TensorFlow's default)"
    )
    args = parser.parse_args()
    if args.peer_intra_op_threads:
        os.environ["PEER_INTRA_OP_THREADS"] = str(args.peer_intra_op_threads)
    model = DIGITS if args.model == "digits" else VQA
    if args.cost:
        cost = cost_per_row(model)
        print(
            f"{model.name}: {cost['gflop']:.4f} GFLOP a row; raw forward pass {cost['ms_batch_1']:.2f} ms at batch 1, "
            f"{cost['ms_per_row_batch_32']:.2f} ms a row at batch 32 ({cost['gflop'] / cost['ms_per_row_batch_32'] * 1000:.1f} GFLOP/s)"
        )
        return
    concurrency = tuple(int(c) for c in args.concurrency.split(","))
    ours = [f"ours x{w}" if w != "1" else "ours" for w in args.workers.split(",")]
    names = [*ours, *[p for p in args.peers.split(",") if p]]
    results: dict[str, list[dict]] = {n: [] for n in names}
    answers: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.rounds):
            order = names if i % 2 == 0 else names[::-1]  # alternate who goes first
            for name in order:
                with running(name, model, Path(tmp)) as server:
                    answers[name] = server.answer
                    print(f"round {i + 1}: {name} up, answers {answers[name]}", flush=True)
                    results[name].append(drive(server, args.seconds, Path(tmp), concurrency))
    if len(set(answers.values())) != 1:
        raise SystemExit(f"the servers disagree: {answers}")
    summarize(results, concurrency)


if __name__ == "__main__":
    main()
