"""The tutorial baseline: FastAPI calling `model.predict` per request, no batching.

What most "serve a Keras model with FastAPI" tutorials show; `benchmarks/serve.py`
measures it beside the service, same model, same machine, same load generator.

    BASELINE_MODEL=models/digits/model.keras uvicorn benchmarks.tutorial_app:app
"""

import os

import keras
import numpy as np
from fastapi import FastAPI
from pydantic import BaseModel

model = keras.saving.load_model(os.environ.get("BASELINE_MODEL", "models/digits/model.keras"), compile=False)
app = FastAPI()


class Pixels(BaseModel):
    pixels: list[list[float]]


@app.get("/healthz")
def healthz() -> dict:
    return {"status": "ok"}


@app.post("/predict")
def predict(body: Pixels) -> dict:
    x = np.asarray(body.pixels, np.float32).reshape(1, 28, 28, 1)
    probabilities = model.predict(x, verbose=0)[0]
    return {"digit": int(probabilities.argmax()), "probabilities": probabilities.tolist()}
