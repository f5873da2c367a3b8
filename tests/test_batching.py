import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from app.batching import MicroBatcher
from app.errors import DeadlineExceeded, Overloaded


class RecordingModel:
    """Doubles its input after `delay` seconds, remembering each batch size."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.batch_sizes: list[int] = []
        self.threads: set[str] = set()

    def __call__(self, x: np.ndarray) -> np.ndarray:
        self.batch_sizes.append(len(x))
        self.threads.add(threading.current_thread().name)
        time.sleep(self.delay)
        return x * 2


def run(coro):
    """asyncio.run in a thread of its own: Playwright's sync API (the browser tests)
    keeps an event loop running in the main thread for the whole session."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def make(model, **kw) -> MicroBatcher:
    options = {"max_batch_size": 8, "max_wait_ms": 0.0, "max_queue_depth": 64} | kw
    return MicroBatcher("test", model, **options)


def test_lone_request_runs_at_once_off_the_event_loop():
    async def scenario():
        model = RecordingModel()
        batcher = make(model, max_wait_ms=0.0)
        batcher.start()
        start = time.perf_counter()
        out = await batcher.infer(np.ones((1, 3), np.float32), deadline_s=5)
        elapsed = time.perf_counter() - start
        await batcher.stop()
        return model, out, elapsed

    model, out, elapsed = run(scenario())
    np.testing.assert_array_equal(out, np.full((1, 3), 2.0))
    assert model.batch_sizes == [1]
    assert elapsed < 0.5
    assert all(name.startswith("model-test") for name in model.threads)


def test_the_model_thread_takes_its_next_batch_without_the_event_loop():
    """While the loop is busy (here: blocked), queued requests still get computed: the
    model is never idle waiting for the loop to hand it the next batch."""

    async def scenario():
        model = RecordingModel(delay=0.05)
        batcher = make(model, max_batch_size=1)
        batcher.start()
        calls = [asyncio.ensure_future(batcher.infer(np.ones((1, 1)), 5)) for _ in range(3)]
        await asyncio.sleep(0)  # all three queued
        time.sleep(0.4)  # the event loop does something else for longer than the three calls
        computed_meanwhile = len(model.batch_sizes)
        await asyncio.gather(*calls)
        await batcher.stop()
        return computed_meanwhile

    assert run(scenario()) == 3


def test_concurrent_requests_share_batches_and_get_their_own_rows():
    async def scenario():
        model = RecordingModel(delay=0.02)
        batcher = make(model)
        batcher.start()
        inputs = [np.full((1, 2), i, np.float32) for i in range(20)]
        outs = await asyncio.gather(*(batcher.infer(x, deadline_s=5) for x in inputs))
        await batcher.stop()
        return model, inputs, outs

    model, inputs, outs = run(scenario())
    for x, y in zip(inputs, outs, strict=False):
        np.testing.assert_array_equal(y, x * 2)
    assert sum(model.batch_sizes) == 20
    assert max(model.batch_sizes) == 8  # bounded by max_batch_size
    assert len(model.batch_sizes) < 20  # and batched


def test_multi_row_requests_never_exceed_the_batch_size():
    async def scenario():
        model = RecordingModel(delay=0.01)
        batcher = make(model, max_batch_size=8)
        batcher.start()
        sizes = [5, 5, 3, 20, 1]
        outs = await asyncio.gather(*(batcher.infer(np.ones((n, 1), np.float32), 5) for n in sizes))
        await batcher.stop()
        return model, sizes, outs

    model, sizes, outs = run(scenario())
    assert [len(o) for o in outs] == sizes
    assert all(n <= 8 for n in model.batch_sizes if n != 20)


def test_full_queue_sheds_load():
    async def scenario():
        batcher = make(RecordingModel(delay=0.2), max_queue_depth=2)
        batcher.start()
        first = asyncio.ensure_future(batcher.infer(np.ones((1, 1)), 5))
        await asyncio.sleep(0.05)  # the worker is now busy with `first`
        queued = [asyncio.ensure_future(batcher.infer(np.ones((1, 1)), 5)) for _ in range(2)]
        await asyncio.sleep(0)
        with pytest.raises(Overloaded) as err:
            await batcher.infer(np.ones((1, 1)), 5)
        await asyncio.gather(first, *queued)
        await batcher.stop()
        return err.value

    error = run(scenario())
    assert error.status_code == 503 and error.headers["Retry-After"]


def test_deadline_gives_504():
    async def scenario():
        batcher = make(RecordingModel(delay=0.3))
        batcher.start()
        with pytest.raises(DeadlineExceeded) as err:
            await batcher.infer(np.ones((1, 1)), deadline_s=0.05)
        await batcher.stop()
        return err.value

    assert run(scenario()).status_code == 504


def test_a_failing_batch_fails_its_requests_not_the_worker():
    calls = {"n": 0}

    def flaky(x):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("boom")
        return x

    async def scenario():
        batcher = make(flaky)
        batcher.start()
        with pytest.raises(RuntimeError):
            await batcher.infer(np.ones((1, 1)), 5)
        out = await batcher.infer(np.ones((1, 1)), 5)
        await batcher.stop()
        return out

    assert run(scenario()).shape == (1, 1)


def test_requests_that_cannot_be_batched_together_fail_alone():
    async def scenario():
        batcher = make(RecordingModel(delay=0.05))
        batcher.start()
        first = asyncio.ensure_future(batcher.infer(np.ones((1, 1)), 5))
        await asyncio.sleep(0.02)  # the model is busy: the next two queue up and meet in one batch
        mismatched = asyncio.gather(batcher.infer(np.ones((1, 2)), 5), batcher.infer(np.ones((1, 3)), 5), return_exceptions=True)
        results = [await first, *await mismatched]
        after = await batcher.infer(np.ones((1, 1)), 5)  # the thread lives on
        await batcher.stop()
        return results, after

    (first, *mismatched), after = run(scenario())
    assert first.shape == (1, 1) and after.shape == (1, 1)
    assert all(isinstance(r, ValueError) for r in mismatched)


def test_run_alone_shares_the_model_thread_and_keeps_the_deadline():
    async def scenario():
        batcher = make(RecordingModel())
        batcher.start()
        name = await batcher.run_alone(lambda: threading.current_thread().name, deadline_s=5)
        with pytest.raises(DeadlineExceeded):
            await batcher.run_alone(time.sleep, 0.3, deadline_s=0.05)
        await batcher.stop()
        return name

    assert run(scenario()).startswith("model-test")


def test_two_threads_run_two_batches_at_once_and_answer_every_request():
    """With `threads=2`, what queues up while one call computes starts on the second
    thread instead of waiting: two slow calls overlap, and every row comes back to its
    own request."""

    async def scenario():
        model = RecordingModel(delay=0.3)
        batcher = make(model, threads=2, max_batch_size=1)
        batcher.start()
        start = time.perf_counter()
        outs = await asyncio.gather(*(batcher.infer(np.full((1, 2), i, np.float32), deadline_s=5) for i in range(2)))
        elapsed = time.perf_counter() - start
        await batcher.stop()
        return model, outs, elapsed

    model, outs, elapsed = run(scenario())
    for i, out in enumerate(outs):
        np.testing.assert_array_equal(out, np.full((1, 2), 2.0 * i))
    assert len(model.threads) == 2 and elapsed < 0.55  # one after the other would take 0.6 s


def test_stopping_ends_every_thread_after_the_queue_is_answered():
    async def scenario():
        batcher = make(RecordingModel(delay=0.05), threads=3)
        batcher.start()
        pending = [asyncio.ensure_future(batcher.infer(np.ones((1, 1), np.float32), deadline_s=5)) for _ in range(6)]
        await asyncio.sleep(0)
        await batcher.stop()
        return batcher, await asyncio.gather(*pending, return_exceptions=True)

    batcher, results = run(scenario())
    assert not batcher._threads
    assert all(isinstance(r, np.ndarray) for r in results)
