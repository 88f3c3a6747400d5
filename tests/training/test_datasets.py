"""The generated data sets: shapes, labels, seeds, noise, and the digits loader."""
import builtins

import numpy as np
import pytest

from microgradnn import datasets

GENERATED = ["moons", "circles", "spirals", "xor"]


@pytest.mark.parametrize("name", GENERATED)
def test_shapes_dtypes_and_balanced_labels(name):
    x, y = datasets.load(name, n=120)
    assert x.shape == (120, 2) and x.dtype == np.float64
    assert y.shape == (120,) and y.dtype == np.int64
    counts = np.bincount(y)
    assert counts.min() >= counts.max() - 1 and len(counts) >= 2


@pytest.mark.parametrize("name", GENERATED)
def test_seeded_and_reproducible(name):
    a, b, c = (datasets.load(name, n=50, seed=s) for s in (3, 3, 4))
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("name", GENERATED)
def test_noise_moves_points_by_about_its_size(name):
    clean, _ = datasets.load(name, n=400, noise=0.0, seed=0)
    noisy, _ = datasets.load(name, n=400, noise=0.2, seed=0)
    # same seed, same order: the difference is the noise itself
    assert abs(np.std(noisy - clean) - 0.2) < 0.02


def test_moons_are_the_two_half_circles():
    x, y = datasets.moons(n=100, noise=0.0)
    upper, lower = x[y == 0], x[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0)


def test_circles_radii():
    x, y = datasets.circles(n=100, noise=0.0, factor=0.3)
    np.testing.assert_allclose(np.hypot(*x[y == 0].T), 1.0)
    np.testing.assert_allclose(np.hypot(*x[y == 1].T), 0.3)


def test_xor_without_noise_is_the_truth_table():
    x, y = datasets.xor(n=4, noise=0.0)
    assert sorted(zip(x[:, 0], x[:, 1], y)) == [(0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 0)]


def test_spirals_class_count():
    _, y = datasets.spirals(n=90, classes=5)
    assert sorted(set(y.tolist())) == [0, 1, 2, 3, 4]


def test_digits_loads_the_sklearn_images():
    pytest.importorskip("sklearn")
    x, y = datasets.digits()
    assert x.shape == (1797, 64) and 0 <= x.min() and x.max() <= 1
    assert sorted(set(y.tolist())) == list(range(10))


def test_digits_without_sklearn_says_how_to_install(monkeypatch):
    real_import = builtins.__import__

    def no_sklearn(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError("no sklearn")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        datasets.digits()


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="moons, circles, spirals, xor, digits"):
        datasets.load("iris")


@pytest.mark.parametrize("kwargs, match", [({"n": 0}, "n must be"), ({"noise": -0.1}, "noise must be")])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        datasets.moons(**kwargs)
