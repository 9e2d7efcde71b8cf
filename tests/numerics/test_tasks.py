"""The task generators match docs/experiments.md's definitions, checked independently of their vectorised code."""

import numpy as np
import pytest

from numerics.experiments.tasks import (
    lookahead_needed,
    make_task,
    reversal,
    reversal_accuracy_bound,
    sine,
    sine_targets,
)

# ---------------------------------------------------------------- reversal


def test_reversal_shapes_one_hot_and_reversed_targets():
    data = reversal(V=4, T=7, sizes=(30, 6, 5), seed=3)
    assert data.train.x.shape == (7, 30, 4) and data.train.y.shape == (7, 30)
    assert len(data.val) == 6 and len(data.test) == 5
    for split in (data.train, data.val, data.test):
        x, y = split.x, split.y
        # Exactly one 1 per (t, b), the rest 0.
        assert set(np.unique(x)) <= {0.0, 1.0}
        np.testing.assert_array_equal(x.sum(axis=2), 1.0)
        sym = x.argmax(axis=2)
        T = x.shape[0]
        for b in range(x.shape[1]):
            for t in range(1, T + 1):  # the paper's 1-based indexing: target at t is the input at T - t + 1
                assert y[t - 1, b] == sym[T - t, b]
            # And as a whole: the target row is the input row reversed.
            assert list(y[:, b]) == list(sym[::-1, b])
    assert np.issubdtype(data.train.y.dtype, np.integer)
    assert data.kind == "classification" and data.input_size == 4 and data.output_size == 4


def test_reversal_is_seeded():
    a = reversal(V=3, T=6, sizes=(10, 4, 4), seed=5)
    b = reversal(V=3, T=6, sizes=(10, 4, 4), seed=5)
    c = reversal(V=3, T=6, sizes=(10, 4, 4), seed=6)
    np.testing.assert_array_equal(a.train.x, b.train.x)
    assert not np.array_equal(a.train.y, c.train.y)


def _rows(split):
    return [tuple(split.x[:, b].argmax(axis=1)) for b in range(len(split))]


def test_reversal_small_space_has_no_duplicates_within_or_across_splits():
    # 3**5 = 243 sequences, 240 asked for: a sampler with replacement would
    # certainly repeat (birthday bound), so distinctness is a real property.
    data = reversal(V=3, T=5, sizes=(200, 20, 20), seed=0)
    rows = _rows(data.train) + _rows(data.val) + _rows(data.test)
    assert len(rows) == 240 and len(set(rows)) == 240
    # The whole space can be used exactly once.
    full = reversal(V=2, T=4, sizes=(10, 3, 3), seed=1)
    assert sorted(_rows(full.train) + _rows(full.val) + _rows(full.test)) == sorted(
        tuple(int(c) for c in np.binary_repr(i, 4)) for i in range(16))


def test_reversal_large_space_is_distinct_and_covers_all_symbols():
    data = reversal(V=4, T=20, sizes=(300, 50, 50), seed=0)  # 4**20 > 2**24: the rejection sampler
    rows = _rows(data.train) + _rows(data.val) + _rows(data.test)
    assert len(set(rows)) == 400
    counts = np.bincount(data.train.x.argmax(axis=2).ravel(), minlength=4)
    assert counts.min() > 0.2 * counts.sum()  # roughly uniform symbols


@pytest.mark.parametrize(
    ("kwargs", "exc", "message"),
    [
        ({"V": 2, "T": 3, "sizes": (9, 1, 1)}, ValueError, r"train split asks for 9 .* 2\*\*3 = 8"),
        ({"V": 2, "T": 3, "sizes": (4, 3, 3)}, ValueError, "cannot be disjoint"),
        ({"V": 1}, ValueError, "V must be an int >= 2"),
        ({"T": 0}, ValueError, "T must be an int >= 1"),
        ({"V": 2.5}, TypeError, "V must be an int"),
        ({"T": True}, TypeError, "T must be an int"),
        ({"sizes": (1, 2)}, ValueError, "three entries"),
        ({"sizes": 100}, TypeError, "sizes must be a sequence"),
        ({"sizes": (10, 0, 1)}, ValueError, r"sizes\[1\] \(val\) must be an int >= 1"),
        ({"seed": -1}, ValueError, "seed must be an int >= 0"),
        ({"dtype": np.int32}, ValueError, "dtype must be float32 or float64"),
    ],
)
def test_reversal_rejects_bad_parameters(kwargs, exc, message):
    with pytest.raises(exc, match=message):
        reversal(**kwargs)


def test_reversal_accuracy_bound():
    # Causal reader, T = 4: times 3 and 4 (targets x_2, x_1) are visible, 1 and 2 guessed.
    assert reversal_accuracy_bound(4, 4, 0) == pytest.approx((2 + 2 / 4) / 4)
    assert reversal_accuracy_bound(4, 8, 7) == 1.0
    assert reversal_accuracy_bound(4, 8, 6) < 1.0
    bounds = [reversal_accuracy_bound(4, 10, d) for d in range(12)]
    assert bounds == sorted(bounds)


# -------------------------------------------------------------------- sine


def _loop_target(x_col, w, c, a, scale, t):
    """docs/experiments.md literally: y_t = sin(scale · Σ_k w_k x_{t+k}), k = -(c-1) … a, clipped at the ends."""
    T = len(x_col)
    total = 0.0
    for k in range(-(c - 1), a + 1):
        if 0 <= t + k < T:
            total += w[k + c - 1] * x_col[t + k]
    return np.sin(scale * total)


@pytest.mark.parametrize(("T", "c", "a", "scale"), [(30, 10, 5, 0.1), (12, 3, 4, 2.0), (5, 7, 2, 1.0), (6, 1, 0, 0.5)])
def test_sine_targets_match_a_plain_loop(T, c, a, scale):
    data = sine(T=T, causal=c, acausal=a, scale=scale, sizes=(6, 2, 2), seed=2)
    w = data.filter
    assert w.shape == (c + a,) and np.all((w >= 0) & (w <= 1))
    for split in (data.train, data.val, data.test):
        assert split.x.shape == (T, len(split), 1) and split.y.shape == (T, len(split), 1)
        assert np.all((split.x >= 0) & (split.x <= 1))
        for b in range(len(split)):
            for t in range(T):
                want = _loop_target(split.x[:, b, 0], w, c, a, scale, t)
                assert split.y[t, b, 0] == pytest.approx(want, abs=1e-12)
    assert data.kind == "regression" and data.output_size == 1


def test_sine_acausal_taps_read_the_future_and_causal_taps_the_past():
    T, c, a = 20, 4, 3
    rng = np.random.default_rng(0)
    w = rng.uniform(0.1, 1.0, size=c + a)
    x = rng.uniform(0, 1, size=(T, 1))
    y0 = sine_targets(x, w, c, 1.0)[:, 0, 0]
    t = 10
    for s in range(T):
        x2 = x.copy()
        x2[s, 0] += 0.5
        changed = not np.isclose(sine_targets(x2, w, c, 1.0)[t, 0, 0], y0[t])
        # x_s influences y_t exactly when t - (c-1) <= s <= t + a.
        assert changed == (t - (c - 1) <= s <= t + a), s
    # With no acausal taps the target is causal: perturbing the future changes nothing.
    x3 = x.copy()
    x3[t + 1:] = 0.0
    np.testing.assert_array_equal(sine_targets(x3, w[:c], c, 1.0)[: t + 1], sine_targets(x, w[:c], c, 1.0)[: t + 1])


def test_sine_filter_is_shared_by_splits_and_seeded():
    a = sine(sizes=(5, 5, 5), seed=4)
    b = sine(sizes=(5, 5, 5), seed=4)
    np.testing.assert_array_equal(a.filter, b.filter)
    np.testing.assert_array_equal(a.test.y, b.test.y)
    assert not np.array_equal(a.train.x, a.val.x)
    assert a.train.x.shape == (30, 5, 1)  # the paper's default length
    assert a.params == {"T": 30, "causal": 10, "acausal": 5, "scale": 0.1, "sizes": [5, 5, 5], "seed": 4}
    assert sine(sizes=(2, 2, 2), dtype=np.float32).train.x.dtype == np.float32


@pytest.mark.parametrize(
    ("kwargs", "exc", "message"),
    [
        ({"causal": 0}, ValueError, "causal must be an int >= 1"),
        ({"acausal": -1}, ValueError, "acausal must be an int >= 0"),
        ({"scale": 0.0}, ValueError, "scale must be > 0"),
        ({"scale": float("nan")}, ValueError, "scale must be finite"),
        ({"scale": "big"}, TypeError, "scale must be a real number"),
        ({"T": 3.0}, TypeError, "T must be an int"),
        ({"sizes": (1, 1, -1)}, ValueError, r"sizes\[2\] \(test\)"),
    ],
)
def test_sine_rejects_bad_parameters(kwargs, exc, message):
    with pytest.raises(exc, match=message):
        sine(**kwargs)


def test_sine_targets_rejects_bad_shapes():
    with pytest.raises(ValueError, match="x must have shape"):
        sine_targets(np.zeros((3, 2, 2)), np.ones(3), 2, 1.0)
    with pytest.raises(ValueError, match="at least causal"):
        sine_targets(np.zeros((3, 2)), np.ones(1), 2, 1.0)


def test_make_task_and_lookahead():
    assert lookahead_needed(make_task("reversal", V=3, T=6, sizes=(4, 2, 2))) == 5
    assert lookahead_needed(make_task("sine", acausal=4, sizes=(2, 2, 2))) == 4
    with pytest.raises(ValueError, match="name must be"):
        make_task("copy")
