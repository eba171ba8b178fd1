"""A real Celery worker on the test Redis, run in a thread of the test process.

celery.contrib.testing starts the worker in this process, so it reads the
settings a test changes and its email fills mail.outbox, while every task
still goes through Redis as in production. Tests that use it are
transactional, because the worker's own database connection reads only
committed rows.
"""

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest
from celery import signals
from celery.contrib.testing.worker import start_worker

from pompygo.celery import app

WAIT_SECONDS = 20


class TaskRuns:
    """The worker's finished and failed tasks, recorded from Celery's signals."""

    def __init__(self) -> None:
        self.finished: list[dict[str, Any]] = []
        self.failed: list[tuple[str, BaseException]] = []

    def on_postrun(
        self, task_id: str, task: Any, args: Any, state: str, **kw: Any
    ) -> None:
        self.finished.append(
            {
                "task_id": task_id,
                "name": task.name,
                "args": list(args),
                "state": state,
                "result": kw.get("retval"),
                "thread": threading.get_ident(),
            }
        )

    def on_failure(self, sender: Any, exception: BaseException, **kw: Any) -> None:
        self.failed.append((sender.name, exception))

    @property
    def failures(self) -> list[BaseException]:
        return [exception for _name, exception in self.failed]

    def failures_of(self, prefix: str) -> list[BaseException]:
        """Return the exceptions of failed tasks whose name starts with prefix."""
        return [error for name, error in self.failed if name.startswith(prefix)]

    def named(
        self, name: str, args: Sequence[Any] | None = None
    ) -> list[dict[str, Any]]:
        """Return the finished runs of the task of this name, and these args."""
        return [
            run
            for run in list(self.finished)
            if run["name"] == name and (args is None or run["args"] == list(args))
        ]

    def wait(
        self,
        name: str,
        count: int = 1,
        args: Sequence[Any] | None = None,
        seconds: float = WAIT_SECONDS,
    ) -> list[dict[str, Any]]:
        """Wait until this many runs of the task have finished; return them all.

        Failed runs count too. Other tasks queued meanwhile (matching,
        notifications) are left out.
        """
        return wait_until(
            lambda: runs if len(runs := self.named(name, args)) >= count else None,
            f"{count} runs of {name}; finished: {self.finished}",
            seconds,
        )


def wait_until(
    condition: Callable[[], Any], description: str, seconds: float = WAIT_SECONDS
) -> Any:
    """Poll condition until it returns something true, and return that."""
    deadline = time.monotonic() + seconds
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {seconds} s waiting for {description}")
        time.sleep(0.05)


def purge_queues() -> None:
    """Drop the tasks that an interrupted earlier run left in the test Redis."""
    app.control.purge()
    # purge() empties only the default queue.
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge("urgent")


@contextmanager
def running_worker(purge: bool = True) -> Iterator[TaskRuns]:
    """Run a worker on both queues, as deployed, until the block ends.

    With purge=False, the tasks queued while no worker ran are kept for it.
    Tasks queued outside the block run in-process again afterwards.
    """
    runs = TaskRuns()
    signals.task_postrun.connect(runs.on_postrun, weak=False)
    signals.task_failure.connect(runs.on_failure, weak=False)
    app.conf.task_always_eager = False
    # Keep pytest's log capture: by default the worker replaces the root
    # logger's handlers.
    app.conf.worker_hijack_root_logger = False
    if purge:
        purge_queues()
    try:
        with start_worker(
            app,
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=30,
            queues=["urgent", "celery"],
        ):
            yield runs
    finally:
        app.conf.task_always_eager = True
        signals.task_postrun.disconnect(runs.on_postrun)
        signals.task_failure.disconnect(runs.on_failure)


@contextmanager
def queue_only() -> Iterator[None]:
    """Queue tasks on Redis with no worker running, as when workers are down."""
    app.conf.task_always_eager = False
    purge_queues()
    try:
        yield
    finally:
        app.conf.task_always_eager = True
