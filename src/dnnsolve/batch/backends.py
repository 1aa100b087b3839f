"""Where tasks run: in this process, in a pool of local worker processes, or on Ray.

All backends share one small interface used by :func:`dnnsolve.batch.run_batch`:
``submit(task, attempt)`` queues a task, ``wait(timeout)`` returns the :class:`Outcome` of
tasks that finished (or whose worker died), ``shutdown(cancel)`` stops. Retries are decided
by the runner, so a task's attempts are counted the same way everywhere.

* :class:`InlineBackend` (``workers=0``): one task after another in this process; lightest,
  but a task that kills its process kills the batch.
* :class:`LocalPool` (default): ``workers`` spawned processes, each fed one task at a time
  through its own pipe, so when a process dies the task it held is known and retried and a
  fresh process takes its place. Workers ignore SIGINT: Ctrl-C reaches the driver, which
  stops them and keeps what finished.
* :class:`RayBackend`: ``ray.remote`` tasks with ``num_cpus`` / ``num_gpus`` per task on a
  local Ray instance or the cluster at ``address``; Ray's own retries are off
  (``max_retries=0``) and a dead worker comes back as an outcome to retry.

Ray is imported only by :class:`RayBackend` (the ``ray`` extra).
"""

from __future__ import annotations

import contextlib
import os
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..core.errors import InputError
from .worker import execute_task

__all__ = ["Backend", "InlineBackend", "LocalPool", "Outcome", "RayBackend", "make_backend"]

Execute = Callable[..., dict]


@dataclass
class Outcome:
    """A finished attempt: the worker's ``record``, or ``crash`` (why no record came back)."""

    task: dict
    attempt: int
    record: dict | None = None
    crash: str | None = None


class Backend(ABC):
    """The interface the runner drives (see the module docstring)."""

    name = "backend"
    capacity = 1

    @abstractmethod
    def submit(self, task: dict, attempt: int) -> None:
        """See the module docstring."""

    @abstractmethod
    def wait(self, timeout: float | None = None) -> list[Outcome]:
        """See the module docstring."""

    @abstractmethod
    def pending(self) -> int:
        """See the module docstring."""

    def shutdown(self, cancel: bool = False) -> None:  # optional: the default holds nothing
        """Release workers; ``cancel`` stops running tasks instead of letting them finish."""
        return None


class InlineBackend(Backend):
    """Run tasks one by one in this process (``workers=0``).

    >>> from dnnsolve.batch.tasks import make_tasks
    >>> from dnnsolve.data import example_path
    >>> b = InlineBackend(history=False)
    >>> b.submit(make_tasks("maxcut", [example_path("maxcut_example")], {"steps": 20})[0].to_dict(), 1)
    >>> [o.record["status"] for o in b.wait()]
    ['ok']
    """

    name = "inline"

    def __init__(
        self,
        execute: Execute = execute_task,
        device: str = "cpu",
        history: bool = True,
        threads: int | None = None,
    ):
        self.execute, self.device, self.history = execute, device, history
        self._queue: deque[tuple[dict, int]] = deque()
        if threads:
            import torch

            torch.set_num_threads(threads)

    def submit(self, task: dict, attempt: int) -> None:
        self._queue.append((task, attempt))

    def wait(self, timeout: float | None = None) -> list[Outcome]:
        if not self._queue:
            return []
        task, attempt = self._queue.popleft()
        rec = self.execute(task, attempt, self.device, self.history)
        return [Outcome(task, attempt, record=rec)]

    def pending(self) -> int:
        return len(self._queue)

    def shutdown(self, cancel: bool = False) -> None:
        self._queue.clear()


# ---------------------------------------------------------------- local process pool


def _pool_worker(conn, execute: Execute, device: str, history: bool, threads: int) -> None:
    """A pool process: receive ``(task, attempt)``, send back the record; ``None`` ends it."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver handles Ctrl-C
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    import torch

    torch.set_num_threads(threads)
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):  # the driver is gone
            return
        if msg is None:
            return
        task, attempt = msg
        rec = execute(task, attempt, device, history)
        try:
            conn.send(rec)
        except (BrokenPipeError, OSError):
            return


class _Slot:
    def __init__(self, ctx, index: int, args: tuple):
        self.index = index
        self.conn, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(
            target=_pool_worker, args=(child, *args), name=f"dnnsolve-batch-{index}", daemon=True
        )
        self.proc.start()
        child.close()
        self.job: tuple[dict, int] | None = None


class LocalPool(Backend):
    """``workers`` spawned processes; a dead process's task comes back as a crash outcome.

    ``devices`` (one per worker, cycled) lets GPU tasks spread over ``cuda:0``, ``cuda:1``...
    """

    name = "local"

    def __init__(
        self,
        workers: int,
        execute: Execute = execute_task,
        device: str = "cpu",
        history: bool = True,
        threads: int = 1,
        devices: list[str] | None = None,
    ):
        import multiprocessing as mp

        if workers < 1:
            raise InputError("--workers must be at least 1 for the process pool")
        self._ctx = mp.get_context("spawn")  # fork is unsafe with torch / CUDA threads
        self.capacity = workers
        self.execute, self.history, self.threads = execute, history, threads
        self.devices = devices or [device]
        self._queue: deque[tuple[dict, int]] = deque()
        self._slots = [self._spawn(i) for i in range(workers)]
        self.restarts = 0

    def _spawn(self, i: int) -> _Slot:
        dev = self.devices[i % len(self.devices)]
        return _Slot(self._ctx, i, (self.execute, dev, self.history, self.threads))

    def submit(self, task: dict, attempt: int) -> None:
        self._queue.append((task, attempt))

    def pending(self) -> int:
        return len(self._queue) + sum(1 for s in self._slots if s.job is not None)

    def _dispatch(self) -> None:
        for i, slot in enumerate(self._slots):
            while slot.job is None and self._queue:
                job = self._queue.popleft()
                try:
                    slot.conn.send(job)
                    slot.job = job
                except (BrokenPipeError, OSError):  # died while idle: replace, requeue
                    self._queue.appendleft(job)
                    slot = self._replace(i)

    def _replace(self, i: int) -> _Slot:
        old = self._slots[i]
        with contextlib.suppress(OSError):
            old.conn.close()
        if old.proc.is_alive():
            old.proc.kill()
        old.proc.join(timeout=5)
        self.restarts += 1
        self._slots[i] = self._spawn(i)
        return self._slots[i]

    def wait(self, timeout: float | None = None) -> list[Outcome]:
        from multiprocessing.connection import wait

        self._dispatch()
        busy = [s for s in self._slots if s.job is not None]
        if not busy:
            return []
        handles: list[Any] = [s.conn for s in busy] + [s.proc.sentinel for s in busy]
        wait(handles, timeout)
        outcomes = []
        for slot in busy:
            assert slot.job is not None
            task, attempt = slot.job
            rec = None
            try:
                if slot.conn.poll():
                    rec = slot.conn.recv()
            except (EOFError, OSError):
                rec = None
            if rec is not None:
                slot.job = None
                outcomes.append(Outcome(task, attempt, record=rec))
            elif not slot.proc.is_alive():
                code = slot.proc.exitcode
                slot.job = None
                self._replace(slot.index)
                outcomes.append(
                    Outcome(task, attempt, crash=f"worker process died (exit code {code})")
                )
        self._dispatch()
        return outcomes

    def shutdown(self, cancel: bool = False) -> None:
        self._queue.clear()
        for slot in self._slots:
            try:
                if cancel:
                    slot.proc.terminate()
                else:
                    slot.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        for slot in self._slots:
            slot.proc.join(timeout=2 if cancel else 30)
            if slot.proc.is_alive():
                slot.proc.kill()
                slot.proc.join(timeout=5)
            slot.conn.close()
        self._slots = []


# ---------------------------------------------------------------- Ray


def _ray_run(execute: Execute, task: dict, attempt: int, device: str, history: bool, threads):
    """The body of a Ray task (module level so Ray pickles it by reference)."""
    import torch

    torch.set_num_threads(max(1, int(threads)))
    return execute(task, attempt, device, history)


class RayBackend(Backend):
    """Tasks as ``ray.remote(num_cpus=..., num_gpus=...)`` calls, results via ``ray.wait``.

    With ``address`` it connects to that cluster (``"auto"``: the one ``ray start`` left
    running here); without, it starts a local Ray instance with ``workers`` CPUs and shuts it
    down at the end. A task whose worker process or node dies raises a Ray error on ``get``;
    that becomes a crash outcome, which the runner retries.
    """

    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        workers: int | None = None,
        cpus_per_task: float = 1.0,
        gpus_per_task: float = 0.0,
        execute: Execute = execute_task,
        device: str = "cpu",
        history: bool = True,
        runtime_env: dict | None = None,
    ):
        try:
            import ray
        except ImportError:
            raise InputError(
                "the Ray backend needs Ray: pip install 'dnnsolve[ray]' (or pip install ray)"
            ) from None
        self._ray = ray
        self._owned = False
        if not ray.is_initialized():
            kw: dict[str, Any] = {"log_to_driver": False, "configure_logging": False}
            if runtime_env:
                kw["runtime_env"] = runtime_env
            try:
                if address:
                    ray.init(address=address, **kw)
                else:
                    ray.init(
                        address="local",  # a new instance, even if `ray start` left one
                        num_cpus=workers or os.cpu_count() or 1,
                        num_gpus=None,
                        include_dashboard=False,
                        **kw,
                    )
            except Exception as exc:  # ConnectionError, auth or version mismatch, bad address
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                where = f"the Ray cluster at {address}" if address else "a local Ray instance"
                raise InputError(f"cannot start or reach {where}: {first}") from None
            self._owned = True
        res = ray.cluster_resources()
        if gpus_per_task > 0 and res.get("GPU", 0) < gpus_per_task:
            raise InputError(
                f"--gpus-per-task {gpus_per_task:g}: the Ray cluster has {res.get('GPU', 0):g} GPU(s)"
            )
        by_cpu = res.get("CPU", 1) / cpus_per_task if cpus_per_task > 0 else float("inf")
        by_gpu = res.get("GPU", 0) / gpus_per_task if gpus_per_task > 0 else float("inf")
        self.capacity = max(1, int(min(by_cpu, by_gpu)))
        self.execute, self.device, self.history = execute, device, history
        self._threads = max(1, int(cpus_per_task))
        self._remote = ray.remote(_ray_run).options(
            num_cpus=cpus_per_task, num_gpus=gpus_per_task, max_retries=0, retry_exceptions=False
        )
        self._refs: dict[Any, tuple[dict, int]] = {}

    def submit(self, task: dict, attempt: int) -> None:
        ref = self._remote.remote(
            self.execute, task, attempt, self.device, self.history, self._threads
        )
        self._refs[ref] = (task, attempt)

    def pending(self) -> int:
        return len(self._refs)

    def wait(self, timeout: float | None = None) -> list[Outcome]:
        if not self._refs:
            return []
        ray = self._ray
        ready, _ = ray.wait(list(self._refs), num_returns=1, timeout=timeout)
        if ready:  # collect everything else that is already done too
            more, _ = ray.wait(list(self._refs), num_returns=len(self._refs), timeout=0)
            ready = list(dict.fromkeys([*ready, *more]))
        outcomes = []
        for ref in ready:
            task, attempt = self._refs.pop(ref)
            try:
                outcomes.append(Outcome(task, attempt, record=ray.get(ref)))
            except ray.exceptions.RayError as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                outcomes.append(Outcome(task, attempt, crash=f"{type(exc).__name__}: {first}"))
        return outcomes

    def shutdown(self, cancel: bool = False) -> None:
        ray = self._ray
        if cancel:
            for ref in list(self._refs):
                with contextlib.suppress(Exception):  # already finished or gone
                    ray.cancel(ref, force=True)
        self._refs.clear()
        if self._owned and ray.is_initialized():
            ray.shutdown()


def make_backend(
    backend: str = "auto",
    *,
    workers: int | None = None,
    ray_address: str | None = None,
    cpus_per_task: float = 1.0,
    gpus_per_task: float = 0.0,
    execute: Execute = execute_task,
    device: str = "cpu",
    history: bool = True,
    n_tasks: int | None = None,
) -> Backend:
    """Choose a backend: ``"auto"`` is Ray when an address is given, else the local pool.

    ``workers`` defaults to the CPU count (divided by ``cpus_per_task``), capped by the number
    of tasks; ``0`` runs inline.
    """
    if backend not in ("auto", "local", "inline", "ray"):
        raise InputError(f"unknown backend {backend!r}; choose auto, local, inline or ray")
    if workers is not None and workers < 0:
        raise InputError("--workers must be at least 0")
    if cpus_per_task <= 0:
        raise InputError("--cpus-per-task must be positive")
    if gpus_per_task < 0:
        raise InputError("--gpus-per-task must be non-negative")
    if backend == "auto":
        backend = "ray" if ray_address else ("inline" if workers == 0 else "local")
    if backend == "ray":
        return RayBackend(
            ray_address,
            workers or None,
            cpus_per_task,
            gpus_per_task,
            execute,
            device,
            history,
        )
    threads = max(1, int(cpus_per_task))
    if backend == "inline" or workers == 0:  # keeps this process's torch thread setting
        return InlineBackend(execute, device, history)
    n = workers or max(1, int((os.cpu_count() or 1) // cpus_per_task))
    if n_tasks is not None:
        n = max(1, min(n, n_tasks))
    devices = None
    if gpus_per_task > 0:
        import torch

        count = torch.cuda.device_count()
        if count == 0:
            raise InputError("--gpus-per-task needs a CUDA device; none is visible")
        devices = [f"cuda:{i % count}" for i in range(n)]
    return LocalPool(n, execute, device, history, threads, devices)
