"""The device path, proven without a GPU.

torch's ``meta`` device stands in for CUDA: a tensor on it has a device but no data, so any
batch, target or state tensor left on the CPU fails the step with a device mismatch, and any
host synchronisation (``.item()``, ``if tensor:``) fails too. Pickles are checked for tensors
outside skorch's device mapping, which are the ones a CPU-only machine could not load.
"""

import io
import os
import pickle
import traceback
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.overrides import TorchFunctionMode
from torch_geometric.nn import global_add_pool

import sklearn_ltdd
from sklearn_ltdd import (
    BaselineClassifier,
    LTDDClassifier,
    SmilesGraphizer,
    SubclusterSchedule,
)
from sklearn_ltdd.classifier import BASELINE_LOSSES, _data
from sklearn_ltdd.classifier._data import GraphDataset, collate_graphs
from sklearn_ltdd.datasets import load_solubility
from sklearn_ltdd.featurize import GraphStore

DATA = load_solubility()
ROWS = np.random.default_rng(1).choice(len(DATA.data), 80, replace=False)
X, Y = DATA.data[ROWS], DATA.target[ROWS]
RUN = {"max_epochs": 3, "batch_size": 16, "hidden": 16, "random_state": 0}
FAST = {**RUN, "schedule": SubclusterSchedule(warmup_epochs=1, update_every=1)}


def make(method: str, **params):
    """LTDDClassifier for "ltdd", else BaselineClassifier with that loss."""
    if method == "ltdd":
        return LTDDClassifier(**{**FAST, **params})
    return BaselineClassifier(loss=method, **{**RUN, **params})


class DeviceAssertingEncoder(torch.nn.Module):
    """A stand-in encoder that fails unless every tensor of its batch is on ``device``."""

    def __init__(self, in_features: int, hidden: int, device: str):
        super().__init__()
        self.lin = torch.nn.Linear(in_features, hidden)
        self.expected = torch.device(device)

    def forward(self, batch):
        for key in ("x", "edge_index", "edge_weight", "edge_attr", "fingerprint", "batch", "ptr"):
            value = getattr(batch, key, None)
            assert value is None or value.device == self.expected, f"batch.{key} is on {value.device}"
        return global_add_pool(self.lin(batch.x), batch.batch, size=batch.num_graphs)


@pytest.fixture(autouse=True)
def _meta_nonzero():
    # lets the few data-dependent shapes outside our code (PyG's sum pooling) run on meta
    import torch.fx.experimental._config as fx_config

    if not hasattr(fx_config, "meta_nonzero_assume_all_nonzero"):  # torch 2.4 has none, and needs none
        yield
        return
    previous = fx_config.meta_nonzero_assume_all_nonzero
    fx_config.meta_nonzero_assume_all_nonzero = True
    yield
    fx_config.meta_nonzero_assume_all_nonzero = previous


def _on_meta(clf: LTDDClassifier):
    """The fitted net, moved whole to the meta device, with a device-asserting encoder."""
    net = clf.net_
    net.module_.encoder = DeviceAssertingEncoder(clf.n_node_features_, clf.hidden, "meta")
    net.module_.to("meta")
    net.criterion_.to("meta")
    net.device = "meta"
    return net


@pytest.mark.parametrize("method", ["ltdd", *sorted(BASELINE_LOSSES)])
def test_train_and_validation_steps_run_where_the_net_is(method):
    clf = make(method).fit(X, Y)
    net = _on_meta(clf)
    graphs = SmilesGraphizer(bond_features=True, fingerprint="morgan").fit_transform(X[:12])
    dataset = GraphDataset(graphs, np.arange(12) % 3)
    batch = collate_graphs([(dataset, i) for i in range(12)])
    assert batch[0].x.device.type == "cpu"  # the step, not the caller, moves it
    if method == "decoupling":
        net.module_.freeze_encoder()
    phases = net.criterion_.phases
    if hasattr(net.criterion_, "set_state"):  # the fit's sub-clusters are gone with its training state
        net.criterion_.set_state(torch.zeros(12, dtype=torch.long), torch.ones(3), torch.ones(1))
    for phase in phases.phases:  # every phase's step
        phases.enter(phase.name)
        step = net.train_step_single(batch)
        assert step["loss"].device.type == "meta"
        assert all(p.grad is None or p.grad.device.type == "meta" for p in net.module_.parameters())
    assert net.validation_step(batch)["loss"].device.type == "meta"


def test_fit_moves_the_graph_stores_to_the_device_once(monkeypatch):
    moves = []
    original = _data.GraphDataset.to

    def recording(self, device):
        moves.append((len(self), str(device)))
        return original(self, device)

    monkeypatch.setattr(_data.GraphDataset, "to", recording)
    clf = LTDDClassifier(**FAST).fit(X, Y)
    assert [device for _, device in moves] == [clf.device_] * 2  # training and validation set, once each
    assert sum(n for n, _ in moves) == len(X)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_a_store_on_the_gpu_is_not_copied_to_it_again():
    # its tensors say cuda:0, which "cuda" never equalled: every .to("cuda") copied the store
    on_gpu = SmilesGraphizer().fit_transform(X[:10]).to("cuda")
    assert on_gpu.to("cuda") is on_gpu and on_gpu.to("auto") is on_gpu
    assert on_gpu.to(f"cuda:{torch.cuda.current_device()}") is on_gpu


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
@pytest.mark.parametrize(
    "mode, rows",
    [(None, list(X[:10])), ("cgr", ["[CH3:1][OH:2]>>[CH2:1]=[O:2]", "[CH4+99:1]>>[CH4-99:1]"])],
    ids=["int8", "int16"],
)
def test_a_store_of_small_integers_on_the_gpu_batches_as_on_the_cpu(mode, rows):
    """The gathers and the casts to float32 run on the GPU: exact, as on the host."""
    graphs = SmilesGraphizer(reaction_mode=mode, bond_features=True).fit_transform(rows)
    on_gpu, index = graphs.to("cuda"), [len(rows) - 1, 0, 0]
    assert on_gpu.x.is_cuda and on_gpu.x.dtype == graphs.x.dtype == (torch.int16 if mode else torch.int8)
    expected = graphs.batch(index)
    for batch in (
        on_gpu.batch(index),
        on_gpu[index].batch(),
        pickle.loads(pickle.dumps(on_gpu)).to("cuda").batch(index),
    ):
        for key in ("x", "edge_index", "edge_attr", "fingerprint", "batch", "ptr"):
            value = getattr(batch, key)
            assert value.is_cuda and torch.equal(value.cpu(), getattr(expected, key)), key
    assert torch.equal(on_gpu.to_data_list([1])[0].x.cpu(), graphs.to_data_list([1])[0].x)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_a_store_built_by_hand_from_gpu_tensors_batches():
    """Its offsets given on the GPU, batching (which reads them on the host) failed in numpy()."""
    graphs = SmilesGraphizer().fit_transform(X[:10])
    parts = (graphs.x, graphs.edge_index, graphs.node_ptr, graphs.edge_ptr)
    by_hand = GraphStore(*(part.to("cuda") for part in parts))
    batch = by_hand.batch([3, 1])
    assert batch.x.is_cuda and torch.equal(batch.x.cpu(), graphs.batch([3, 1]).x)
    assert len(by_hand[[0, 2]]) == 2


def test_a_batch_is_gathered_on_the_store_device():
    graphs = SmilesGraphizer(bond_features=True, fingerprint="morgan").fit_transform(X[:10])
    on_cpu = GraphDataset(graphs, np.arange(10) % 2, np.linspace(0.5, 1, 10))
    index = torch.tensor([7, 2, 2, 5])
    cpu_graphs, cpu_targets = on_cpu.batch(index)
    meta_graphs, meta_targets = on_cpu.to("meta").batch(index)
    for key in ("x", "edge_index", "edge_attr", "fingerprint", "batch", "ptr"):
        assert getattr(meta_graphs, key).device.type == "meta"
        assert getattr(meta_graphs, key).shape == getattr(cpu_graphs, key).shape
    assert all(t.device.type == "meta" for t in meta_targets.values())
    torch.testing.assert_close(cpu_targets["y"], torch.tensor([1, 0, 0, 1]))
    # a dataset made of graphs already on a device keeps its labels and weights there too
    made_there = GraphDataset(graphs.to("meta"), np.arange(10) % 2, np.linspace(0.5, 1, 10))
    assert made_there.y.device.type == made_there.sample_weight.device.type == "meta"


class _TensorSpy(pickle.Pickler):
    """Records every tensor pickled as a plain object, i.e. outside skorch's ``torch.save`` blob
    (which is loaded with a map location); each of those keeps its device and cannot load where
    that device is missing."""

    def __init__(self, file):
        super().__init__(file)
        self.tensors = []

    def reducer_override(self, obj):
        if isinstance(obj, torch.Tensor):
            self.tensors.append((type(obj).__name__, tuple(obj.shape)))
        return NotImplemented


@pytest.mark.parametrize(
    "params",
    [("ltdd", {"early_stopping": 2}), ("decoupling", {"max_epochs": 5}), ("ib", {}),
     ("ltdd", {"schedule": SubclusterSchedule(warmup_epochs=1, resample=True)})],
)  # fmt: skip
def test_a_fitted_model_pickles_no_tensor_outside_skorchs_device_mapping(params):
    clf = make(params[0], **params[1]).fit(X, Y)
    spy = _TensorSpy(io.BytesIO())
    spy.dump(clf)
    assert spy.tensors == []


@pytest.mark.parametrize("device", ["gpu", "CPU", "", "mps", "meta", "cuda:x"])
def test_device_strings_are_checked_before_training(device):
    with pytest.raises(ValueError, match=r"'auto', 'cpu', 'cuda' or 'cuda:<index>'|CUDA is not available"):
        LTDDClassifier(**FAST, device=device).fit(X, Y)


def test_a_device_the_classifiers_never_train_on_is_refused_as_such():
    # not "MPS is not available here", which would suggest another machine could train on it
    with pytest.raises(ValueError, match="device='mps' is not supported; use 'auto', 'cpu'"):
        LTDDClassifier(**FAST, device="mps").fit(X, Y)


def test_the_device_is_checked_before_featurising(monkeypatch):
    def featurise(self, X):
        raise AssertionError("featurised first: a bad device cost the whole featurisation")

    monkeypatch.setattr(LTDDClassifier, "_graphs", featurise)
    with pytest.raises(ValueError, match="device='gpu' is not a device torch knows"):
        LTDDClassifier(**FAST, device="gpu").fit(X, Y)


@pytest.mark.parametrize("device", ["gpu", "cuda:x", "mps", *([] if torch.cuda.is_available() else ["cuda"])])
def test_a_graph_store_names_a_device_it_cannot_go_to(device):
    graphs = SmilesGraphizer().fit_transform(X[:4])
    if device == "mps" and torch.backends.mps.is_available():
        pytest.skip("this machine has MPS")
    with pytest.raises(
        ValueError, match=rf"device='{device}' (is not a device torch knows|was requested but)"
    ):
        graphs.to(device)
    with pytest.raises(ValueError, match=rf"device='{device}'"):
        SmilesGraphizer(reaction_mode="pair").fit_transform(["CCO>>CC=O"]).to(device)
    assert graphs.to("auto").device.type == ("cuda" if torch.cuda.is_available() else "cpu")


def test_a_cuda_index_beyond_the_machine_is_rejected():
    expected = "devices?\\(s\\), numbered from 0" if torch.cuda.is_available() else "CUDA is not available"
    with pytest.raises(ValueError, match=expected):
        LTDDClassifier(**FAST, device="cuda:99").fit(X, Y)


def test_the_last_cuda_index_of_the_machine_is_taken_and_the_next_refused(monkeypatch):
    """As on a machine of one GPU (here or not): cuda:0 is its last device, cuda:1 none."""
    from sklearn_ltdd._torch_device import check_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert check_device("auto") == torch.device("cuda")
    assert check_device("cuda") == torch.device("cuda")
    assert check_device("cuda:0") == check_device(torch.device("cuda", 0)) == torch.device("cuda:0")
    with pytest.raises(ValueError, match=r"device='cuda:1' was requested but this machine has 1 CUDA device"):
        check_device("cuda:1")


def test_cpu_with_an_index_trains_end_to_end():
    clf = LTDDClassifier(**FAST, device="cpu:0").fit(X, Y)  # the best epochs' mean is loaded at the end
    assert clf.device_ == "cpu" and clf.device == "cpu:0"
    assert clf.history_[-1]["valid_ba"] >= 0 and clf.predict(X[:3]).shape == (3,)


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (np.array([True, False, True, False]), [0, 2]),
        (torch.tensor([True, False, True, False]), [0, 2]),
        ([2, 0], [2, 0]),
        (torch.tensor([-2, 0]), [2, 0]),
    ],
    ids=["numpy mask", "torch mask", "list", "negative tensor"],
)
def test_a_batch_and_its_targets_are_the_same_graphs_however_they_are_indexed(index, expected):
    graphs = SmilesGraphizer().fit_transform(["CCO", "CCCN", "c1ccccc1", "CC"])
    dataset = GraphDataset(graphs, np.array([0, 1, 2, 3]), np.array([1.0, 2.0, 3.0, 4.0]))
    batch, targets = dataset.batch(index)
    assert targets["y"].tolist() == expected and targets["index"].tolist() == expected
    assert targets["weight"].tolist() == [i + 1.0 for i in expected]
    sizes = (batch.ptr[1:] - batch.ptr[:-1]).tolist()
    assert sizes == [int(graphs.node_ptr[i + 1] - graphs.node_ptr[i]) for i in expected]


_PACKAGE = os.path.dirname(sklearn_ltdd.__file__) + os.sep
# torch's functions that make a tensor on the default device unless they are told another
_MAKERS = {
    torch.arange, torch.as_tensor, torch.asarray, torch.empty, torch.empty_strided, torch.eye, torch.full,
    torch.linspace, torch.logspace, torch.ones, torch.rand, torch.randint, torch.randn, torch.randperm,
    torch.scalar_tensor, torch.sparse_compressed_tensor, torch.sparse_coo_tensor, torch.sparse_csr_tensor,
    torch.tensor, torch.tril_indices, torch.triu_indices, torch.zeros,
}  # fmt: skip


class _TensorsMadeWithoutADevice(TorchFunctionMode):
    """Records each tensor made without naming its device while the network, its losses or the
    sub-clustering compute (model construction excepted: skorch moves the model afterwards)."""

    def __init__(self):
        super().__init__()
        self.made = set()

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in _MAKERS and kwargs.get("device") is None:
            stack = traceback.extract_stack()
            ours = [frame for frame in stack if frame.filename.startswith(_PACKAGE)]
            building = any(frame.name in ("initialize_module", "initialize_criterion") for frame in stack)
            if (
                ours
                and ours[-1].filename.startswith((_PACKAGE + "nn", _PACKAGE + "cluster"))
                and not building
            ):
                self.made.add(f"{Path(ours[-1].filename).name}:{ours[-1].lineno} {func.__name__}")
        return func(*args, **kwargs)


@pytest.mark.parametrize(
    "model",
    [
        LTDDClassifier(**FAST),
        LTDDClassifier(**FAST, encoder="gine"),
        BaselineClassifier(**RUN),
        BaselineClassifier(**RUN, loss="mixup", fingerprint=None),
    ],
    ids=["ltdd", "ltdd, gine", "baseline (wide expert)", "mixup, graph alone"],
)
def test_each_tensor_the_computation_makes_names_its_device(model):
    """A caller's ``torch.set_default_device("cuda")`` has the package make new tensors on the CPU
    (its input side is there), so one made without a device on the compute path met the GPU's in
    the first sparse product ("mat1 is on cpu, different from other tensors on cuda:0")."""
    with _TensorsMadeWithoutADevice() as recorder:
        model.fit(X, Y).predict_proba(X[:20])
    assert not recorder.made
