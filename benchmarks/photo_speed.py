"""Photo questions through the server, one at a time: a plain one and those about people,
with the server's start-up time and memory without and with the people models.

Each people question runs the models it needs beside the classifier and the detector
(`app.worlds.photo.answer.models_used`); a question that needs none of them must not get
slower when they are loaded.

    python -m benchmarks.photo_speed          # or: python -m benchmarks.serve --photos
"""

from __future__ import annotations

from benchmarks.serve import photo_body, rss_mb, sequential_latency, server

# Questions about people run the pose model; counts and faces the face finder too, smiles
# the expression model, and clothes' colours the person mask.
PEOPLE_QUESTIONS = {
    "people, count": "How many people are there?",
    "people, pose": "Is anyone sitting?",
    "people, faces": "Is anyone smiling?",
    "people, mask": "What colour is her suit?",
}


def without_people_models() -> dict[str, str]:
    """The server's environment with every expected model but the people models."""
    from app.config import Settings
    from app.worlds.photo.answer import CLASSIFIER, DETECTOR, MODELS

    people = set(MODELS) - {CLASSIFIER, DETECTOR}
    kept = [m for m in Settings().expected_models.split(",") if m not in people]
    return {"VQADEMO_MODELS": ",".join(kept)}


def photo_latency(runs: int = 100) -> None:
    """The photo questions one at a time, a plain one and those about people, and the
    server's start-up time and memory without and with the people models."""
    for label, env in (("without the people models", without_people_models()), ("all models", {})):
        with server("app.main:app", env) as (url, ready_s, pid):
            photo, photo_type = photo_body()
            sequential_latency(url + "/api/vqa", "POST", photo, 10, photo_type)  # warm
            print(f"{label}: start to ready {ready_s:.1f} s, resident memory {rss_mb(pid):.0f} MB")
            p50, p99 = sequential_latency(url + "/api/vqa", "POST", photo, runs, photo_type)
            print(f"  photo, how many cups (coffee): p50 {p50:.2f} ms p99 {p99:.2f} ms (goal: p50 < 150 ms)")
            if env:
                continue
            for name, question in PEOPLE_QUESTIONS.items():
                body, kind = photo_body("astronaut.jpg", question)
                sequential_latency(url + "/api/vqa", "POST", body, 10, kind)
                p50, p99 = sequential_latency(url + "/api/vqa", "POST", body, runs, kind)
                print(f"  {name}, {question!r} (astronaut): p50 {p50:.2f} ms p99 {p99:.2f} ms (goal: p50 < 150 ms)")


if __name__ == "__main__":
    photo_latency()
