"""The tutorial baseline: FastAPI calling `model.predict` per request, no batching.

What most "serve a Keras model with FastAPI" tutorials show; `benchmarks/serve.py`
measures it beside the service, same model, same machine, same load generator.
`/predict` reads a digit as JSON pixels; `/predict_vqa` an uploaded image and a
question, with the project's own preprocessing (the tutorial part is the model call).

    BASELINE_MODEL=models/digits/model.keras uvicorn benchmarks.tutorial_app:app
    BASELINE_MODEL=models/vqa uvicorn benchmarks.tutorial_app:app
"""

import io
import os
from pathlib import Path

import keras
import numpy as np
from fastapi import FastAPI, File, Form, UploadFile
from PIL import Image
from pydantic import BaseModel

from app.worlds.shapes import models as vqa_models  # noqa: F401  (registers the VQA layers)
from app.worlds.shapes import preprocessing as vqa_task

location = Path(os.environ.get("BASELINE_MODEL", "models/digits/model.keras"))
model = keras.saving.load_model(location / "model.keras" if location.is_dir() else location, compile=False)
assets = vqa_task.read_assets(location) if (location / "vocab.json").is_file() else None
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


@app.post("/predict_vqa")
def predict_vqa(image: UploadFile = File(...), question: str = Form(...)) -> dict:
    x = vqa_task.image_to_array(Image.open(io.BytesIO(image.file.read())))[None]
    ids, _ = assets["encoder"].encode(question)
    probabilities = model.predict([x, ids[None]], verbose=0)[0]
    return {"answers": vqa_task.top_answers(probabilities, assets["labels"], 5)}
