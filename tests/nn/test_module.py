"""Module registration, modes, state dicts and checkpoint files."""

from __future__ import annotations

import numpy as np
import pytest

from tinygen import Tensor, nn


class Net(nn.Module):
    def __init__(self, random_state=None):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(4, 8, random_state=random_state),
            nn.ReLU(),
            nn.BatchNorm1d(8),
            nn.Linear(8, 3, random_state=random_state),
        )
        self.scale = nn.Parameter(np.ones(3, dtype=np.float32))
        self.register_buffer("counter", np.zeros(2, dtype=np.float32))

    def forward(self, x):
        return self.body(x) * self.scale


def test_registration_order_and_dotted_names():
    net = Net(random_state=0)
    names = [n for n, _ in net.named_parameters()]
    assert names == [
        "scale",
        "body.0.weight",
        "body.0.bias",
        "body.2.weight",
        "body.2.bias",
        "body.3.weight",
        "body.3.bias",
    ]
    assert len(list(net.parameters())) == 7
    assert [type(m).__name__ for m in net.children()] == ["Sequential"]
    assert [type(m).__name__ for m in net.modules()] == [
        "Net",
        "Sequential",
        "Linear",
        "ReLU",
        "BatchNorm1d",
        "Linear",
    ]
    assert [n for n, _ in net.named_buffers()] == [
        "counter",
        "body.2.running_mean",
        "body.2.running_var",
        "body.2.num_batches_tracked",
    ]
    assert net.body[0].weight.shape == (8, 4) and net.body[0].bias.shape == (8,)
    assert len(net.body) == 4 and isinstance(net.body[1:3], nn.Sequential)
    assert net.num_parameters() == 3 + 8 * 4 + 8 + 8 + 8 + 3 * 8 + 3


def test_shared_parameter_listed_once_and_reassignment():
    a = nn.Linear(3, 3, random_state=0)
    seq = nn.Sequential(a, nn.ReLU(), a)
    assert len(list(seq.parameters())) == 2
    lin = nn.Linear(2, 2, random_state=0)
    lin.bias = None
    assert [n for n, _ in lin.named_parameters()] == ["weight"]
    with pytest.raises(TypeError, match="Parameter"):
        lin.weight = np.zeros((2, 2))
    # a plain attribute is not registered
    lin.note = Tensor(np.zeros(2, np.float32), requires_grad=True)
    assert [n for n, _ in lin.named_parameters()] == ["weight"]


def test_missing_super_init_is_explained():
    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.zeros(2, np.float32))

    with pytest.raises(AttributeError, match="super"):
        Bad()


def test_train_eval_and_zero_grad():
    net = Net(random_state=0)
    assert all(m.training for m in net.modules())
    net.eval()
    assert not any(m.training for m in net.modules())
    net.train()
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    net(x).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def _trained_copy(seed):
    net = Net(random_state=seed)
    x = np.random.default_rng(1).standard_normal((16, 4)).astype(np.float32)
    net(x)  # updates the batch-norm running statistics (buffers)
    net.counter[...] = [3.0, 4.0]
    return net, x


def test_state_dict_is_a_copy_with_buffers():
    net, _ = _trained_copy(0)
    sd = net.state_dict()
    assert list(sd)[:2] == ["scale", "counter"]
    assert "body.2.running_mean" in sd and "body.2.num_batches_tracked" in sd
    assert all(isinstance(v, np.ndarray) for v in sd.values())
    sd["body.0.weight"][...] = 0.0
    assert not np.all(net.body[0].weight.data == 0.0)


def test_save_load_round_trip_gives_identical_outputs(tmp_path):
    net, x = _trained_copy(0)
    path = net.save(tmp_path / "ckpt.npz")
    other = Net(random_state=123)
    net.eval()
    other.eval()
    assert not np.allclose(other(x).data, net(x).data)
    weight_obj = other.body[0].weight
    other.load(path)
    assert other.body[0].weight is weight_obj  # loaded in place
    np.testing.assert_array_equal(other(x).data, net(x).data)
    for (k1, v1), (k2, v2) in zip(net.state_dict().items(), other.state_dict().items()):
        assert k1 == k2
        np.testing.assert_array_equal(v1, v2)
        assert v1.dtype == v2.dtype


def test_load_state_dict_errors_name_keys_and_shapes():
    net = Net(random_state=0)
    sd = net.state_dict()
    missing = dict(sd)
    del missing["body.0.bias"]
    with pytest.raises(KeyError, match="missing keys.*body.0.bias"):
        net.load_state_dict(missing)
    extra = dict(sd, stray=np.zeros(1))
    with pytest.raises(KeyError, match="unexpected keys.*stray"):
        net.load_state_dict(extra)
    res = net.load_state_dict(extra, strict=False)
    assert res.unexpected_keys == ["stray"] and res.missing_keys == []
    res = net.load_state_dict(missing, strict=False)
    assert res.missing_keys == ["body.0.bias"]
    bad = dict(sd)
    bad["body.3.weight"] = np.zeros((2, 8), np.float32)
    before = net.body[0].weight.data.copy()
    bad["body.0.weight"] = before + 1.0
    with pytest.raises(ValueError, match=r"body\.3\.weight.*\(2, 8\).*\(3, 8\)"):
        net.load_state_dict(bad)
    np.testing.assert_array_equal(net.body[0].weight.data, before)  # nothing copied


def test_load_missing_or_corrupt_file_is_explained(tmp_path):
    net = Net(random_state=0)
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        net.load(tmp_path / "nope.npz")
    bad = tmp_path / "corrupt.npz"
    good = net.save(tmp_path / "good.npz").read_bytes()
    bad.write_bytes(good[: len(good) // 2])
    with pytest.raises(ValueError, match="corrupt.npz"):
        net.load(bad)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"this is not a zip file at all")
    with pytest.raises(ValueError, match="junk.npz"):
        net.load(junk)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, obj=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="pickled.npz"):
        nn.load_npz(pickled)


def test_interrupted_save_keeps_the_old_file(tmp_path, monkeypatch):
    """A crash in the middle of writing leaves the previous checkpoint intact, no temp file."""
    net = Net(random_state=0)
    path = net.save(tmp_path / "ckpt.npz")
    old = path.read_bytes()

    def half_then_die(file, *args, **kwargs):
        if hasattr(file, "write"):
            file.write(b"PK\x03\x04 half a zip")
        else:
            with open(file, "wb") as f:
                f.write(b"PK\x03\x04 half a zip")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", half_then_die)
    with pytest.raises(KeyboardInterrupt):
        Net(random_state=1).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.npz"]
    Net(random_state=2).load(path)


def test_sequential_and_modulelist():
    seq = nn.Sequential(nn.Linear(2, 3, random_state=0), nn.Tanh())
    seq.append(nn.Linear(3, 1, random_state=1))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear)
    assert seq(np.zeros((4, 2), np.float32)).shape == (4, 1)
    ml = nn.ModuleList([nn.Linear(2, 2, random_state=i) for i in range(3)])
    assert len(list(ml.parameters())) == 6 and len(ml) == 3
    assert "Linear(in_features=2" in repr(seq)
    with pytest.raises(TypeError, match="Module"):
        nn.Sequential(nn.ReLU(), 3)


def test_to_dtype_casts_parameters_and_buffers():
    net = Net(random_state=0).double()
    assert all(p.dtype == np.float64 for p in net.parameters())
    assert net.body[2].running_mean.dtype == np.float64
    assert net.body[2].num_batches_tracked.dtype == np.int64
    x = np.random.default_rng(0).standard_normal((6, 4))
    assert net(x).dtype == np.float64
    assert net.float()(x.astype(np.float32)).dtype == np.float32
    with pytest.raises(TypeError, match="floating"):
        net.to("int32")
