"""Micro-batching: requests to one model share one forward pass when they overlap.

A worker task per model takes the first waiting request and, without waiting for
company, everything else already queued, up to `max_batch_size` rows; the batch runs
in the model's own thread (the compiled call releases the GIL), so the event loop
keeps accepting requests meanwhile. While the model is busy, new requests queue up and
form the next batch: batching grows with load by itself and costs a lone request
nothing. `max_wait_ms` > 0 trades a little latency for larger batches. The queue is
bounded; when full, requests are shed with 503 rather than left to pile up.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from app.errors import DeadlineExceeded, Overloaded
from app.metrics import Metrics

log = logging.getLogger(__name__)


Rows = np.ndarray | tuple[np.ndarray, ...]  # one array per model input, rows aligned


def count_rows(rows: Rows) -> int:
    return len(rows[0]) if isinstance(rows, tuple) else len(rows)


def concat_rows(parts: list[Rows]) -> Rows:
    if isinstance(parts[0], tuple):
        return tuple(np.concatenate(columns) for columns in zip(*parts))
    return np.concatenate(parts)


def _expire(future: asyncio.Future, message: str) -> None:
    if not future.done():
        future.set_exception(DeadlineExceeded(message))


@dataclass
class _Job:
    rows: Rows
    future: asyncio.Future
    enqueued: float = field(default_factory=time.perf_counter)


class MicroBatcher:
    def __init__(
        self,
        name: str,
        forward: Callable[[Rows], np.ndarray],
        *,
        max_batch_size: int,
        max_wait_ms: float,
        max_queue_depth: int,
        metrics: Metrics | None = None,
    ) -> None:
        self.name = name
        self.forward = forward
        self.max_batch_size = max_batch_size
        self.max_wait_s = max_wait_ms / 1000.0
        self.queue: asyncio.Queue[_Job] = asyncio.Queue(maxsize=max_queue_depth)
        # One thread per model: its calls never overlap, other models run beside it.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"model-{name}")
        self.metrics = metrics
        if metrics is not None:
            metrics.queue_depth.labels(name).set_function(self.queue.qsize)
        self._carry: _Job | None = None  # fetched, but too big for the last batch
        self._worker: asyncio.Task | None = None

    def start(self) -> None:
        if self._worker is None:
            self._worker = asyncio.get_running_loop().create_task(self._run(), name=f"batcher-{self.name}")

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            try:
                await self._worker
            except asyncio.CancelledError:
                pass
            self._worker = None
        while not self.queue.empty():
            job = self.queue.get_nowait()
            if not job.future.done():
                job.future.set_exception(Overloaded(f"model {self.name} is shutting down"))
        self.executor.shutdown(wait=True)

    async def infer(self, rows: Rows, deadline_s: float) -> np.ndarray:
        """Queue `rows` (a batch of one or more inputs) and wait for their outputs."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        try:
            self.queue.put_nowait(_Job(rows, future))
        except asyncio.QueueFull:
            if self.metrics is not None:
                self.metrics.shed.labels(self.name).inc()
            raise Overloaded(f"model {self.name} is busy ({self.queue.maxsize} requests queued); retry shortly") from None
        # A timer rather than asyncio.wait_for, which wraps every request in two more
        # futures and callbacks (a third of the batcher's cost per request). An expired
        # job's future is done, so the worker skips it if it has not run yet.
        timer = loop.call_later(deadline_s, _expire, future, f"model {self.name} did not answer within {deadline_s:g} s")
        try:
            return await future
        finally:
            timer.cancel()

    async def run_alone(self, fn: Callable, *args, deadline_s: float):
        """Run `fn(*args)` on this model's thread, between batches (e.g. MC dropout)."""
        call = asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)
        try:
            return await asyncio.wait_for(call, timeout=deadline_s)
        except TimeoutError:
            raise DeadlineExceeded(f"model {self.name} did not answer within {deadline_s:g} s") from None

    async def _gather(self) -> list[_Job]:
        first, self._carry = self._carry, None
        jobs = [first or await self.queue.get()]
        rows = count_rows(jobs[0].rows)
        give_up_at = time.perf_counter() + self.max_wait_s
        while rows < self.max_batch_size:
            try:
                job = self.queue.get_nowait()
            except asyncio.QueueEmpty:
                remaining = give_up_at - time.perf_counter()
                if remaining <= 0:
                    break
                try:
                    job = await asyncio.wait_for(self.queue.get(), remaining)
                except TimeoutError:
                    break
            if rows + count_rows(job.rows) > self.max_batch_size:
                # Too big to join: it goes first in its own batch next time round.
                self._carry = job
                break
            jobs.append(job)
            rows += count_rows(job.rows)
        return jobs

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            jobs = await self._gather()
            jobs = [j for j in jobs if not j.future.done()]  # their clients gave up
            if not jobs:
                continue
            batch = concat_rows([j.rows for j in jobs]) if len(jobs) > 1 else jobs[0].rows
            started = time.perf_counter()
            try:
                outputs = await loop.run_in_executor(self.executor, self.forward, batch)
            except Exception as exc:  # a model failure fails its batch, not the worker
                log.exception("model %s failed on a batch of %d", self.name, count_rows(batch))
                for job in jobs:
                    if not job.future.done():
                        job.future.set_exception(exc)
                continue
            if self.metrics is not None:
                self.metrics.compute.labels(self.name).observe(time.perf_counter() - started)
                self.metrics.batch_size.labels(self.name).observe(count_rows(batch))
                queue_wait = self.metrics.queue_wait.labels(self.name)
                for job in jobs:
                    queue_wait.observe(started - job.enqueued)
            start = 0
            for job in jobs:
                end = start + count_rows(job.rows)
                if not job.future.done():
                    job.future.set_result(outputs[start:end])
                start = end
