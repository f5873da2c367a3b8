"""Micro-batching: requests to one model share one forward pass when they overlap.

Each model has threads of its own for its forward passes (`threads`, one by default).
Requests wait in a bounded queue; whenever a thread is free it takes the first waiting
request and, without waiting for company, everything else already queued, up to
`max_batch_size` rows, and runs them as one batch (the compiled call releases the
GIL). A thread takes its next batch itself the moment it finishes one, so the model
never waits for the event loop to come round to it: the loop parses new requests while
the model computes, and gets the results back in one callback per batch. A second
thread takes what queues up while the first computes, so a model whose calls each use
one core can still use two under load (Triton's instance count). Batching grows with
load by itself and costs a lone request nothing. `max_wait_ms` > 0 trades a little
latency for larger batches. When the queue is full, requests are shed with 503 rather
than left to pile up.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from app.errors import DeadlineExceeded, Overloaded
from app.metrics import Metrics
from app.observability import note_batch

log = logging.getLogger(__name__)


Rows = np.ndarray | tuple[np.ndarray, ...]  # one array per model input, rows aligned


def count_rows(rows: Rows | None) -> int:
    """Rows in a request (a call of its own, `run_alone`, has none)."""
    if rows is None:
        return 0
    return len(rows[0]) if isinstance(rows, tuple) else len(rows)


def concat_rows(parts: list[Any]) -> Rows:
    if isinstance(parts[0], tuple):
        return tuple(np.concatenate(columns) for columns in zip(*parts, strict=False))
    return np.concatenate(parts)


def _expire(future: asyncio.Future, message: str) -> None:
    if not future.done():
        future.set_exception(DeadlineExceeded(message))


def _settle(future: asyncio.Future, result: Any = None, error: BaseException | None = None) -> None:
    if not future.done():  # a client that gave up (deadline) has its answer already
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)


@dataclass
class _Job:
    rows: Rows | None
    future: asyncio.Future
    call: Callable[[], Any] | None = None  # run_alone: a call of its own between batches
    enqueued: float = field(default_factory=time.perf_counter)
    batch_rows: int = 0  # the rows of the batch it rode in, set by the model thread


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
        threads: int = 1,
    ) -> None:
        self.name = name
        self.forward = forward
        self.max_batch_size = max_batch_size
        self.max_wait_s = max_wait_ms / 1000.0
        self.max_queue_depth = max_queue_depth
        self.metrics = metrics
        self.threads = threads
        # The queue is shared with the model thread: a deque (appends and pops are
        # atomic) and a condition the thread sleeps on while there is nothing to do.
        self._pending: deque[_Job] = deque()
        self._work = threading.Condition()
        self._stopping = False
        self._threads: list[threading.Thread] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        # With several workers the depth is written down on every change (Metrics.live).
        self._depth_changed = metrics.live(metrics.queue_depth.labels(name), self._pending.__len__) if metrics else None

    def start(self) -> None:
        if not self._threads:
            self._loop = asyncio.get_running_loop()
            self._stopping = False
            self._threads = [
                threading.Thread(target=self._serve, name=f"model-{self.name}-{i}", daemon=True) for i in range(self.threads)
            ]
            for thread in self._threads:
                thread.start()

    async def stop(self) -> None:
        """The threads answer what is already queued, then end; anything queued after
        that is refused (503)."""
        if self._threads:
            with self._work:
                self._stopping = True
                self._work.notify_all()
            for thread in self._threads:
                await asyncio.get_running_loop().run_in_executor(None, thread.join)
            self._threads = []
        while self._pending:
            _settle(self._pending.popleft().future, error=Overloaded(f"model {self.name} is shutting down"))

    async def infer(self, rows: Rows, deadline_s: float) -> np.ndarray:
        """Queue `rows` (a batch of one or more inputs) and wait for their outputs."""
        return await self._submit(rows, None, deadline_s)

    async def run_alone(self, fn: Callable, *args, deadline_s: float):
        """Run `fn(*args)` on one of this model's threads, as a call of its own (e.g. MC dropout)."""
        return await self._submit(None, functools.partial(fn, *args), deadline_s)

    async def _submit(self, rows: Rows | None, call: Callable | None, deadline_s: float):
        if len(self._pending) >= self.max_queue_depth:
            if self.metrics is not None:
                self.metrics.shed.labels(self.name).inc()
            raise Overloaded(f"model {self.name} is busy ({self.max_queue_depth} requests queued); retry shortly")
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        job = _Job(rows, future, call)
        with self._work:
            self._pending.append(job)
            self._work.notify()
        if self._depth_changed is not None:
            self._depth_changed()
        # A timer rather than asyncio.wait_for, which wraps every request in two more
        # futures and callbacks. An expired job's future is done, so the model thread
        # skips it if it has not run yet.
        timer = loop.call_later(deadline_s, _expire, future, f"model {self.name} did not answer within {deadline_s:g} s")
        try:
            return await future
        finally:
            timer.cancel()
            note_batch(job.batch_rows)

    # -- the model thread ------------------------------------------------------------

    def _serve(self) -> None:
        while (jobs := self._take()) is not None:
            if self._depth_changed is not None:
                self._depth_changed()
            jobs = [j for j in jobs if not j.future.done()]  # their clients gave up
            if not jobs:
                continue
            if jobs[0].call is not None:
                self._run_call(jobs[0])
            else:
                self._run_batch(jobs)

    def _take(self) -> list[_Job] | None:
        """Wait for work, then take the first job and the batchable ones queued behind
        it, up to max_batch_size rows (waiting up to max_wait for more). A job too big
        to join stays first in the queue for the next batch. None: stop."""
        with self._work:
            while not self._pending:
                if self._stopping:
                    return None
                self._work.wait()
            first = self._pending.popleft()
            if first.call is not None:
                return [first]
            jobs, rows = [first], count_rows(first.rows)
            give_up_at = time.perf_counter() + self.max_wait_s
            while rows < self.max_batch_size and not self._stopping:
                if not self._pending:
                    remaining = give_up_at - time.perf_counter()
                    if remaining <= 0:
                        break
                    self._work.wait(remaining)
                    continue
                job = self._pending[0]
                if job.call is not None or rows + count_rows(job.rows) > self.max_batch_size:
                    break
                jobs.append(self._pending.popleft())
                rows += count_rows(job.rows)
            return jobs

    def _run_batch(self, jobs: list[_Job]) -> None:
        started = time.perf_counter()
        try:
            batch = concat_rows([j.rows for j in jobs]) if len(jobs) > 1 else cast(Rows, jobs[0].rows)
            rows = count_rows(batch)
            for job in jobs:
                job.batch_rows = rows
            outputs = self.forward(batch)
        except Exception as exc:  # a failure fails its batch, never the thread
            log.exception("model %s failed on a batch of %d requests", self.name, len(jobs))
            self._post(self._fail, jobs, exc)
            return
        if self.metrics is not None:
            self.metrics.compute.labels(self.name).observe(time.perf_counter() - started)
            self.metrics.batch_size.labels(self.name).observe(rows)
            queue_wait = self.metrics.queue_wait.labels(self.name)
            for job in jobs:
                queue_wait.observe(started - job.enqueued)
        self._post(self._deliver, jobs, outputs)

    def _run_call(self, job: _Job) -> None:
        try:
            self._post(_settle, job.future, cast(Callable[[], Any], job.call)())
        except Exception as exc:
            self._post(_settle, job.future, None, exc)

    def _post(self, callback: Callable, *args) -> None:
        if self._loop is None:  # never started: nobody is waiting
            return
        try:
            self._loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # the event loop is closed: nobody is waiting any more
            pass

    # -- back on the event loop ------------------------------------------------------

    @staticmethod
    def _deliver(jobs: list[_Job], outputs: np.ndarray) -> None:
        start = 0
        for job in jobs:
            end = start + count_rows(job.rows)
            _settle(job.future, outputs[start:end])
            start = end

    @staticmethod
    def _fail(jobs: list[_Job], error: Exception) -> None:
        for job in jobs:
            _settle(job.future, error=error)
