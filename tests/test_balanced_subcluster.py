import pickle
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from sklearn import config_context
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score

from sklearn_ltdd import BalancedSubcluster
from sklearn_ltdd.cluster import _spherical, subclusters_per_class
from sklearn_ltdd.cluster._spherical import balanced_assign


def class_data(sizes, n_features=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(sum(sizes), n_features))
    y = np.repeat(np.arange(len(sizes)), sizes)
    return X, y


sizes_strategy = st.lists(st.integers(1, 60), min_size=1, max_size=4)


@given(sizes_strategy, st.integers(1, 15), st.sampled_from(["balanced", "kmeans"]), st.integers(0, 5))
def test_class_conditional_invariants(sizes, min_size, method, seed):
    X, y = class_data(sizes, seed=seed)
    sub = BalancedSubcluster(min_cluster_size=min_size, method=method, random_state=seed).fit(X, y)
    labels = sub.labels_
    assert labels.shape == (len(y),) and labels.min() >= 0
    assert labels.max() < len(sub.subcluster_class_)
    # sub-clusters never mix classes, and each sample's sub-cluster belongs to its class
    np.testing.assert_array_equal(sub.subcluster_class_[labels], y)
    # no sub-cluster is empty, and the counts and centres describe exactly the non-empty ones
    n_total = sub.n_subclusters_per_class_.sum()
    assert len(sub.subcluster_class_) == len(sub.cluster_centers_) == n_total
    assert np.bincount(labels, minlength=n_total).min() >= 1
    planned = subclusters_per_class(sizes, min_size)
    if method == "kmeans":  # k-means may leave a centre without members; it is dropped
        assert np.all(sub.n_subclusters_per_class_ <= planned)
    else:
        np.testing.assert_array_equal(sub.n_subclusters_per_class_, planned)
        for c, k in enumerate(sub.n_subclusters_per_class_):
            counts = np.bincount(labels[y == c] - np.flatnonzero(sub.subcluster_class_ == c)[0], minlength=k)
            assert counts.min() >= 1, "empty sub-cluster"
            assert counts.max() <= -(-sizes[c] // k), "sub-cluster over capacity"


@given(st.integers(2, 80), st.integers(1, 12), st.integers(0, 3))
def test_balanced_sizes_without_y(n, k, seed):
    X, _ = class_data([n], seed=seed)
    sub = BalancedSubcluster(n_clusters=k, random_state=seed).fit(X)
    k = min(k, n)
    counts = np.bincount(sub.labels_, minlength=k)
    assert len(counts) == k and counts.min() == n // k and counts.max() == -(-n // k)


@given(sizes_strategy, st.sampled_from(["balanced", "kmeans"]), st.integers(0, 5))
def test_same_seed_same_labels_and_row_order_invariance(sizes, method, seed):
    X, y = class_data(sizes, seed=seed)
    params = {"min_cluster_size": 5, "method": method, "random_state": seed}
    first = BalancedSubcluster(**params).fit(X, y).labels_
    np.testing.assert_array_equal(first, BalancedSubcluster(**params).fit(X, y).labels_)
    perm = np.random.default_rng(seed + 1).permutation(len(y))
    shuffled = BalancedSubcluster(**params).fit(X[perm], y[perm]).labels_
    assert adjusted_rand_score(first[perm], shuffled) == 1.0  # same partition, labels may differ


@given(st.integers(0, 20), st.sampled_from([torch.float16, torch.bfloat16]))
def test_half_precision_rows_in_any_order_give_one_partition(seed, dtype):
    """In half precision distinct rows' projections tied, and the canonical order kept such rows
    in their input order: the partition depended on it."""
    X = torch.tensor(np.random.default_rng(seed).normal(size=(300, 8)), dtype=dtype)
    perm = torch.from_numpy(np.random.default_rng(seed + 100).permutation(300))
    model = BalancedSubcluster(5, random_state=0)
    first, shuffled = model.fit_predict(X).numpy(), model.fit_predict(X[perm]).numpy()
    assert adjusted_rand_score(first[perm.numpy()], shuffled) == 1.0


def test_a_half_precision_tensor_clusters_as_its_array_does():
    """A float16 tensor was clustered in float16 (an array in float64): the same data got another
    partition (10 seeds of 20), and distances below 0."""
    for seed in (0, 13):
        X = np.random.default_rng(seed).normal(size=(300, 8)).astype(np.float16)
        from_array = BalancedSubcluster(4, random_state=0).fit(X)
        from_tensor = BalancedSubcluster(4, random_state=0).fit(torch.from_numpy(X))
        assert adjusted_rand_score(from_array.labels_, from_tensor.labels_.numpy()) == 1.0
        assert from_tensor.transform(from_tensor.cluster_centers_).min() >= 0


def test_a_refit_on_a_tensor_forgets_the_tables_column_names():
    X = np.random.default_rng(0).normal(size=(60, 4))
    model = BalancedSubcluster(2, random_state=0).fit(pd.DataFrame(X, columns=list("abcd")))
    model.fit(torch.from_numpy(X[:, :3]))
    assert model.n_features_in_ == 3 and not hasattr(model, "feature_names_in_")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "fitted with feature names"
        model.predict(X[:, :3])


def test_a_sparse_or_meta_tensor_is_refused_by_name():
    """torch's own errors named its kernels ("Could not run 'aten::ne.Scalar' ... 'SparseCPU'")."""
    X = torch.ones(6, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: "Sparse CSR tensor support is in beta state"
        csr = X.to_sparse_csr()
    for tensor, what in (
        (X.to_sparse(), "torch.sparse_coo"),
        (csr, "torch.sparse_csr"),
        (X.to("meta"), "meta tensor"),
    ):
        with pytest.raises(TypeError, match=f"X must be a dense tensor of numbers, not .*{what}"):
            BalancedSubcluster(2).fit(tensor)


def test_tensors_without_features_or_of_complex_numbers_are_refused():
    with pytest.raises(ValueError, match=r"at least one sample and one feature, got shape \(5, 0\)"):
        BalancedSubcluster(2).fit(torch.zeros(5, 0))
    with pytest.raises(ValueError, match=r"X must hold real numbers, not torch.complex64"):
        BalancedSubcluster(2).fit(torch.ones(5, 3, dtype=torch.complex64))


# rounds on the device only; the default (rounds, then the last few hundred pairs on the host);
# the host only; and on a GPU where there is one (its sorts and reductions)
@pytest.mark.parametrize(
    "host_pairs, device",
    [(0, "cpu"), (_spherical.HOST_PAIRS, "cpu"), (10**9, "cpu"), (_spherical.HOST_PAIRS, "cuda")],
    ids=["rounds", "default", "host", "cuda"],
)
def test_greedy_assignment_matches_sequential_reference(monkeypatch, host_pairs, device):
    if device == "cuda" and not torch.cuda.is_available():
        pytest.skip("needs a GPU")
    monkeypatch.setattr(_spherical, "HOST_PAIRS", host_pairs)
    rng = np.random.default_rng(1)
    for trial in range(60):
        n, k = rng.integers(5, 400), rng.integers(1, 20)
        sim = rng.normal(size=(n, k))
        # ties (the first sample, then the first centre, goes first), signed zeros, centres closed
        # from the start, half precision (more ties)
        sim = torch.from_numpy(np.round(sim) * np.sign(rng.normal(size=sim.shape)) if trial % 2 else sim)
        sim = sim.to((torch.float64, torch.float32, torch.float16, torch.bfloat16)[trial % 4])
        cap = torch.from_numpy(rng.integers(trial % 3 == 0, 10, size=k))
        cap = cap.to(
            (torch.int64, torch.int32, torch.float64, torch.uint8, torch.float16)[trial % 5]
        )  # any type
        if trial % 7 == 0:
            cap = cap.double() + 0.5  # a fractional capacity takes its ceiling
        if trial % 11 == 0:
            cap = cap > 4  # a centre that takes one sample or none
        # sequential: globally most similar (sample, open centre) pair first
        expected = -np.ones(n, dtype=int)
        left = cap.double().numpy().copy()
        for flat in np.argsort(-sim.double().numpy(), axis=None, kind="stable"):
            i, c = divmod(int(flat), int(k))
            if expected[i] < 0 and left[c] > 0:
                expected[i] = c
                left[c] -= 1
        cap, before = cap.to(device), cap.clone()
        labels = balanced_assign(sim.to(device), cap)
        np.testing.assert_array_equal(labels.cpu().numpy(), expected)
        assert torch.equal(cap.cpu(), before)  # the caller's capacities are left as they were


@pytest.mark.parametrize("host_pairs", [0, _spherical.HOST_PAIRS], ids=["rounds", "default"])
@pytest.mark.parametrize("dtype, size", [(torch.float16, 3000), (torch.bfloat16, 300)])
def test_a_large_half_precision_capacity_is_counted_exactly(monkeypatch, host_pairs, dtype, size):
    """In float16, 3,000 - 1 is 3,000: counted in the capacity's own type, centres overfilled."""
    monkeypatch.setattr(_spherical, "HOST_PAIRS", host_pairs)
    similarity = torch.randn(2 * size, 2, generator=torch.Generator().manual_seed(0)).to(dtype)
    labels = balanced_assign(similarity, torch.full((2,), size, dtype=dtype))
    assert torch.bincount(labels, minlength=2).tolist() == [size, size]


def test_dense_blob_with_outliers_balanced_versus_kmeans():
    rng = np.random.default_rng(0)
    blob = np.array([1.0, 0, 0, 0]) + 0.05 * rng.normal(size=(95, 4))
    # four outliers, each in its own direction far from the blob
    outliers = np.array([[0, 1.0, 0, 0], [0, -1.0, 0, 0], [0, 0, 1.0, 0], [0, 0, 0, 1.0], [-1.0, 0, 0, 0]])
    X = np.vstack([blob, outliers])
    kmeans = BalancedSubcluster(n_clusters=5, method="kmeans", random_state=0).fit(X)
    balanced = BalancedSubcluster(n_clusters=5, method="balanced", random_state=0).fit(X)
    assert np.bincount(kmeans.labels_).max() >= 90  # k-means: one giant cluster holds the blob
    assert np.bincount(balanced.labels_, minlength=5).tolist() == [20] * 5


def test_predict_transform_and_tensor_input():
    X, y = class_data([40, 12])
    sub = BalancedSubcluster(min_cluster_size=5, random_state=0).fit(X, y)
    distances = sub.transform(X)
    assert distances.shape == (52, len(sub.subcluster_class_))
    assert np.all((distances >= -1e-9) & (distances <= 2 + 1e-9))
    np.testing.assert_array_equal(sub.predict(X), distances.argmin(axis=1))
    tensor = BalancedSubcluster(min_cluster_size=5, random_state=0).fit(
        torch.from_numpy(X), torch.from_numpy(y)
    )
    assert isinstance(tensor.labels_, torch.Tensor) and isinstance(
        tensor.predict(torch.from_numpy(X)), torch.Tensor
    )
    np.testing.assert_array_equal(tensor.labels_.numpy(), sub.labels_)
    # tensors still in an autograd graph (embeddings straight from a network), labels too
    grad = BalancedSubcluster(min_cluster_size=5, random_state=0).fit(
        torch.from_numpy(X).requires_grad_(), torch.from_numpy(y).double().requires_grad_()
    )
    np.testing.assert_array_equal(grad.labels_.numpy(), sub.labels_)
    if torch.cuda.is_available():
        on_gpu = BalancedSubcluster(min_cluster_size=5, random_state=0).fit(torch.from_numpy(X).cuda(), y)
        assert on_gpu.labels_.is_cuda and on_gpu.cluster_centers_.is_cuda


def test_transform_is_the_cosine_distance_by_hand():
    """1 - cos, from 0 to 2 (a mutation clamping it at 1 kept every row's nearest centre, and
    passed the check of its range)."""
    sub = BalancedSubcluster(n_clusters=2, random_state=0).fit([[1.0, 0], [2, 0], [-1, 0], [-3, 0]])
    order = np.argsort(sub.cluster_centers_[:, 0])[::-1]  # the centre along +x first
    np.testing.assert_allclose(sub.cluster_centers_[order], [[1, 0], [-1, 0]], atol=1e-12)
    distances = sub.transform([[1.0, 0], [-5, 0], [0, 2], [1, 1]])[:, order]
    half = 1 - np.sqrt(0.5)
    np.testing.assert_allclose(distances, [[0, 2], [2, 0], [1, 1], [half, 2 - half]], atol=1e-12)


def test_seeding_draws_the_next_centre_by_squared_distance():
    """k-means++ (Arthur & Vassilvitskii): after a first centre on e1, of the others e2 (cosine
    distance 1) and -e1 (distance 2) the second is -e1 with probability 4 / (1 + 4) = 0.8; drawn
    by the distance itself it would be 2/3 (a mutation to that passed every clustering test)."""
    X = torch.tensor([[1.0, 0], [0, 1], [-1, 0]], dtype=torch.float64)
    seconds = [
        int(picks[1])
        for seed in range(3000)
        if int((picks := _spherical.seed_centres(X, 2, np.random.RandomState(seed)))[0]) == 0
    ]
    share = np.mean(np.array(seconds) == 2)
    assert len(seconds) > 900 and abs(share - 0.8) < 0.04, (len(seconds), share)  # 2/3 is 0.13 away


def test_edge_cases():
    X, y = class_data([3, 30])
    sub = BalancedSubcluster(random_state=0).fit(X, y)  # U = 10: the 3-sample class keeps one cluster
    assert sub.n_subclusters_per_class_.tolist() == [1, 3]
    assert BalancedSubcluster(n_clusters=50, random_state=0).fit(X).labels_.max() == 32  # k clipped to n
    duplicates = np.ones((12, 3))
    assert (
        np.bincount(BalancedSubcluster(n_clusters=3, random_state=0).fit(duplicates).labels_).tolist()
        == [4] * 3
    )
    single = BalancedSubcluster(random_state=0).fit(X, np.zeros(33))
    assert single.n_subclusters_per_class_.tolist() == [1] and set(single.labels_) == {0}
    assert (
        BalancedSubcluster(random_state=0).fit(X, np.array(["a"] * 3 + ["b"] * 30)).subcluster_class_[0]
        == "a"
    )


@pytest.mark.parametrize(
    ("dtype", "scale"),
    [
        (np.float64, 1e155),
        (np.float64, 1e-162),
        (np.float64, 1e-200),
        (np.float32, 1e20),
        (np.float32, 1e-22),
        (np.float32, 1e-25),
    ],
)
def test_clusters_do_not_depend_on_the_scale_of_x(dtype, scale):
    # sums of squares that overflow or underflow must not leave rows without a direction
    X, y = class_data([20, 20], n_features=3, seed=1)
    X[:20, 0] += 5
    X[20:, 1] += 5
    expected = BalancedSubcluster(2, random_state=0).fit(X.astype(dtype))
    scaled = BalancedSubcluster(2, random_state=0).fit(X.astype(dtype) * dtype(scale))
    np.testing.assert_array_equal(scaled.labels_, expected.labels_)
    np.testing.assert_allclose(scaled.cluster_centers_, expected.cluster_centers_, rtol=1e-5, atol=1e-6)
    by_class = BalancedSubcluster(random_state=0).fit(X.astype(dtype) * dtype(scale), y)
    np.testing.assert_array_equal(by_class.labels_, BalancedSubcluster(random_state=0).fit(X, y).labels_)


@pytest.mark.parametrize(
    ("counts", "min_size", "message"),
    [
        ([0, 5], 2, r"integers >= 1 \(one per class\), got \[0\] at positions \[0\]"),
        ([30, 2.7], 2, r"got \[2.7\] at positions \[1\]"),
        ([30, np.nan], 2, r"got \[nan\] at positions \[1\]"),
        ([1e20, 5.0], 2, r"got \[1e\+20\] at positions \[0\]"),  # wrapped to a negative int64
        (["a"], 2, "counts of samples, got values of dtype <U1"),
        ([], 2, r"non-empty 1-D sequence, got shape \(0,\)"),
        ([[3, 4]], 2, r"got shape \(1, 2\)"),
        ([3, 4], 0, "min_cluster_size must be a positive integer, got 0"),
        ([3, 4], 2.5, "min_cluster_size must be a positive integer, got 2.5"),
        ([3, 4], True, "min_cluster_size must be a positive integer, got True"),
        ([True, 3], 2, r"counts of samples, not booleans, got \[True, 3\]"),  # was a count of 1
    ],
)
def test_subclusters_per_class_names_what_it_cannot_plan(counts, min_size, message):
    """It planned one sub-cluster for a class of 0 molecules, and divided by a min_cluster_size of 0."""
    with pytest.raises(ValueError, match=message):
        subclusters_per_class(counts, min_size)


@pytest.mark.parametrize("min_size", [2**62, 2**63, 2**200])
def test_a_min_cluster_size_above_every_class_gives_one_subcluster_each(min_size):
    """Beyond int64 (the counts' type) it was refused, though only when the first re-clustering came,
    epochs into an LTDD fit whose parameter check had let it pass."""
    assert subclusters_per_class([1000, 95, 30], min_size).tolist() == [1, 1, 1]
    X, y = class_data([20, 20, 20])
    labels = BalancedSubcluster(min_cluster_size=min_size, random_state=0).fit(X, y).labels_
    assert len(np.unique(labels)) == 3


def test_subclusters_per_class_takes_counts_of_any_numeric_kind():
    expected = subclusters_per_class([1000, 95, 30], 10).tolist()
    for counts in (
        np.array([1000, 95, 30], dtype=object),
        [1000.0, 95.0, 30.0],
        np.array([1000, 95, 30], np.uint16),
    ):
        assert subclusters_per_class(counts, 10).tolist() == expected


def test_errors():
    X, _ = class_data([5, 5])
    X[[2, 7]] = 0
    with pytest.raises(ValueError, match=r"2 row\(s\) of X have zero norm .*rows \[2, 7\]"):
        BalancedSubcluster(n_clusters=2).fit(X)
    with pytest.raises(ValueError, match="n_clusters is required"):
        BalancedSubcluster().fit(class_data([5])[0])
    with pytest.raises(ValueError, match="X has 10 rows but y has 3"):
        BalancedSubcluster().fit(class_data([5, 5])[0], [0, 1, 0])
    with pytest.raises(ValueError, match="NaN"):
        BalancedSubcluster(n_clusters=2).fit(np.full((3, 2), np.nan))
    # the row is named, for an array as for a tensor (sklearn's message named another estimator)
    X[4, 1] = np.inf
    for data in (X, torch.as_tensor(X)):
        with pytest.raises(ValueError, match=r"^X contains NaN or infinity \(row 4, the first such\)\.$"):
            BalancedSubcluster(n_clusters=2).fit(data)
    table = pd.DataFrame(X, index=np.arange(10, 20))  # named by its label, as the package names rows
    with pytest.raises(
        ValueError, match=r"^X contains NaN or infinity \(index label 14, the first such\)\.$"
    ):
        BalancedSubcluster(n_clusters=2).fit(table)
    with pytest.raises(ValueError, match="Unknown label type: continuous"):  # not one class per value
        BalancedSubcluster().fit(*class_data([5, 5])[:1], np.linspace(0, 1, 10))
    with pytest.raises(ValueError, match="method"):
        BalancedSubcluster(n_clusters=2, method="greedy").fit(class_data([5])[0])
    fitted = BalancedSubcluster(n_clusters=2).fit(class_data([5])[0])
    with pytest.raises(ValueError, match="X has 3 features, but BalancedSubcluster is expecting 6 features"):
        fitted.predict(np.ones((2, 3)))


def test_sklearn_api():
    from sklearn.exceptions import NotFittedError

    X, _ = class_data([30, 10])
    sub = BalancedSubcluster(n_clusters=3, random_state=0)
    assert clone(sub).get_params() == sub.get_params()
    with pytest.raises(NotFittedError):
        sub.predict(X)
    labels = sub.fit_predict(X)
    np.testing.assert_array_equal(labels, pickle.loads(pickle.dumps(sub)).labels_)
    # one output per centre, named as sklearn's clusterers name theirs
    names = sub.get_feature_names_out()
    assert names.tolist() == [f"balancedsubcluster{i}" for i in range(len(sub.cluster_centers_))]
    assert len(names) == sub.transform(X).shape[1]
    # tensors in, tensors out, whatever sklearn's output setting (pandas cannot hold a CUDA tensor)
    with config_context(transform_output="pandas"):
        assert isinstance(sub.transform(torch.as_tensor(X)), torch.Tensor)


def test_kmeans_drops_the_centres_it_leaves_empty():
    # 40 identical points: k-means++ seeds four coinciding centres and all points join the first
    X = np.vstack([np.tile([1.0, 0.0, 0.0], (40, 1)), np.random.default_rng(0).normal(size=(10, 3))])
    y = np.repeat([0, 1], [40, 10])
    sub = BalancedSubcluster(min_cluster_size=10, method="kmeans", random_state=0).fit(X, y)
    assert sub.n_subclusters_per_class_.tolist() == [1, 1]
    assert np.bincount(sub.labels_).tolist() == [40, 10]
    np.testing.assert_allclose(sub.cluster_centers_[0], [1.0, 0.0, 0.0], atol=1e-6)
    # the balanced method splits the same class into four full sub-clusters
    balanced = BalancedSubcluster(min_cluster_size=10, random_state=0).fit(X, y)
    assert np.bincount(balanced.labels_).tolist() == [10, 10, 10, 10, 10]


def test_fit_predict_clusters_within_the_classes_of_y():
    X, y = class_data([40, 20])
    labels = np.array(["a", "b"])[y]
    sub = BalancedSubcluster(random_state=0, min_cluster_size=5)
    predicted = sub.fit_predict(X, labels)  # sklearn's ClusterMixin.fit_predict would drop y
    np.testing.assert_array_equal(predicted, clone(sub).fit(X, labels).labels_)
    assert sub.classes_.tolist() == ["a", "b"]
    np.testing.assert_array_equal(sub.subcluster_class_[predicted], labels)  # no sub-cluster mixes classes
    np.testing.assert_array_equal(
        BalancedSubcluster(n_clusters=3, random_state=0).fit_predict(X),
        BalancedSubcluster(n_clusters=3, random_state=0).fit(X).labels_,
    )


def test_missing_labels_are_named():
    X, y = class_data([5, 5])
    labels = np.array(["a", "b"], dtype=object)[y]
    labels[[3, 8]] = None, np.nan
    with pytest.raises(ValueError, match=r"y has 2 missing labels .* rows \[3, 8\]"):
        BalancedSubcluster(random_state=0).fit(X, labels)
    with pytest.raises(ValueError, match=r"y has 1 missing labels .* rows \[8\]"):
        BalancedSubcluster(random_state=0).fit(X, ["a"] * 8 + [np.nan, "b"])  # not the label 'nan'


def test_balanced_centres_are_their_members_mean_direction():
    # Algorithm 1 ends with each centre at its members' mean on the unit sphere: a fixed point
    X = np.random.default_rng(0).normal(size=(60, 5))
    y = np.repeat([0, 1], [45, 15])
    model = BalancedSubcluster(min_cluster_size=5, random_state=0).fit(X, y)
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    for j, centre in enumerate(model.cluster_centers_):
        mean = unit[model.labels_ == j].mean(axis=0)
        np.testing.assert_allclose(centre, mean / np.linalg.norm(mean), atol=1e-10)


def test_subclusters_per_class_by_hand():
    # U = max(smallest class, δ); k_c = floor(n_c / U), at least 1
    np.testing.assert_array_equal(subclusters_per_class([1000, 95, 30], min_cluster_size=10), [33, 3, 1])
    np.testing.assert_array_equal(subclusters_per_class([25, 10], min_cluster_size=10), [2, 1])


def test_many_classes_of_one_or_two_are_classes_not_a_regression_target():
    """LTDD re-clusters the training rows each update: with hundreds of classes of a molecule or
    two, sklearn's hint that y "could represent a regression problem" came at every update."""
    X = np.random.default_rng(0).normal(size=(60, 4))
    y = np.repeat(np.arange(40), [2] * 20 + [1] * 20)
    clusterer = BalancedSubcluster(min_cluster_size=2).fit(X, y)  # the suite turns warnings into errors
    assert clusterer.n_subclusters_per_class_.tolist() == [1] * 40
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        BalancedSubcluster().fit(X, np.linspace(0, 1, len(X)))


def test_n_clusters_caps_the_subclusters_of_each_class():
    X, y = class_data([100, 40, 12])  # U = 12: 8, 3 and 1 sub-clusters
    assert BalancedSubcluster(random_state=0).fit(X, y).n_subclusters_per_class_.tolist() == [8, 3, 1]
    capped = BalancedSubcluster(n_clusters=2, random_state=0).fit(X, y)
    assert capped.n_subclusters_per_class_.tolist() == [2, 2, 1]
    assert np.bincount(capped.labels_).tolist() == [50, 50, 20, 20, 12]


@pytest.mark.parametrize("seed", range(4))
def test_kmeans_labels_are_the_nearest_of_the_centres_it_returns(seed):
    """Labels of the centres before their last update would disagree with predict (few iterations)."""
    X, _ = class_data([60])
    sub = BalancedSubcluster(n_clusters=4, method="kmeans", max_iter=3, random_state=seed).fit(X)
    np.testing.assert_array_equal(sub.predict(X), sub.labels_)


def test_clustering_stops_when_it_settles_and_counts_its_iterations():
    X, y = class_data([60, 30])  # U = 30: 2 sub-clusters and 1
    loose = BalancedSubcluster(method="kmeans", tol=10.0, random_state=0).fit(X, y)
    assert loose.n_iter_per_class_.tolist() == [1, 1]  # no centre on the sphere moves more than 2
    tight = BalancedSubcluster(method="kmeans", tol=0.0, random_state=0).fit(X, y)
    # one centre moves to the mean, then stays: 2 rounds; two centres take more
    assert tight.n_iter_per_class_[1] == 2 < tight.n_iter_per_class_[0]
    assert tight.n_iter_ == tight.n_iter_per_class_[0]
    balanced = BalancedSubcluster(random_state=0).fit(X, y)
    assert balanced.n_iter_ < balanced.max_iter  # stopped once the assignment no longer changed
    assert balanced.n_iter_ == balanced.n_iter_per_class_.max()


def test_the_clusterer_imports_no_torch_geometric():
    # the clusterer on its own (embeddings of another model) paid PyG's import: 2-4 s of a first use
    imported = (
        "from sklearn_ltdd import BalancedSubcluster; import sys; print('torch_geometric' in sys.modules)"
    )
    assert (
        subprocess.run([sys.executable, "-c", imported], check=True, capture_output=True, text=True).stdout
        == "False\n"
    )


class _NoFloat64(torch.overrides.TorchFunctionMode):
    """Apple's GPU (MPS) refuses a float64 tensor: so does this mode, for any made from other dtypes."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        result = func(*args, **(kwargs or {}))
        inputs = [a for a in torch.utils._pytree.tree_leaves((args, kwargs)) if isinstance(a, torch.Tensor)]
        if (
            isinstance(result, torch.Tensor)
            and result.dtype == torch.float64
            and not any(a.dtype == torch.float64 for a in inputs)
        ):
            raise TypeError(f"Cannot convert a MPS Tensor to float64 dtype ({func.__name__})")
        return result


@pytest.mark.parametrize("method", ["balanced", "kmeans"])
def test_a_device_without_float64_clusters_in_float32(monkeypatch, method):
    # the k-means++ seeding and the greedy's last pairs made float64 tensors on X's device: on an
    # Apple GPU every fit of a class of two sub-clusters or more failed
    from sklearn_ltdd import _torch_device

    X, y = class_data([40, 12, 7])
    monkeypatch.setattr(_torch_device, "NO_FLOAT64", ("mps", "cpu"))
    X = torch.as_tensor(X, dtype=torch.float32)
    with _NoFloat64():
        labels = BalancedSubcluster(min_cluster_size=5, method=method, random_state=0).fit_predict(X, y)
    expected = subclusters_per_class([40, 12, 7], 5)
    assert len(np.unique(labels.numpy())) == expected.sum() > 3  # every class cut up as it would be
