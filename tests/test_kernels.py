"""Compiled row kernels against plain definitions and against their serial twins."""

from __future__ import annotations

import numpy as np
import pytest

from sim.kernels.cap import close_rows_with_strengths, mark_weakest, take_while_room
from sim.kernels.rows import (
    FREE,
    append_to_rows,
    append_to_rows_parallel,
    drop_from_rows,
    drop_from_rows_parallel,
)


def random_rows(rng: np.random.Generator, n: int, width: int, levels: int):
    """Rows of distinct edge ids with strengths drawn from a few levels (many equal)."""
    deg = rng.integers(0, width + 1, n).astype(np.int32)
    adj = np.full((n, width), -1, np.int32)
    row_now = np.zeros((n, width), np.float32)
    eid = 0
    for p in range(n):
        adj[p, : deg[p]] = np.arange(eid, eid + deg[p])
        eid += deg[p]
        row_now[p, : deg[p]] = rng.integers(1, levels + 1, deg[p]) / levels
    return adj, row_now, deg, eid


@pytest.mark.parametrize("levels", [1, 3, 1000])
def test_mark_weakest_marks_the_first_of_a_stable_sort(levels):
    """The k weakest of a row, the first in slot order among equals, for small and large k."""
    rng = np.random.default_rng(levels)
    adj, row_now, deg, n_edges = random_rows(rng, 300, 60, levels)
    surplus = np.array([rng.integers(-2, d + 1) for d in deg], np.int64)
    doomed = np.zeros(n_edges, np.bool_)
    mark_weakest(row_now, adj, deg, surplus, doomed)
    expected = np.zeros(n_edges, np.bool_)
    for p in range(len(deg)):
        k = max(int(surplus[p]), 0)
        order = np.argsort(row_now[p, : deg[p]], kind="stable")[:k]
        expected[adj[p, order]] = True
    assert np.array_equal(doomed, expected)
    assert (surplus > 4).sum() > 50 and ((surplus > 0) & (surplus <= 4)).sum() > 10


def test_take_while_room_by_hand():
    """In order: made while both ends have room; a pair made before is not made again."""
    rng = np.random.default_rng(3)
    n, k = 30, 400
    a = rng.integers(0, n - 1, k)
    b = a + rng.integers(1, 4, k)
    b = np.minimum(b, n - 1)
    keep = a < b
    a, b = a[keep], b[keep]
    room = rng.integers(0, 12, n).astype(np.int64)
    made, taken = take_while_room(a, b, room)
    left, pairs, expected = room.copy(), set(), np.zeros(len(a), bool)
    for i, (p, q) in enumerate(zip(a.tolist(), b.tolist(), strict=True)):
        if left[p] > 0 and left[q] > 0 and (p, q) not in pairs:
            expected[i] = True
            pairs.add((p, q))
            left[p] -= 1
            left[q] -= 1
    assert np.array_equal(made, expected)
    assert np.array_equal(taken, room - left)
    assert expected.sum() > 20 and (~expected).sum() > 20


def test_parallel_append_and_drop_give_the_serial_rows():
    """Appending and dropping in parallel leave every row as the serial kernels do."""
    rng = np.random.default_rng(5)
    n, width, k = 500, 64, 8000
    a = rng.integers(0, n, 3 * k)
    b = rng.integers(0, n, 3 * k)
    pairs = np.unique(np.stack([np.minimum(a, b), np.maximum(a, b)], 1)[a != b], axis=0)
    pairs = pairs[rng.permutation(len(pairs))][:k]
    u, v = pairs[:, 0].astype(np.int32), pairs[:, 1].astype(np.int32)
    eids = rng.permutation(len(u)).astype(np.int64)
    uu, vv = np.empty_like(u), np.empty_like(v)
    uu[eids], vv[eids] = u, v
    tables = []
    for append in ("serial", "parallel"):
        adj = np.full((n, width), -1, np.int32)
        nbr = np.full((n, width), -1, np.int32)
        deg = np.zeros(n, np.int32)
        if append == "serial":
            append_to_rows(eids, uu, vv, adj, nbr, deg)
        else:
            append_to_rows_parallel(eids, u, v, adj, nbr, deg)
        tables.append((adj, nbr, deg))
    for x, y in zip(tables[0], tables[1], strict=True):
        assert np.array_equal(x, y)
    assert tables[0][2].max() > 40
    for share in (0.01, 0.6):  # a few ids (rows listed) and many (every row closed up)
        doomed = np.sort(rng.choice(len(u), int(share * len(u)), replace=False)).astype(np.int64)
        results = []
        for drop in (drop_from_rows, drop_from_rows_parallel):
            adj, nbr, deg = (t.copy() for t in tables[0])
            kind = np.zeros(len(u), np.int8)
            kind[doomed] = FREE
            drop(doomed, uu, vv, adj, nbr, deg, kind, np.zeros(n, np.bool_))
            results.append((adj, nbr, deg))
        for x, y in zip(results[0], results[1], strict=True):
            assert np.array_equal(x, y)
        assert results[0][2].sum() == 2 * (len(u) - len(doomed))


@pytest.mark.parametrize("keys", [1, 7, 5000])
def test_counting_sorts_are_the_stable_sort(keys):
    """The parallel counting sorts give NumPy's stable argsort, whatever the threads."""
    import numba

    from sim.kernels.buckets import positions_by_end, positions_by_key, sort_by_key

    rng = np.random.default_rng(keys)
    a, b = rng.integers(0, keys, 20_000), rng.integers(0, keys, 20_000)
    items = rng.permutation(20_000).astype(np.int32)
    expected_items = items[np.argsort(a[items], kind="stable")]
    ends = np.concatenate([a, b])
    for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
        numba.set_num_threads(threads)
        try:
            start, got = sort_by_key(items, a, keys)
            by_key = np.empty(len(a), np.int64)
            start_key = positions_by_key(a, keys, by_key)
            by_end = np.empty(2 * len(a), np.int32)
            start_end = positions_by_end(a, b, keys, by_end)
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        assert np.array_equal(got, expected_items)
        assert np.array_equal(by_key, np.argsort(a, kind="stable"))
        assert np.array_equal(by_end, np.argsort(ends, kind="stable"))
        counts = np.bincount(a, minlength=keys)
        assert np.array_equal(start, np.concatenate([[0], np.cumsum(counts)]))
        assert np.array_equal(start_key, start)
        end_counts = np.bincount(ends, minlength=keys)
        assert np.array_equal(start_end, np.concatenate([[0], np.cumsum(end_counts)]))


def test_close_rows_with_strengths_against_a_plain_definition():
    """Rows lose their holes and freed ties in order; strengths follow, 0 past the end."""
    rng = np.random.default_rng(11)
    adj, _, deg, n_edges = random_rows(rng, 200, 40, 1000)
    nbr = np.where(adj >= 0, adj % 200, -1).astype(np.int32)
    adj[rng.random(adj.shape) < 0.1] = -1  # holes
    kind = np.zeros(n_edges, np.int8)
    kind[rng.random(n_edges) < 0.3] = FREE
    now = rng.random(n_edges).astype(np.float32)
    out = np.full(adj.shape, 7.0, np.float32)  # stale values that must not survive
    total = np.empty(len(deg), np.float64)
    expected = []
    for p in range(len(deg)):
        slots = [s for s in range(deg[p]) if adj[p, s] >= 0 and kind[adj[p, s]] != FREE]
        expected.append((adj[p, slots].copy(), nbr[p, slots].copy()))
    close_rows_with_strengths(adj, nbr, deg, kind, now, total, out)
    for p, (eids, others) in enumerate(expected):
        k = len(eids)
        assert deg[p] == k
        assert np.array_equal(adj[p, :k], eids) and np.array_equal(nbr[p, :k], others)
        assert np.all(adj[p, k:] == -1) and np.all(nbr[p, k:] == -1)
        assert np.array_equal(out[p, :k], now[eids]) and np.all(out[p, k:] == 0.0)
        running = 0.0
        for x in now[eids]:  # float64, in slot order
            running += float(x)
        assert total[p] == running
