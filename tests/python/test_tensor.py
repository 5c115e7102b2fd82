"""nn.Tensor <-> NumPy without copies (checked by address), and clear errors where a copy would be needed."""
import numpy as np
import pytest

import nn


def address(a):
    return a.__array_interface__["data"][0]


def test_tensor_to_numpy_is_a_view():
    t = nn.Tensor([2, 3], fill=1.5)
    a = np.asarray(t)
    assert a.dtype == np.float32 and a.shape == (2, 3)
    assert address(a) == t.data_ptr()
    a[1, 2] = 7.0  # writes through
    assert np.asarray(t)[1, 2] == 7.0
    assert address(t.numpy()) == t.data_ptr()


def test_numpy_to_tensor_borrows_the_array():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    t = nn.tensor(a)
    assert t.borrowed and t.shape == (3, 4)
    assert t.data_ptr() == address(a)
    a[0, 0] = -1.0
    assert np.asarray(t)[0, 0] == -1.0


def test_round_trips_keep_the_same_memory():
    t = nn.Tensor([4, 2])
    back = nn.tensor(np.asarray(t))
    assert back.data_ptr() == t.data_ptr()
    a = np.ones((5, 3), dtype=np.float32)
    assert address(np.asarray(nn.tensor(a))) == address(a)
    assert nn.tensor(t) is t


def test_tensor_keeps_the_array_alive():
    t = nn.tensor(np.full((1000,), 3.0, dtype=np.float32))  # the array has no other reference
    import gc
    gc.collect()
    assert float(np.asarray(t).sum()) == 3000.0


def test_views_keep_the_tensor_alive():
    a = np.asarray(nn.Tensor([3], fill=2.0))
    import gc
    gc.collect()
    assert a.tolist() == [2.0, 2.0, 2.0]


def test_other_dtypes_and_layouts_are_refused_or_copied_on_request():
    with pytest.raises(TypeError, match="float64"):
        nn.tensor(np.zeros((2, 2)))
    strided = np.zeros((4, 4), dtype=np.float32)[:, ::2]
    with pytest.raises(TypeError, match="not C-contiguous"):
        nn.tensor(strided)
    frozen = np.zeros(3, dtype=np.float32)
    frozen.flags.writeable = False
    with pytest.raises(TypeError, match="read-only"):
        nn.tensor(frozen)
    c = nn.tensor(np.arange(4.0).reshape(2, 2), copy=True)
    assert not c.borrowed and np.asarray(c).tolist() == [[0, 1], [2, 3]]
    s = nn.tensor(strided + 1, copy=True)
    assert s.shape == (4, 2)
    assert nn.tensor([[1, 2]]).shape == (1, 2)


def test_layer_forward_refuses_float64_with_a_clear_message():
    with pytest.raises(TypeError, match="Linear.forward: expected an nn.Tensor or a C-contiguous"):
        nn.Linear(2, 3)(np.zeros((1, 2)))


def test_more_than_four_dimensions_is_an_error():
    with pytest.raises(ValueError, match="at most 4"):
        nn.tensor(np.zeros((1, 1, 1, 1, 1), dtype=np.float32))
