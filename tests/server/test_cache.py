"""ui/serving/cache.py: a memo bounded in bytes (not entries), shared by a worker's threads."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import pytest

from descent_lab.ui.serving.cache import MB, ByteLRU, memo, nbytes


def test_nbytes_counts_array_data_once():
    a = np.zeros(1000)                      # 8,000 bytes of data
    assert 8000 <= nbytes(a) < 8400
    assert nbytes((a, a)) < 8400 + 200       # the same array twice is counted once
    assert nbytes((a, a[::2])) < 8400 + 400  # a view counts its base once
    assert nbytes({"x": a, "y": np.zeros(2000)}) > 8000 + 16000

    @dataclass(frozen=True)
    class Trajectory:
        xy: np.ndarray
        loss: np.ndarray
        status: str

    t = Trajectory(np.zeros((10_001, 2)), np.zeros(10_001), "max_steps")
    assert 240_000 <= nbytes(t) < 242_000


def test_evicts_least_recently_used_to_stay_under_its_bytes():
    lru = ByteLRU(max_bytes=3 * 8400)
    for k in "abc":
        assert lru.put(k, np.zeros(1000))
    assert lru.get("a") is not None            # a is now the most recent
    lru.put("d", np.zeros(1000))                # evicts b, the least recently used
    assert "b" not in lru and {"a", "c", "d"} <= {k for k in "abcd" if k in lru}
    assert lru.bytes <= lru.max_bytes and lru.info().evictions == 1
    assert not lru.put("huge", np.zeros(10_000))  # larger than the budget: not kept
    assert "huge" not in lru and lru.bytes <= lru.max_bytes


def test_the_bound_holds_whatever_sizes_arrive():
    lru = ByteLRU(max_bytes=1 * MB)
    rng = np.random.default_rng(0)
    for i in range(500):
        lru.put(i, np.zeros(int(rng.integers(1, 60_000))))
        assert lru.bytes <= 1 * MB
    assert lru.bytes == sum(nbytes(lru.get(k)) for k in range(500) if k in lru)


def test_memo_keys_on_arguments_but_not_ignored_ones():
    calls = []

    @memo(max_bytes=1 * MB, ignore=("deadline",))
    def path(steps, lr=0.1, deadline=None):
        calls.append((steps, lr, deadline))
        return np.full(steps, lr)

    a = path(10, deadline=1.0)
    b = path(10, lr=0.1, deadline=2.0)  # same key: the deadline is not part of it
    assert a is b and len(calls) == 1
    assert path.cached(10, 0.1) and not path.cached(10, 0.2)
    path(10, 0.2)
    assert len(calls) == 2 and path.cache_info().entries == 2
    with pytest.raises(TypeError, match="no parameter"):
        memo(1, ignore=("nope",))(lambda x: x)


def test_memo_caches_nothing_when_the_call_raises():
    calls = []

    @memo(max_bytes=MB)
    def flaky(x):
        calls.append(x)
        if len(calls) == 1:
            raise ValueError("first time")
        return x

    with pytest.raises(ValueError):
        flaky(1)
    assert flaky(1) == 1 and len(calls) == 2


def test_concurrent_identical_calls_compute_once():
    started, release, calls = threading.Event(), threading.Event(), []

    @memo(max_bytes=MB)
    def slow(x):
        calls.append(x)
        started.set()
        release.wait(10)
        return np.arange(x)

    results = []
    threads = [threading.Thread(target=lambda: results.append(slow(100))) for _ in range(8)]
    threads[0].start()
    started.wait(10)
    for thread in threads[1:]:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(10)
    assert len(calls) == 1 and len(results) == 8
    assert all(r is results[0] for r in results)
