"""One settings object, read from the environment (prefix `VQADEMO_`).

Every limit the service enforces is here, so an operator can change it without
touching code: `VQADEMO_MAX_UPLOAD_BYTES=2000000 make run`.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VQADEMO_", env_file=None, extra="ignore")

    # Where models live; every sub-folder with a model.keras is served.
    models_dir: Path = ROOT / "models"
    # Sample scenes for the VQA gallery (written by `training.datasets.shapes.files samples`).
    samples_dir: Path = ROOT / "static" / "samples"
    photos_dir: Path = ROOT / "static" / "photos"
    charts_dir: Path = ROOT / "static" / "charts"
    # How `vqa-demo serve` runs the server (app/cli.py): the production defaults.
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(1, ge=1)
    # Longer than the idle timeout of common load balancers (60 s), so the server never
    # closes a kept-alive connection just as a balancer reuses it.
    keep_alive_s: int = Field(75, ge=1)
    graceful_shutdown_s: int = Field(8, ge=0)  # in-flight requests' time after SIGTERM
    # Only these models are loaded (comma-separated); empty means all that are known.
    models: str = ""
    # The models this deployment is expected to serve: listed (as absent) even when
    # their folder is missing. Folders with other names are served when their card's
    # task is one the server knows.
    expected_models: str = (
        "digits,digits_mlp,digits_mlp_nodropout,autoencoder,autoencoder_2d,autoencoder_denoise,"
        "autoencoder_toy,vqa,vqa_baseline,scene_ood,scene_parser,photo_classifier,photo_detector,photo_pose,photo_faces,photo_expression,photo_segment,chart_reader,chart_baseline"
    )

    # Request limits (checked before any decoding).
    max_body_bytes: int = Field(16 * 1024 * 1024, ge=1024)
    max_upload_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    max_image_pixels: int = Field(16_000_000, ge=1)
    # Pixels being decoded at once, across requests: more uploads wait their turn.
    decode_budget_pixels: int = Field(32_000_000, ge=1)
    max_question_chars: int = Field(300, ge=1)
    # A VQA answer whose (calibrated) probability is under this is shown as a guess.
    vqa_guess_below: float = Field(0.7, ge=0.0, le=1.0)
    max_mc_samples: int = Field(100, ge=0)
    max_v2_batch: int = Field(4096, ge=1)  # images in one Open Inference Protocol request
    # POST /v2/models/{name}/infer ahead of FastAPI's router (app.routers.v2.LeanInfer); off: the FastAPI route.
    v2_lean_infer: bool = True
    default_page_mc_samples: int = Field(30, ge=0)

    # Micro-batching: a lone request runs at once; requests that arrive while the
    # model is busy are gathered into one call of at most `max_batch_size`.
    max_batch_size: int = Field(32, ge=1)
    max_batch_wait_ms: float = Field(0.0, ge=0.0)
    max_queue_depth: int = Field(256, ge=1)
    request_deadline_s: float = Field(10.0, gt=0.0)
    warmup_batch_sizes: str = "1,8,32"

    # Compute.
    device: Literal["auto", "cpu", "gpu"] = "auto"
    # 0: auto (app.runtime.intra_op_threads), the worker's share of the cores; 1 for
    # throughput of small models under load, at some latency for big ones.
    intra_op_threads: int = Field(0, ge=0)
    # Calls one model runs at once; 0: auto (app.runtime.model_threads), as many as the
    # worker's share of the cores holds at `intra_op_threads` each.
    model_threads: int = Field(0, ge=0)
    # Only models whose call on one row takes at least this long run several calls at
    # once; quicker ones run one (app.registry: their batches would only get smaller).
    parallel_calls_from_ms: float = Field(3.0, ge=0.0)
    inter_op_threads: int = Field(0, ge=0)
    jit_compile: bool = False  # XLA for the compiled forward pass
    # FastAPI's native OpenTelemetry (spans, metrics and logs to the providers configured
    # in the process). Off, the app keeps its own Prometheus metrics and logs, and no
    # request pays for FastAPI asking whether a provider was configured.
    opentelemetry: bool = False
    # bfloat16 serves only models whose card records a check of it (benchmarks/precision.py);
    # auto: bfloat16 on a CPU with native bfloat16 instructions, float32 elsewhere.
    precision: Literal["auto", "float32", "bfloat16"] = "auto"

    # Origins allowed to call the API from a browser (comma-separated); none by default.
    cors_origins: str = ""
    # A fair share per client (app/fairness.py): unset, no limit. A public deployment
    # sets both, e.g. 5 a second with bursts of 20 (docs/scaling.md).
    rate_per_s: float | None = Field(None, gt=0)
    rate_burst: int | None = Field(None, ge=1)  # default: twice the rate, at least 1
    rate_max_clients: int = Field(100_000, ge=1)  # buckets kept (the least recently seen go first)
    # Proxies whose X-Forwarded-For is believed (comma-separated addresses or CIDRs).
    trusted_proxies: str = ""
    # Optional API keys (app/keys.py): comma-separated keys, or a file of their sha256
    # digests; set, /api and /v2 need `Authorization: Bearer <key>`. Secret: never printed.
    api_keys: SecretStr = SecretStr("")
    api_keys_file: Path | None = None
    # "json": one JSON object per log line, with a line per request (for log collectors).
    log_format: Literal["text", "json"] = "text"

    log_level: str = "info"

    @property
    def warmup_sizes(self) -> list[int]:
        sizes = {int(s) for s in self.warmup_batch_sizes.split(",") if s.strip()}
        return sorted(s for s in sizes if 0 < s <= self.max_batch_size) or [1]

    @property
    def rate_burst_or_default(self) -> int:
        return self.rate_burst or max(1, math.ceil(2 * (self.rate_per_s or 0)))

    @property
    def expected_model_names(self) -> list[str]:
        return [m.strip() for m in self.expected_models.split(",") if m.strip()]

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    @property
    def model_allowlist(self) -> set[str]:
        return {m.strip() for m in self.models.split(",") if m.strip()}


@lru_cache
def get_settings() -> Settings:
    return Settings()
