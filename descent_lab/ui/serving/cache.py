"""A memo bounded in bytes, not entries: pure NumPy results shared by every user of a
worker, with a stated ceiling whatever clients send.

``functools.lru_cache(maxsize=64)`` bounds the number of entries, so its memory is
64 times the largest entry a client can ask for (a 10,000-step trajectory with its
internal state is ~1.6 MB; a noise fan of 20 seeds ~3.2 MB): the bound depends on the
requests, not on the cache. :func:`memo` counts the bytes each entry holds
(:func:`nbytes`: NumPy arrays by their buffers, containers and dataclasses by their
parts) and evicts the least recently used entries until the total fits; an entry
larger than the whole budget is returned but not kept.

Concurrent calls with the same arguments compute once (the others wait for that
result): a class that opens the same lesson at the same moment costs one computation.
Arguments named in ``ignore`` (a deadline, say) are passed to the function but are not
part of the key. Thread-safe; one cache per process (gunicorn workers do not share it).

    @memo(max_bytes=64 * 2**20, ignore=("deadline",))
    def trajectory(key, surface_params, start, steps, deadline=None): ...

    trajectory.cache_info()   # CacheInfo(hits, misses, evictions, entries, bytes, max_bytes)
    trajectory.cached(...)    # whether those arguments would be answered from the cache
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import sys
import threading
from collections import OrderedDict
from typing import Any, Callable, Hashable, NamedTuple

import numpy as np

MB = 2**20


class CacheInfo(NamedTuple):
    hits: int
    misses: int
    evictions: int
    entries: int
    bytes: int
    max_bytes: int


def nbytes(value: Any, _seen: set | None = None) -> int:
    """Bytes a value holds: NumPy arrays by their data (a view counts its base once),
    strings and bytes by their length, containers, named tuples and dataclasses by
    their parts (each object counted once), anything else by ``sys.getsizeof``."""
    seen = set() if _seen is None else _seen
    stack, total = [value], 0
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, np.ndarray):
            base = item
            while isinstance(base.base, np.ndarray):
                base = base.base
            if base is not item:
                if id(base) in seen:
                    continue
                seen.add(id(base))
            total += base.nbytes + 112
        elif isinstance(item, (str, bytes, bytearray)):
            total += sys.getsizeof(item)
        elif isinstance(item, dict):
            total += sys.getsizeof(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += sys.getsizeof(item)
            stack.extend(item)
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            total += sys.getsizeof(item)
            stack.extend(getattr(item, f.name) for f in dataclasses.fields(item))
        else:
            total += sys.getsizeof(item)
    return total


class ByteLRU:
    """A mapping that keeps at most ``max_bytes`` of values (by :func:`nbytes`),
    evicting the least recently used first. Thread-safe."""

    def __init__(self, max_bytes: int, sizeof: Callable[[Any], int] = nbytes):
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be >= 0, got {max_bytes}")
        self.max_bytes, self._sizeof = int(max_bytes), sizeof
        self._data: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = self.evictions = 0

    _MISSING = object()

    def get(self, key: Hashable, default: Any = None) -> Any:
        with self._lock:
            entry = self._data.get(key, self._MISSING)
            if entry is self._MISSING:
                self.misses += 1
                return default
            self._data.move_to_end(key)
            self.hits += 1
            return entry[0]

    def put(self, key: Hashable, value: Any) -> bool:
        """Keep ``value`` (False when it alone is larger than the budget: not kept)."""
        size = self._sizeof(value)
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            if size > self.max_bytes:
                return False
            while self._data and self._bytes + size > self.max_bytes:
                _, (_, freed) = self._data.popitem(last=False)
                self._bytes -= freed
                self.evictions += 1
            self._data[key] = (value, size)
            self._bytes += size
            return True

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    @property
    def bytes(self) -> int:
        return self._bytes

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0

    def info(self) -> CacheInfo:
        with self._lock:
            return CacheInfo(self.hits, self.misses, self.evictions, len(self._data), self._bytes, self.max_bytes)


def memo(max_bytes: int, ignore: tuple[str, ...] = (), sizeof: Callable[[Any], int] = nbytes):
    """Decorator: cache a pure function's results in a :class:`ByteLRU` of
    ``max_bytes``. Arguments must be hashable, except those named in ``ignore``, which
    are passed through and left out of the key. A call that raises caches nothing."""

    def decorate(fn):
        signature = inspect.signature(fn)
        unknown = set(ignore) - set(signature.parameters)
        if unknown:
            raise TypeError(f"{fn.__name__} has no parameter {', '.join(sorted(unknown))}")
        store = ByteLRU(max_bytes, sizeof)
        flights: dict[Hashable, threading.Event] = {}
        flights_lock = threading.Lock()
        missing = object()

        def key_of(args, kwargs) -> Hashable:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            return tuple((name, value) for name, value in bound.arguments.items() if name not in ignore)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            key = key_of(args, kwargs)
            while True:
                value = store.get(key, missing)
                if value is not missing:
                    return value
                with flights_lock:
                    flight = flights.get(key)
                    leader = flight is None
                    if leader:
                        flight = flights[key] = threading.Event()
                if leader:
                    try:
                        value = fn(*args, **kwargs)
                        store.put(key, value)
                        return value
                    finally:
                        with flights_lock:
                            del flights[key]
                        flight.set()
                flight.wait()
                # the leader's value is in the store now (or it failed, or did not fit:
                # then this call computes it itself on the next pass)
                value = store.get(key, missing)
                if value is not missing:
                    return value
                return fn(*args, **kwargs)

        wrapper.cache = store
        wrapper.cache_info = store.info
        wrapper.cache_clear = store.clear
        wrapper.cached = lambda *args, **kwargs: key_of(args, kwargs) in store
        return wrapper

    return decorate
