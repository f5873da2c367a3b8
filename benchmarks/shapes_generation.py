"""Is generating shapes questions fast enough to feed training?

Measures, on one core: scenes sampled, questions made (the balancing included) and
scenes rendered per second; then whole training batches (render, letterbox, encode)
from `ShapesStream`, in this process and with worker threads/processes; and, in the
same run, the training step of a stand-in VQA model (a CNN + bidirectional GRU of the
size issue 5 measured for FiLM, about 1.3 M parameters), so the table says whether
the stream keeps a training step fed.

    python -m benchmarks.shapes_generation
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np


def rate(fn, seconds: float = 3.0) -> float:
    """Calls per second of fn(), over about `seconds`."""
    fn()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        n += 1
    return n / (time.perf_counter() - start)


def stand_in_model(vocab_size: int, side: int):
    import keras

    image = keras.Input((side, side, 3))
    question = keras.Input((24,), dtype="int32")
    x = image
    for stride in (2, 2, 1, 1, 1, 1):
        x = keras.layers.Conv2D(128, 3, strides=stride, padding="same", activation="relu")(x)
    x = keras.layers.GlobalMaxPooling2D()(x)
    q = keras.layers.Embedding(vocab_size, 64, mask_zero=True)(question)
    q = keras.layers.Bidirectional(keras.layers.GRU(128))(q)
    h = keras.layers.Dense(512, activation="relu")(keras.layers.Concatenate()([x, q]))
    model = keras.Model([image, question], keras.layers.Dense(22, activation="softmax")(h))
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--side", type=int, default=64)
    args = parser.parse_args()

    from app.worlds.shapes.preprocessing import QuestionEncoder
    from training.datasets.shapes.language import vocabulary
    from training.datasets.shapes.questions import generate
    from training.datasets.shapes.scenes import render, sample_scene
    from training.datasets.shapes.stream import ShapesStream

    rng = np.random.default_rng(0)
    scene = sample_scene(rng)
    rows = [
        ("scenes sampled", rate(lambda: sample_scene(rng)), "scenes"),
        ("scenes rendered, 128 px", rate(lambda: render(scene, 128)), "scenes"),
        ("scenes rendered, 128 px, antialias 4", rate(lambda: render(scene, 128, 4)), "scenes"),
    ]
    start, made = time.perf_counter(), 0
    for _, qs in generate(rng, 5000, sample_scene):
        made += len(qs)
    rows.append(("questions made (balanced, no rendering)", made / (time.perf_counter() - start), "questions"))

    encoder = QuestionEncoder(vocabulary())
    stream = ShapesStream(encoder, batch_size=args.batch_size, steps=10_000, image_side=args.side)
    index = iter(range(10_000))
    per_batch = rate(lambda: stream[next(index)], 5.0)
    rows.append((f"training samples, one process (batch {args.batch_size})", per_batch * args.batch_size, "samples"))

    print(f"{'one core':<52} {'per second':>12}")
    for label, value, unit in rows:
        print(f"{label:<52} {value:>12,.0f} {unit}")

    model = stand_in_model(len(encoder), args.side)
    (images, questions), answers = stream[0]
    model.train_on_batch([images, questions], answers)
    step_rate = rate(lambda: model.train_on_batch([images, questions], answers), 5.0)
    print(f"\n{'stand-in model (' + format(model.count_params(), ',') + ' parameters)':<52} {'samples/s':>12}")
    print(f"{'train step on in-memory batches':<52} {step_rate * args.batch_size:>12,.0f}")

    for workers, multiprocessing in ((1, False), (2, True)):
        fed = ShapesStream(
            encoder,
            batch_size=args.batch_size,
            steps=30,
            image_side=args.side,
            seed=7,
            workers=workers,
            use_multiprocessing=multiprocessing,
        )
        start = time.perf_counter()
        model.fit(fed, epochs=1, verbose=0)
        seconds = time.perf_counter() - start
        how = f"{workers} {'process' if multiprocessing else 'thread'}{'es' if workers > 1 and multiprocessing else ''}"
        print(f"{'fit() fed by ShapesStream, ' + how:<52} {30 * args.batch_size / seconds:>12,.0f}")


if __name__ == "__main__":
    main()
