"""A budget for every request, decided before its work starts.

Three pieces, each a pure part and a small object:

* :class:`Estimate`: what a request will cost, in the engine's cost units
  (``optimizers.cost``: one optimizer step on the cheapest surface, a few microseconds),
  with the parts it adds up (so a refusal can name what to reduce).
  :func:`estimate_runs` builds one from the runs a request will compute.
* :class:`Limits`: the most one request may cost (refused above, before anything
  runs), the cost above which a request is *heavy*, how many heavy requests one worker
  process runs at once, how long a heavy request waits for its turn, and the deadline
  every admitted request gets (``optimizers.run(..., deadline=...)`` stops a run that
  overstays its estimate). :meth:`Limits.from_config` derives them from
  ``ui.serving.server.Config`` (``REQUEST_SECONDS``, ``HEAVY_REQUESTS``).
* :class:`Gate`: admission, per process. ``with gate.admit(estimate) as ticket:
  ticket.run(work, ...)`` runs the work with ``ticket.deadline`` (also
  :func:`current_deadline` inside, for the engine's callers), a heavy request's on a
  thread of lower CPU priority; over the budget raises :class:`OverBudget` (a
  sentence saying what to reduce), no heavy slot free within the wait raises
  :class:`Busy` ("busy, try again"). Light requests (slider moves on an ordinary race)
  never wait: the heavy ones cannot take every thread, so sliders stay fast while they
  run, and nothing queues without bound.

Both refusals are ``ValueError``s with a sentence for the page, like the engine's own
``BudgetExceeded``: a callback shows them in its alert area and keeps the page working.
"""

from __future__ import annotations

import contextvars
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from .server import Config

log = logging.getLogger("descent_lab.budget")

# Seconds of one cost unit on a worker (``benchmarks/bench_cost.py`` prints the figure:
# 1.5-2.5 microseconds here). Used to turn the limits, stated in seconds, into units.
UNIT_SECONDS = 2.5e-6
# A request estimated under this share of the budget is light: no slot, no wait.
HEAVY_SHARE = 0.05

BUSY = ("The server is busy with other large computations right now; nothing was changed. "
        "Try again in a moment, or reduce the steps, runs or fan for a quicker answer.")


class OverBudget(ValueError):
    """A request estimated above the budget, refused before any work."""


class Busy(ValueError):
    """A heavy request that found no free slot within its wait."""


@dataclass(frozen=True)
class Estimate:
    """The cost of a request, in units, as ``(what, units)`` parts."""

    parts: tuple[tuple[str, float], ...] = ()

    @property
    def units(self) -> float:
        return float(sum(units for _, units in self.parts))

    def __add__(self, other: "Estimate") -> "Estimate":
        return Estimate(self.parts + other.parts)

    def largest(self) -> str | None:
        return max(self.parts, key=lambda p: p[1])[0] if self.parts else None


def estimate_runs(runs: list[dict], cost: Callable[..., float], surface: Any, steps: int,
                  fan: int = 0, fresh: Callable[[int], bool] = lambda index: True) -> Estimate:
    """The engine work of a race: each run ``fresh(index)`` says must be computed (a
    cached run costs nothing), plus its noise fan of ``fan`` seeds as one batch.

    ``runs`` are ``{"optimizer": key, "hparams": {...}}``; ``cost`` is ``optimizers.cost``'s
    interface: ``cost(key, surface, steps, runs=1, batch=False, **hparams)`` (L-BFGS's
    evaluations per step depend on its settings)."""
    parts = []
    for index, run in enumerate(runs):
        if not fresh(index):
            continue
        key, hparams = run["optimizer"], run.get("hparams", {})
        parts.append((f"run {index + 1} ({key}, {steps:,} steps)", cost(key, surface, steps, **hparams)))
        if fan and fan > 1:
            parts.append((f"run {index + 1}'s noise fan ({fan} seeds)",
                          cost(key, surface, steps, runs=fan, batch=True, **hparams)))
    return Estimate(tuple(parts))


@dataclass(frozen=True)
class Limits:
    max_units: float      # the most one request may cost; refused above
    heavy_units: float    # above this a request needs a heavy slot
    heavy_slots: int      # heavy requests at once, per worker process
    wait_seconds: float   # how long a heavy request waits for a slot before "busy"
    seconds: float        # every admitted request's deadline, from its start

    def __post_init__(self):
        if not (0 < self.heavy_units <= self.max_units and self.heavy_slots >= 1 and self.wait_seconds >= 0
                and self.seconds > 0):
            raise ValueError(f"inconsistent limits: {self}")

    @classmethod
    def from_seconds(cls, seconds: float, heavy_slots: int = 1, wait_seconds: float = 0.5,
                     unit_seconds: float = UNIT_SECONDS) -> "Limits":
        """A request may cost about ``seconds`` of one core; its deadline is twice that
        (the estimate is an estimate, and a worker shares its core)."""
        max_units = seconds / unit_seconds
        return cls(max_units=max_units, heavy_units=max_units * HEAVY_SHARE, heavy_slots=heavy_slots,
                   wait_seconds=wait_seconds, seconds=2 * seconds)

    @classmethod
    def from_config(cls, config: Any) -> "Limits":
        return cls.from_seconds(config.request_seconds, heavy_slots=config.heavy_requests)


def over_budget_message(estimate: Estimate, limits: Limits) -> str:
    share = estimate.units / limits.max_units
    largest = estimate.largest()
    return (f"This set-up asks for about {share:.1f} times the work one request may do"
            + (f" (the largest part: {largest})" if largest else "")
            + ". Reduce the steps, the number of runs or the noise fan, or pick a simpler surface.")


@dataclass
class Ticket:
    deadline: float       # absolute time.monotonic()
    heavy: bool
    units: float
    executor: ThreadPoolExecutor | None = field(default=None, repr=False)

    def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)``: a light request's here, a heavy one's on the gate's
        low-priority threads (with this request's deadline), this thread waiting."""
        if self.executor is None:
            return fn(*args, **kwargs)
        context = contextvars.copy_context()
        return self.executor.submit(context.run, fn, *args, **kwargs).result()


@dataclass
class Counts:
    light: int = 0
    heavy: int = 0
    busy: int = 0
    over_budget: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, name: str) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + 1)


HEAVY_NICE = 10  # how much lower the heavy threads' CPU priority is (Linux: per thread)


def _lower_priority(nice: int) -> None:
    """Lower this thread's CPU priority (a thread may always lower its own; it is never
    raised again, which is why heavy work has threads of its own)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    except (AttributeError, OSError) as exc:  # not Linux, or not allowed: same priority
        log.info("Heavy requests run at normal priority (%s)", exc)


class Gate:
    """Admission for one worker process (see the module docstring).

    Heavy work runs on ``heavy_slots`` threads of lower CPU priority (``HEAVY_NICE``):
    when the cores are busy, a slider's request is scheduled before it."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic, nice: int | None = HEAVY_NICE):
        self.limits, self._clock = limits, clock
        self._slots = threading.BoundedSemaphore(limits.heavy_slots)
        self.counts = Counts()
        self._nice = nice
        self._executor: ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()

    def _heavy_executor(self) -> ThreadPoolExecutor | None:
        if self._nice is None:
            return None
        with self._executor_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.limits.heavy_slots, thread_name_prefix="heavy",
                                                    initializer=_lower_priority, initargs=(self._nice,))
        return self._executor

    def check(self, estimate: Estimate) -> bool:
        """Raise :class:`OverBudget` if the request may not run at all; True if heavy."""
        if estimate.units > self.limits.max_units:
            self.counts.add("over_budget")
            raise OverBudget(over_budget_message(estimate, self.limits))
        return estimate.units > self.limits.heavy_units

    @contextmanager
    def admit(self, estimate: Estimate, wait: float | None = None) -> Iterator[Ticket]:
        """Admit a request (``wait``: seconds a heavy one may wait for its slot, instead
        of the limits'; a download link can wait longer than a slider)."""
        heavy = self.check(estimate)
        if heavy and not self._slots.acquire(timeout=self.limits.wait_seconds if wait is None else wait):
            self.counts.add("busy")
            raise Busy(BUSY)
        self.counts.add("heavy" if heavy else "light")
        ticket = Ticket(deadline=self._clock() + self.limits.seconds, heavy=heavy, units=estimate.units,
                        executor=self._heavy_executor() if heavy else None)
        outer = _deadline.get()
        token = _deadline.set(ticket.deadline if outer is None else min(outer, ticket.deadline))
        try:
            yield ticket
        finally:
            _deadline.reset(token)
            if heavy:
                self._slots.release()


_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("descent_lab_deadline", default=None)


def current_deadline() -> float | None:
    """The deadline of the request this thread is working for (None outside one): what
    the engine's callers pass as ``optimizers.run(..., deadline=...)``, so the deadline
    reaches every run without going through every signature (and stays out of cache keys)."""
    return _deadline.get()


_gate: Gate | None = None
_gate_lock = threading.Lock()


def gate() -> Gate:
    """This process's gate, with limits from the environment (``ui.serving.server.Config``)."""
    global _gate
    if _gate is None:
        with _gate_lock:
            if _gate is None:
                _gate = Gate(Limits.from_config(Config.from_env()))
                log.info("Request budget: %s", _gate.limits)
    return _gate
