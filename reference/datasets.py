"""Data sets for the assignments, all available offline.

Every loader returns ``(X, y)``: ``X`` float64 of shape ``(m, n)`` (rows are
samples) and ``y`` int64 of shape ``(m,)`` with values in {0, 1}.  The real data
sets are scikit-learn's bundled copies; the synthetic ones are scikit-learn's
generators, seeded from an explicit ``numpy.random.Generator`` so that a given
seed always gives the same data.
"""
import numpy as np
import sklearn.datasets

from ._validate import check_int, check_nonnegative, check_rng

#: Iris class pairs: name -> (class labelled 0, class labelled 1), as Iris target codes
#: (0 setosa, 1 versicolor, 2 virginica).  Virginica is always the positive class.
IRIS_PAIRS = {
    "setosa-virginica": (0, 2),
    "versicolor-virginica": (1, 2),
}


def load_iris_pair(pair):
    """Two of the three Iris species, as a binary problem.

    Parameters
    ----------
    pair : {"setosa-virginica", "versicolor-virginica"}
        Which two species.  Setosa vs virginica is linearly separable;
        versicolor vs virginica overlaps a little.

    Returns
    -------
    X : ndarray of shape (100, 4), float64
        Sepal length, sepal width, petal length, petal width (cm).
    y : ndarray of shape (100,), int
        1 for virginica, 0 for the other species.
    """
    if pair not in IRIS_PAIRS:
        raise ValueError(
            f"pair must be one of {sorted(IRIS_PAIRS)}, got pair={pair!r}"
        )
    negative, positive = IRIS_PAIRS[pair]
    iris = sklearn.datasets.load_iris()
    keep = np.isin(iris.target, (negative, positive))
    X = iris.data[keep].astype(np.float64)
    y = (iris.target[keep] == positive).astype(np.int64)
    return X, y


def load_breast_cancer():
    """Wisconsin diagnostic breast-cancer data (569 samples, 30 features).

    The features live on very different scales (``mean area`` is in the
    hundreds to thousands, ``mean smoothness`` about 0.1), which is what makes
    gradient descent on the raw features slow: the lesson of standardization.

    Returns
    -------
    X : ndarray of shape (569, 30), float64
    y : ndarray of shape (569,), int
        scikit-learn's coding: 1 benign (357 samples), 0 malignant (212).
    """
    data = sklearn.datasets.load_breast_cancer()
    return data.data.astype(np.float64), data.target.astype(np.int64)


def _sklearn_seed(rng):
    """One draw, ``rng.integers(2**31)``, as scikit-learn's ``random_state``."""
    return int(rng.integers(2**31))


def make_moons(m=200, noise=0.25, *, rng):
    """Two interleaving half circles, with Gaussian noise.

    scikit-learn's ``make_moons(n_samples=m, noise=noise, random_state=s)``
    with ``s = rng.integers(2**31)`` (one draw from ``rng``).

    Parameters
    ----------
    m : int, default=200
        Number of samples, >= 2 (``m // 2`` in the outer moon, labelled 0).
    noise : float, default=0.25
        Standard deviation of the Gaussian noise added to each coordinate, >= 0.
    rng : numpy.random.Generator
        The only source of randomness.

    Returns
    -------
    X : ndarray of shape (m, 2), float64
    y : ndarray of shape (m,), int
    """
    m = check_int(m, "m", low=2)
    noise = check_nonnegative(noise, "noise")
    rng = check_rng(rng)
    X, y = sklearn.datasets.make_moons(n_samples=m, noise=noise,
                                       random_state=_sklearn_seed(rng))
    return X.astype(np.float64), y.astype(np.int64)


def make_circles(m=200, noise=0.1, factor=0.5, *, rng):
    """A small circle (labelled 1) inside a large one (labelled 0), with noise.

    scikit-learn's ``make_circles(n_samples=m, noise=noise, factor=factor,
    random_state=s)`` with ``s = rng.integers(2**31)`` (one draw from ``rng``).

    Parameters
    ----------
    m : int, default=200
        Number of samples, >= 2.
    noise : float, default=0.1
        Standard deviation of the Gaussian noise, >= 0.
    factor : float, default=0.5
        Radius of the inner circle relative to the outer one, in [0, 1).
    rng : numpy.random.Generator
        The only source of randomness.

    Returns
    -------
    X : ndarray of shape (m, 2), float64
    y : ndarray of shape (m,), int
    """
    m = check_int(m, "m", low=2)
    noise = check_nonnegative(noise, "noise")
    factor = check_nonnegative(factor, "factor")
    if factor >= 1:
        raise ValueError(f"factor must be in [0, 1), got factor={factor!r}")
    rng = check_rng(rng)
    X, y = sklearn.datasets.make_circles(n_samples=m, noise=noise, factor=factor,
                                         random_state=_sklearn_seed(rng))
    return X.astype(np.float64), y.astype(np.int64)
