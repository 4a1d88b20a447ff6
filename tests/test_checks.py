"""The check library, one kind at a time, in process.

Each check is driven to pass and to fail, and its failure message is read: what a
student sees must name the item, the worst element and both values.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from autograder import checks
from autograder.checks import (
    STAT_ALPHA,
    CheckFailure,
    assert_close,
    assert_same_sets,
    assert_unchanged,
    check_binomial,
    check_gradient,
    check_normal_sample,
    check_property,
    error_ratio,
    is_real,
    matches,
)
from autograder.worker.codec import Unsafe


def failure(check, *args, **kwargs) -> CheckFailure:
    with pytest.raises(CheckFailure) as info:
        check(*args, **kwargs)
    return info.value


# ---------------------------------------------------------------- tolerance

def test_assert_close_names_the_worst_element_and_both_values():
    got = np.array([[1.0, 2.0], [3.0, 4.5]])
    message = failure(assert_close, got, np.array([[1.0, 2.0], [3.1, 4.0]])).message
    assert message == ("the result differs from the expected value in 2 of 4 element(s); the "
                       "worst is at index (1, 1): got 4.5, expected 4 (shape (2, 2), dtype "
                       "float64; tolerance rtol=1e-07, atol=1e-10)")


@pytest.mark.parametrize("got, expected, says", [
    (np.zeros(3), np.zeros(4), "has shape (3,), expected shape (4,)"),
    (np.zeros(2, np.float32), np.zeros(2), "has dtype float32; expected a float64 array"),
    (np.zeros(2), np.zeros(2, np.int64), "has dtype float64; expected an int array"),
    (np.zeros(2, bool), np.zeros(2, np.int64), "has dtype bool; expected an int array"),
    (np.zeros(2, np.int64), np.zeros(2), "has dtype int64; expected a float64 array"),
    ({"a": 1.0}, {"a": 1.0, "b": 2.0}, "missing the key(s) ['b']"),
    ((1.0,), (1.0, 2.0), "should be a tuple of 2 items"),
    (np.zeros(1), None, "should be None"),
    ("1.0", 1.0, "should be an array of shape () and dtype float64, but it is a str"),
    (Unsafe("Evil"), 1.0, "a Evil object"),
])
def test_assert_close_says_what_is_wrong(got, expected, says):
    assert says in failure(assert_close, got, expected, exact_dtype=True).message
    assert "should be numeric" in failure(assert_close, np.array(["a"]), np.array([1.0])).message


@pytest.mark.parametrize("got, expected", [
    (np.array([True, False]), np.array([1, 0])),                  # predict's labels as bools
    (np.array([1.0, 0.0]), np.array([1, 0])),                     # ... or as floats
    (np.array([1, 0, 0]), np.array([1.0, 0.0, 0.0])),             # relu_grad's 0/1 as ints
    (np.array([0.5, 2.0], np.float32), np.array([0.5, 2.0])),     # exact in float32
    ({"t": 5.0, "m": np.ones(2)}, {"t": 5, "m": np.ones(2)}),      # Adam's step as a float
    (np.int64(3), 3.0),
])
def test_a_value_comparison_compares_values_whatever_the_dtype(got, expected):
    assert_close(got, expected)
    assert matches(got, expected) and error_ratio(got, expected, rtol=1e-7, atol=1e-10) == 0
    assert "has dtype" in failure(assert_close, got, expected, exact_dtype=True).message


def test_a_dtype_case_accepts_any_integer_dtype_for_integer_labels():
    assert_close(np.array([1, 0], np.int32), np.array([1, 0]), exact_dtype=True)
    assert_close(np.array([True]), np.array([True]), exact_dtype=True)


def test_assert_close_names_the_item_inside_containers():
    got = ({"m": np.ones(2), "t": 1}, np.zeros(2))
    expected = ({"m": np.array([1.0, 3.0]), "t": 1}, np.zeros(2))
    assert failure(assert_close, got, expected).message.startswith("the result[0]['m'] differs")


def test_assert_close_accepts_what_is_within_the_tolerance():
    assert_close(np.array([1.0 + 1e-9, np.nan, np.inf]), np.array([1.0, np.nan, np.inf]),
                 rtol=1e-8, atol=0)
    assert_close([1, 2], np.array([1.0, 2.0]))          # a list of numbers is an array
    assert_close({"a": 1.0, "extra": 0}, {"a": 1.0})    # extra keys are the student's business
    with pytest.raises(CheckFailure):
        assert_close(np.array([np.nan]), np.array([1.0]))



@pytest.mark.parametrize("got", [-np.inf, 5.0, np.nan])
def test_an_infinity_is_matched_only_by_itself(got):
    """The tolerance of an infinite value is infinite, so it must not accept anything."""
    assert_close(np.array([np.inf]), np.array([np.inf]))
    with pytest.raises(CheckFailure):
        assert_close(np.array([got]), np.array([np.inf]))


RATIO_TABLE = [
    (np.array([1.0, 2.0]), np.array([1.0, 2.0 + 3e-7]), 1e-7, 0.0),
    (np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-7]), 1e-7, 0.0),
    (np.array([0.0]), np.array([1e-11]), 0.0, 1e-10),
    (np.array([0.0]), np.array([0.0]), 0.0, 0.0),
    (np.array([1.0]), np.array([1.0 + 1e-15]), 0.0, 0.0),
    (np.array([np.nan, 1.0]), np.array([np.nan, 1.0]), 1e-7, 1e-10),
    (np.array([np.inf]), np.array([np.inf]), 1e-7, 1e-10),
    (np.array([1.0]), np.array([np.inf]), 1e-7, 1e-10),
    (np.array([np.nan]), np.array([1.0]), 1e-7, 1e-10),
    ((np.ones(2), {"v": np.ones(2)}), (np.ones(2), {"v": np.ones(2) * (1 + 5e-8)}), 1e-7, 0.0),
    (np.ones(2, np.float32), np.ones(2), 1e-7, 0.0),
    (np.ones(2), np.ones(3), 1e-7, 0.0),
]


@pytest.mark.parametrize("got, expected, rtol, atol", RATIO_TABLE)
@pytest.mark.parametrize("exact_dtype", [False, True])
def test_error_ratio_is_at_most_1_exactly_when_assert_close_passes(got, expected, rtol, atol,
                                                                   exact_dtype):
    ratio = error_ratio(got, expected, rtol=rtol, atol=atol, exact_dtype=exact_dtype)
    assert (ratio <= 1) == matches(got, expected, rtol=rtol, atol=atol, exact_dtype=exact_dtype)


def test_error_ratio_measures_in_units_of_the_tolerance():
    got, expected = np.array([1.0, 2.0, 4.0]), np.array([1.0, 2.0 + 3e-7, 4.0])
    assert error_ratio(got, expected, rtol=1e-7, atol=0) == pytest.approx(3e-7 / (2e-7 + 3e-14))
    assert error_ratio(got, got, rtol=0, atol=0) == 0
    assert error_ratio(got, expected[:2], rtol=1, atol=1) == math.inf
    assert error_ratio(got.astype(np.float32), got, rtol=1, atol=1, exact_dtype=True) == math.inf


# ---------------------------------------------------------------- sets, purity

def test_assert_same_sets_ignores_the_order_inside_each_array():
    assert_same_sets([np.array([2, 0]), (np.array([1]), np.array([3, 4]))],
                     [np.array([0, 2]), (np.array([1]), np.array([4, 3]))])


@pytest.mark.parametrize("got, says", [
    ([np.array([0, 1])], "a list of 2 index arrays"),
    ([np.array([0, 0]), np.array([1])], "repeats an index"),
    ([np.array([0, 3]), np.array([1])], "unexpected: [3], missing: [2]"),
    ([np.array([0.0, 2.0]), np.array([1])], "1-d integer index array"),
])
def test_assert_same_sets_says_what_is_wrong(got, says):
    assert says in failure(assert_same_sets, got, [np.array([0, 2]), np.array([1])]).message


def test_assert_unchanged_names_the_argument_and_the_mistake():
    caught = failure(assert_unchanged, np.zeros(2), np.array([0.0, 1.0]), name="w")
    assert "your function changed its input w in place" in caught.message
    assert caught.diagnosis == "mutates its input"
    assert "keys ['v'] added or removed" in failure(assert_unchanged, {}, {"v": 1.0},
                                                    name="state").message
    assert_unchanged(np.random.default_rng(0), np.random.default_rng(1), name="rng")
    assert_unchanged({"v": np.ones(2)}, {"v": np.ones(2)}, name="state")


#: A CS231n-style cache: arrays, a mode string, a nested dict, a tuple, None, a NaN.
CACHE = {"mode": "train", "x_hat": np.arange(6.0).reshape(2, 3), "eps": 1e-5, "t": 3,
         "config": {"momentum": 0.9, "layout": ("rows", "samples"), "note": None,
                    "mask": np.array([True, False]), "nan": float("nan")}}


def test_purity_compares_a_cache_of_strings_and_nested_dicts_like_with_like():
    import copy
    assert_unchanged(CACHE, copy.deepcopy(CACHE), name="cache")
    assert_unchanged(("train", 3, None, np.float32(1.5)), ("train", 3, None, np.float32(1.5)),
                     name="cache")


@pytest.mark.parametrize("path, new", [
    (("mode",), "test"), (("config", "layout"), ("rows", "columns")), (("config", "note"), 0),
    (("x_hat",), np.arange(6.0).reshape(3, 2)), (("x_hat",), np.arange(6).reshape(2, 3)),
    (("config", "mask"), np.array([True, True])), (("t",), 4), (("config", "nan"), 1.0),
])
def test_purity_reports_every_real_change_in_such_a_cache(path, new):
    import copy
    after = copy.deepcopy(CACHE)
    where = after
    for key in path[:-1]:
        where = where[key]
    where[path[-1]] = new
    assert "changed its input cache" in failure(assert_unchanged, CACHE, after,
                                                name="cache").message


def test_an_object_that_cannot_be_compared_is_never_changed():
    class Opaque:
        def __eq__(self, other):
            raise TypeError("no comparison")
    assert_unchanged(Opaque(), Opaque(), name="cache")
    assert_unchanged({"layer": Unsafe("Layer")}, {"layer": Unsafe("Layer")}, name="cache")
    assert not checks.changed(print, len)


# ---------------------------------------------------------------- gradients

def _square(x):
    return float(np.sum(x ** 2))


def test_check_gradient_passes_the_true_gradient_and_leaves_x_alone():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    before = x.copy()
    check_gradient(_square, x, 2 * x)
    check_gradient(_square, x, 2 * x, directions=3)
    assert np.array_equal(x, before)


def test_check_gradient_names_the_worst_index_with_both_values():
    x = np.array([1.0, -2.0, 0.5])
    wrong = 2 * x
    wrong[2] = 7.0
    message = failure(check_gradient, _square, x, wrong).message
    assert message.startswith("the gradient disagrees with a numerical gradient at index (2,): "
                              "analytic 7, numerical 1")
    assert "random direction" in failure(check_gradient, _square, x, wrong, directions=2).message
    assert "has shape (2,), expected (3,)" in failure(check_gradient, _square, x, x[:2]).message


def test_check_gradient_has_a_floor_so_zero_over_zero_is_zero():
    check_gradient(lambda x: 0.0, np.zeros(3), np.zeros(3))
    assert "relative error" in failure(check_gradient, _square, np.zeros(2),
                                       np.array([0.0, np.nan])).message


# ---------------------------------------------------------------- properties, statistics

def test_check_property_fails_with_its_message_and_diagnosis():
    check_property(True, "never shown")
    caught = failure(check_property, False, "the rate increased", "a growing schedule")
    assert (caught.message, caught.diagnosis) == ("the rate increased", "a growing schedule")


def test_normal_quantile_matches_published_values():
    assert checks._normal_quantile(0.05) == pytest.approx(1.959964, abs=1e-6)
    assert checks._normal_quantile(1e-7) == pytest.approx(5.326724, abs=1e-6)


def test_check_binomial_accepts_the_rate_and_rejects_another():
    check_binomial(5000, 10000, 0.5, what="kept units")
    message = failure(check_binomial, 5300, 10000, 0.5, what="kept units").message
    assert message.startswith("kept units: observed rate 0.5300 over 10000 draws, expected 0.5000")


def test_check_binomial_false_failure_rate_is_bounded():
    """Hoeffding: the band holds at least the two-sided 1 - alpha quantiles of the binomial."""
    n, p = 400, 0.3
    t = math.sqrt(math.log(2 / STAT_ALPHA) / (2 * n))
    k_low = math.ceil((p - t) * n) + 1
    check_binomial(k_low, n, p, what="x")
    tail = sum(math.comb(n, k) * p ** k * (1 - p) ** (n - k) for k in range(k_low))
    assert tail <= STAT_ALPHA


def test_check_normal_sample_tells_the_std_apart():
    sample = np.random.default_rng(0).standard_normal(120_000) * 0.05
    check_normal_sample(sample, std=0.05, what="W")
    assert "does not fit the expected std 0.0707" in failure(
        check_normal_sample, sample, std=0.0707, what="W").message
    assert "sample mean" in failure(check_normal_sample, sample + 0.01, std=0.05,
                                    what="W").message
    check_normal_sample(np.zeros(5), std=0, what="noise")
    assert "expected all zeros" in failure(check_normal_sample, np.ones(5), std=0,
                                           what="noise").message


@pytest.mark.parametrize("x, real", [(1, True), (1.5, True), (np.float32(2), True),
                                     (np.int64(3), True), (True, False), (np.bool_(True), False),
                                     (np.array(1.0), False), ("1", False)])
def test_is_real(x, real):
    assert is_real(x) is real
