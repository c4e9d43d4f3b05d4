"""No host synchronisation inside a training step, and a few per epoch.

On a GPU the host queues kernels ahead of the device unless something makes it wait: reading a
value (``.item()``, ``if tensor:``, ``.tolist()``), an operation whose output shape depends on the
data (boolean-mask indexing, ``nonzero``, ``unique``, ``bincount`` on CUDA), or a tensor made from
host data inside the step (a blocking copy). These tests count all of them during real CPU fits,
with a dispatch mode that sees every aten operation and wrappers of the Python-level reads, so
they fail on the CPU for what would stall a GPU. The DataLoader is left out: its sampler and
seeds draw on the host, and assembling a batch computes on host tensors by design and copies to
the device without waiting (from pinned memory on CUDA).
"""

from __future__ import annotations

import traceback
from collections import Counter

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.data.dataloader import _BaseDataLoaderIter

from sklearn_ltdd import BaselineClassifier, LTDDClassifier, SubclusterSchedule
from sklearn_ltdd.classifier import _decision
from sklearn_ltdd.cluster import _spherical
from sklearn_ltdd.cluster._spherical import balanced_assign
from sklearn_ltdd.datasets import load_solubility

#: aten operations that wait for the device on CUDA
WAITING = {
    "_local_scalar_dense",  # .item(), bool(), float(), int()
    "nonzero",
    "masked_select",
    "masked_scatter",
    "bincount",
    "histc",
    "unique",
    "_unique",
    "_unique2",
    "unique_consecutive",
    "unique_dim",
    "equal",
    "lift_fresh",  # torch.tensor / as_tensor of host data: a blocking host-to-device copy
}
#: Python-level reads of a tensor's values
READS = ("tolist", "numpy", "cpu")


def _waits(func, args, kwargs) -> bool:
    name = func.overloadpacket.__name__
    if name in WAITING:
        return True
    if name in ("index", "index_put_", "_index_put_impl_", "index_put"):  # boolean masks
        indices = args[1] if len(args) > 1 else kwargs.get("indices", ())
        return any(i is not None and i.dtype in (torch.bool, torch.uint8) for i in indices)
    if name == "repeat_interleave":  # its output size, unless given, is read from the device
        return kwargs.get("output_size") is None and not (len(args) > 3 and args[3] is not None)
    return False


class HostSyncs(TorchDispatchMode):
    """Counts host synchronisations (see the module docstring), with where each came from."""

    def __init__(self):
        super().__init__()
        self.count, self.paused, self.where = 0, 0, Counter()

    def hit(self, what: str) -> None:
        if self.paused:
            return
        self.count += 1
        frames = [f for f in traceback.extract_stack()[:-2] if "sklearn_ltdd" in f.filename][-2:]
        self.where[(what, tuple(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}" for f in frames))] += 1

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if _waits(func, args, kwargs):
            self.hit(func.overloadpacket.__name__)
        return func(*args, **kwargs)


class Windows(Callback):
    """Host synchronisations per training step (begin to end of its callbacks) and per epoch.

    Two instances frame the other callbacks: ``opens`` runs first, the other last.
    """

    def __init__(self, syncs: HostSyncs, opens: bool, record: dict):
        self.syncs, self.opens, self.record = syncs, opens, record

    def on_epoch_begin(self, net, **kwargs):
        if self.opens:
            self.record["epoch_start"] = self.syncs.count

    def on_epoch_end(self, net, **kwargs):
        if not self.opens:
            self.record["epochs"].append(self.syncs.count - self.record["epoch_start"])
            self.record["steps"].append(self.record.pop("epoch_steps", []))

    def on_batch_begin(self, net, training=False, **kwargs):
        if self.opens and training:
            self.record["step_start"] = self.syncs.count

    def on_batch_end(self, net, training=False, **kwargs):
        if not self.opens and training:
            self.record.setdefault("epoch_steps", []).append(self.syncs.count - self.record["step_start"])


def _paused(syncs: HostSyncs, function):
    """``function``, its reads not counted by ``syncs``."""

    def paused(*args, **kwargs):
        syncs.paused += 1
        try:
            return function(*args, **kwargs)
        finally:
            syncs.paused -= 1

    return paused


def _count_reads(syncs: HostSyncs, monkeypatch) -> None:
    """Have ``syncs`` count the Python-level reads of tensors too (a dispatch mode does not see them)."""
    for name in READS:
        original = getattr(torch.Tensor, name)

        def read(self, *args, _original=original, _name=name, **kwargs):
            syncs.hit(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, read)


@pytest.fixture
def count_syncs(monkeypatch):
    """``count_syncs(clf, X, y)`` fits ``clf`` and returns its host synchronisations: per epoch,
    per training step of each epoch, and where they came from."""

    def run(clf, X, y):
        syncs = HostSyncs()
        record = {"epochs": [], "steps": []}
        build = clf._build_net

        def framed(*args):
            net = build(*args)
            net.callbacks = [("syncs_open", Windows(syncs, True, record)), *net.callbacks,
                             ("syncs_close", Windows(syncs, False, record))]  # fmt: skip
            return net

        for name in ("__init__", "__next__"):  # the DataLoader: host-side by design
            monkeypatch.setattr(_BaseDataLoaderIter, name, _paused(syncs, getattr(_BaseDataLoaderIter, name)))
        # the τ search takes the GPU's path, whose reads count (the CPU's reads its own memory)
        monkeypatch.setattr(_decision, "_argmax_of_contenders", _decision._argmax_of_every_class)
        monkeypatch.setattr(clf, "_build_net", framed)
        _count_reads(syncs, monkeypatch)
        with syncs:
            clf.fit(X, y)
        return record, syncs.where

    return run


DATA = load_solubility()
ROWS = np.random.default_rng(0).choice(len(DATA.data), 300, replace=False)
X, Y = DATA.data[ROWS], DATA.target[ROWS]
# re-clustering only at the first LTDD epoch: the epochs after it are plain LTDD epochs
SCHEDULE = SubclusterSchedule(warmup_epochs=1, update_every=100)
RUN = {"max_epochs": 5, "batch_size": 16, "hidden": 16, "random_state": 0, "early_stopping": None}


@pytest.mark.parametrize(
    "params",
    [
        {},  # the defaults: GCN, fingerprint with its wide expert, logit-adjusted decision
        {"encoder": "gine", "average_from_best": False, "reaction_mode": None},
    ],
    ids=["defaults", "gine-best1"],
)
def test_an_ltdd_training_step_never_waits_for_the_device(count_syncs, params):
    record, where = count_syncs(LTDDClassifier(schedule=SCHEDULE, **RUN, **params), X, Y)
    steps = record["steps"]
    assert len(steps) == RUN["max_epochs"] and all(len(epoch) >= 15 for epoch in steps)
    after_first = [n for epoch in steps for n in epoch][1:]
    assert sum(after_first) == 0, f"host syncs inside training steps: {dict(where)}"
    # an epoch of 15+ steps: a constant few reads (training and validation losses, the scores,
    # the loss terms), none per step; the first LTDD epoch (index 1)
    # also re-clusters
    plain = record["epochs"][2:]
    assert max(plain) <= 6, f"{plain} host syncs per epoch: {dict(where)}"


def test_the_syncs_of_an_epoch_do_not_grow_with_its_steps(count_syncs):
    small, _ = count_syncs(LTDDClassifier(schedule=SCHEDULE, **RUN), X[:150], Y[:150])
    large, _ = count_syncs(LTDDClassifier(schedule=SCHEDULE, **RUN), X, Y)
    assert sum(map(len, large["steps"])) >= 1.8 * sum(map(len, small["steps"]))
    # the last epochs of both: neither re-clusters; the model kept may change in either
    assert max(large["epochs"][2:]) <= max(small["epochs"][2:]) + 1


@pytest.mark.parametrize("loss", ["ce", "ib", "decoupling", "mixup", "cb_focal"])
def test_a_baseline_training_step_never_waits_for_the_device(count_syncs, loss):
    record, where = count_syncs(BaselineClassifier(loss=loss, **RUN), X, Y)
    after_first = [n for epoch in record["steps"] for n in epoch][1:]
    assert sum(after_first) == 0, f"host syncs inside training steps: {dict(where)}"


def test_a_round_of_the_balanced_assignment_reads_the_device_twice_at_most(monkeypatch):
    """Re-clustering HIV's training set runs about 725 rounds of the greedy assignment, which
    read the device nine times a round (boolean masks, bincounts, scalars): 6,486 waits on a GPU."""
    monkeypatch.setattr(_spherical, "HOST_PAIRS", 0)  # rounds to the end, none on the host
    k = 9
    similarity = torch.randn(400, k, generator=torch.Generator().manual_seed(0))
    capacity = torch.full((k,), 40)  # room for 360 of the 400: every centre fills and closes
    syncs = HostSyncs()
    _count_reads(syncs, monkeypatch)
    with syncs:
        labels = balanced_assign(similarity, capacity)
    assert torch.equal(torch.bincount(labels[labels >= 0], minlength=k), capacity)
    # a round closes a centre at least, or assigns every sample left: k + 1 rounds at most
    assert syncs.count <= 2 * (k + 1), syncs.where


def test_the_seeding_of_the_centres_never_reads_the_device(monkeypatch):
    """k-means++ read the device twice per centre (the weights' total, the pick): 4,000 waits on
    a GPU to seed the 1,999 sub-clusters of benchmarks/cluster.py's many-class shape."""
    X = torch.nn.functional.normalize(torch.randn(500, 8, generator=torch.Generator().manual_seed(0)), dim=1)
    X = torch.cat([X, X[:20]])  # duplicates too
    syncs = HostSyncs()
    _count_reads(syncs, monkeypatch)
    with syncs:
        centres = _spherical.seed_centres(X, 60, np.random.RandomState(0))
    assert syncs.count == 0, syncs.where
    assert len(torch.unique(X[centres], dim=0)) == 60  # k-means++ takes no point twice here
    # every point on a chosen centre: the rest are picked uniformly, still without a read
    with syncs:
        few = _spherical.seed_centres(X[:3].repeat(10, 1), 7, np.random.RandomState(0))
    assert syncs.count == 0 and len(torch.unique(few)) > 3


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA's own sync detector needs a GPU")
def test_on_cuda_the_seeding_of_the_centres_never_synchronises():
    X = torch.nn.functional.normalize(torch.randn(2000, 16, device="cuda"), dim=1)
    torch.cuda.set_sync_debug_mode("error")
    try:
        centres = _spherical.seed_centres(X, 200, np.random.RandomState(0))
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert centres.device == X.device and len(torch.unique(centres)) == 200


def test_the_last_rounds_of_the_balanced_assignment_run_on_the_host(monkeypatch):
    """The last rounds of an assignment, and the assignment of the samples left over, hold a few
    hundred samples: on the host they cost two reads and no launches instead of dozens a round."""
    k = 27
    similarity = torch.randn(3000, k, generator=torch.Generator().manual_seed(0))
    capacity = torch.full((k,), 3000 // k)  # every centre fills; 3 samples are left without one
    reads, labels = {}, {}
    for host_pairs in (0, _spherical.HOST_PAIRS):
        monkeypatch.setattr(_spherical, "HOST_PAIRS", host_pairs)
        syncs = HostSyncs()
        with monkeypatch.context() as patched:
            _count_reads(syncs, patched)
            with syncs:
                labels[host_pairs] = balanced_assign(similarity, capacity)
        reads[host_pairs] = syncs.count
    assert torch.equal(*labels.values())
    assert torch.equal(torch.bincount(labels[0][labels[0] >= 0], minlength=k), capacity)
    # rounds to the end read 41 times here; the host takes over once 151 samples are left
    assert reads[_spherical.HOST_PAIRS] <= reads[0] - 10, reads


def test_the_adaptive_temperatures_never_read_the_device(monkeypatch):
    """τ2 per class took a boolean mask of each class: one wait per class and re-clustering, 676
    for USPTO-50k's templates."""
    from sklearn_ltdd.classifier._ltdd_schedule import adaptive_tau2

    generator = torch.Generator().manual_seed(0)
    y = torch.cat([torch.arange(40), torch.randint(0, 40, (300,), generator=generator)])
    z = torch.randn(len(y), 8, generator=generator) * (1 + y[:, None] % 5)
    n_sub = (torch.arange(40) % 3) + 1
    syncs = HostSyncs()
    _count_reads(syncs, monkeypatch)
    with syncs:
        tau = adaptive_tau2(z, y, n_sub)
    assert syncs.count == 0, syncs.where
    assert torch.isfinite(tau).all() and len(torch.unique(tau[n_sub > 1])) > 10


def test_the_counter_sees_what_would_wait():
    syncs = HostSyncs()
    x, repeats = torch.randn(8), torch.tensor([1, 2, 1])
    with syncs:
        x[x > 0].sum()  # a boolean mask: nonzero
        bool(x.sum() > 0)  # a read
        torch.as_tensor(0.5) * x  # host data
        torch.repeat_interleave(torch.arange(3), repeats)
        x.tolist()
        # none of these
        torch.repeat_interleave(torch.arange(3), repeats, output_size=4)
        x.index_select(0, torch.arange(2))
        torch.where(x > 0, x, 0.0)
    assert syncs.count == 4, syncs.where


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA's own sync detector needs a GPU")
def test_on_cuda_no_training_step_synchronises(monkeypatch):
    """torch's sync debug mode flags every synchronising CUDA call; the steps of a CUDA fit, and
    the batch assembly between them, make none after the first."""
    import warnings

    spans: list[tuple[int, int]] = []
    caught: list[str] = []  # each warning with the package's lines that made it (its own names torch's)

    def record(message, category, filename, lineno, file=None, line=None):
        package = [f for f in traceback.extract_stack()[:-1] if "/sklearn_ltdd/" in f.filename]
        where = " <- ".join(f"{f.filename.split('/sklearn_ltdd/')[-1]}:{f.lineno}" for f in package[::-1][:4])
        caught.append(f"{message} (at {where or f'{filename}:{lineno}'})")

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = record  # put back when the block ends

        class Steps(Callback):  # a step: from the end of the one before (or of on_epoch_begin)
            def on_epoch_begin(self, net, **kwargs):
                self.mark = len(caught)

            def on_batch_end(self, net, training=False, **kwargs):
                if training:
                    spans.append((self.mark, len(caught)))
                    self.mark = len(caught)

        clf = LTDDClassifier(schedule=SCHEDULE, **RUN, device="cuda")
        build = clf._build_net

        def framed(*args):
            net = build(*args)
            net.callbacks = [*net.callbacks, ("steps", Steps())]
            return net

        monkeypatch.setattr(clf, "_build_net", framed)
        torch.cuda.set_sync_debug_mode("warn")
        try:
            clf.fit(X, Y)
        finally:
            torch.cuda.set_sync_debug_mode("default")
    steps = [[message for message in caught[start:end] if "ynchroniz" in message] for start, end in spans]
    flagged = [message for step in steps[1:] for message in step]
    assert not flagged, flagged[:5]
