# The service with its committed models, one uvicorn worker (scale out with replicas).
#   docker build -t vqa-demo .
#   docker run --rm -p 8000:8000 vqa-demo
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE} AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TF_CPP_MIN_LOG_LEVEL=2

# Tesseract reads text in photos (Debian's package, Apache-2.0); without it, questions
# about text are answered as out of scope.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng \
    && rm -rf /var/lib/apt/lists/*

# A virtual environment: the same steps work on python:3.11-slim and on a distribution's
# own Python (Debian's refuses system-wide pip installs, PEP 668). It is built in a stage
# of its own, so what only the install needs stays behind (see EXTRA_CA).
FROM base AS dependencies
WORKDIR /srv
# Dependencies first, so code changes do not reinstall TensorFlow.
COPY pyproject.toml README.md constraints.txt ./
# For `docker run --gpus all`: --build-arg EXTRAS=gpu installs TensorFlow with CUDA
# (several GB); VQADEMO_DEVICE=auto then picks the GPU, with memory growth on.
ARG EXTRAS=""
# Behind a proxy that re-signs TLS, pip needs that proxy's CA besides the usual ones:
#   docker build --build-arg EXTRA_CA="$(cat /usr/local/share/ca-certificates/proxy.crt)" -t vqa-demo .
# It is used by this stage's install only; the image takes the installed environment
# from this stage and nothing else, so neither the certificate nor the argument is in
# its layers or its history.
ARG EXTRA_CA=""
RUN python3 -m venv /opt/venv \
    && if [ -n "$EXTRA_CA" ]; then \
         printf '%s\n' "$EXTRA_CA" | cat /etc/ssl/certs/ca-certificates.crt - > /tmp/pip-ca.pem \
         && export PIP_CERT=/tmp/pip-ca.pem; \
       fi \
    && mkdir app training \
    && touch app/__init__.py training/__init__.py \
    && /opt/venv/bin/pip install -c constraints.txt ".${EXTRAS:+[$EXTRAS]}" \
    && /opt/venv/bin/pip uninstall -y vqa-demo \
    && rm -rf app training build *.egg-info /tmp/pip-ca.pem

FROM base
COPY --from=dependencies /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /srv
COPY app ./app
COPY training ./training
COPY static ./static
COPY models ./models

RUN useradd --system --home-dir /srv --shell /usr/sbin/nologin demo
USER demo
EXPOSE 8000
# Every 10 s (--start-interval would check faster while starting, but Debian's Docker
# 20.10 refuses the flag).
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2)"
# SIGTERM drains: readiness turns false, in-flight requests get 8 s
# (VQADEMO_GRACEFUL_SHUTDOWN_S), inside `docker stop`'s default 10 s (Kubernetes allows
# 30). Keep-alive outlasts balancers' 60 s idle. Every default lives in app/cli.py.
STOPSIGNAL SIGTERM
ENV VQADEMO_HOST=0.0.0.0 VQADEMO_PORT=8000
CMD ["python", "-m", "app.cli", "serve"]
