"""What a Value may hold, and what becomes of the caller's objects."""
import numpy as np
import pytest

from microgradnn import Value
from microgradnn.optim import SGD


def test_a_value_over_a_memmap_copies_it_and_a_step_never_writes_the_file(tmp_path):
    path = tmp_path / "w.dat"
    m = np.memmap(path, dtype=np.float64, mode="w+", shape=(3,))
    m[:] = [1.0, 2.0, 3.0]
    m.flush()
    w = Value(m)
    assert type(w.data) is np.ndarray and not np.shares_memory(w.data, m)
    (w * w).sum().backward()
    SGD([w], lr=0.5).step()
    np.testing.assert_array_equal(np.fromfile(path, dtype=np.float64), [1.0, 2.0, 3.0])


@pytest.mark.parametrize("make", [lambda a: np.ma.masked_array(a), lambda a: np.asmatrix(a)],
                         ids=["masked", "matrix"])
def test_an_ndarray_subclass_is_copied_into_a_plain_array(make):
    a = np.array([[1.0, 2.0]])
    v = Value(make(a))
    assert type(v.data) is np.ndarray
    v.data[0, 0] = 9.0
    assert a[0, 0] == 1.0


def test_a_numpy_bool_is_an_operand_as_it_is_a_value():
    assert (Value(1.0) + np.bool_(True)).data == 2.0


def test_an_integer_too_large_for_a_float_is_refused_by_its_size():
    with pytest.raises(ValueError, match="too large for a float64"):
        Value(10 ** 400)


def test_a_list_of_large_integers_becomes_floats():
    assert Value([10 ** 30]).data[0] == 1e30


def test_relu_of_negative_zero_is_negative_zero_as_in_pytorch():
    assert np.signbit(Value(-0.0).relu().data)
    assert np.signbit(Value(np.array([-0.0])).relu().data[0])
    assert Value(-1.0).relu().data == 0.0 and not np.signbit(Value(-1.0).relu().data)


def test_assigning_grad_zero_resets_it_for_scalars_and_tensors():
    s, t = Value(1.0), Value(np.ones(2))
    (s * 2).backward()
    (t * 2).sum().backward()
    s.grad = 0.0
    t.grad = 0.0
    assert s.grad == 0.0 and not s.has_grad
    np.testing.assert_array_equal(t.grad, np.zeros(2))
