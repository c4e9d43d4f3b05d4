import copy
import math
from unittest.mock import patch

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from sklearn_ltdd import SmilesGraphizer
from sklearn_ltdd.classifier._phases import Phase, Phases
from sklearn_ltdd.nn import (
    GCNEncoder,
    LTDDLoss,
    LTDDModule,
    _weights,
    drop_edges,
    edge_drop_probabilities,
    edge_drop_views,
    separability_weights,
    stack_views,
    subcluster_contrastive_loss,
    supcon_loss,
    view_partner,
)
from sklearn_ltdd.nn._gcn import NormalizedAdjacency
from sklearn_ltdd.nn._weights import DISTANCE_FLOOR
from sklearn_ltdd.nn.losses._criteria import CrossEntropyLoss


def loop_term(z, i, positives, denominator, tau):
    """-(1/|P|) Σ_p log(exp(s_ip/τ) / Σ_a exp(s_ia/τ)) for one anchor, by plain loops."""
    if not positives:
        return None
    s = lambda j: float(z[i] @ z[j]) / tau  # noqa: E731
    log_norm = math.log(sum(math.exp(s(a)) for a in denominator))
    return -sum(s(p) - log_norm for p in positives) / len(positives)


def mean_defined(values):
    values = [v for v in values if v is not None]
    return sum(values) / len(values)


def random_views(seed, batch, n_classes, dim=5):
    g = torch.Generator().manual_seed(seed)
    z = torch.nn.functional.normalize(torch.randn(2 * batch, dim, generator=g, dtype=torch.float64), dim=1)
    y = torch.randint(n_classes, (batch,), generator=g).repeat(2)
    return z, y, g


@given(st.integers(0, 1000), st.integers(1, 6), st.integers(1, 3))
def test_supcon_matches_loop(seed, batch, n_classes):
    z, y, _ = random_views(seed, batch, n_classes)
    n = len(z)
    expected = mean_defined(
        loop_term(
            z, i, [j for j in range(n) if j != i and y[j] == y[i]], [j for j in range(n) if j != i], 0.1
        )
        for i in range(n)
    )
    assert float(supcon_loss(z, y, 0.1)) == pytest.approx(expected, rel=1e-9)


def test_supcon_anchors_without_positives_contribute_nothing():
    z = torch.nn.functional.normalize(torch.randn(3, 4, dtype=torch.float64), dim=1)
    y = torch.tensor([0, 1, 2])  # nobody has a positive
    loss = supcon_loss(z.requires_grad_(), y)
    assert loss.item() == 0.0 and loss.requires_grad
    y = torch.tensor([0, 0, 2])  # only anchors 0 and 1 count
    expected = mean_defined(
        [loop_term(z.detach(), i, [1 - i], [j for j in range(3) if j != i], 0.1) for i in (0, 1)]
    )
    assert supcon_loss(z, y).item() == pytest.approx(expected)


@given(st.integers(0, 1000), st.integers(1, 6), st.integers(1, 3), st.booleans())
def test_subcluster_loss_matches_loop(seed, batch, n_classes, per_class_tau):
    z, y, g = random_views(seed, batch, n_classes)
    n = len(z)
    # two sub-clusters per class, consistent across the two views of a sample
    sub = (y * 2 + torch.randint(2, (batch,), generator=g).repeat(2)).long()
    tau_class = torch.tensor([0.1, 0.2, 0.15], dtype=torch.float64)
    tau2 = tau_class[y] if per_class_tau else 0.1
    partner = view_partner(n).tolist()
    a_terms, b_terms = [], []
    for i in range(n):
        others = [j for j in range(n) if j != i]
        a_terms.append(loop_term(z, i, [j for j in others if sub[j] == sub[i]], others, 0.1))
        pos_b = sorted({partner[i]} | {j for j in range(n) if y[j] == y[i] and sub[j] != sub[i]})
        den_b = sorted({partner[i]} | {j for j in others if sub[j] != sub[i]})
        t = float(tau_class[y[i]]) if per_class_tau else 0.1
        b_terms.append(loop_term(z, i, pos_b, den_b, t))
    expected = 1.4 * mean_defined(a_terms) + 0.25 * mean_defined(b_terms)
    got = subcluster_contrastive_loss(z, y, sub, tau1=0.1, tau2=tau2, beta=0.25, term_a_scale=1.4)
    assert float(got) == pytest.approx(expected, rel=1e-9)
    # numbered within each class (Γ_y's 0, 1 in every class), the same sub-clusters: other classes'
    # samples were term A's positives
    within = subcluster_contrastive_loss(z, y, sub - y * 2, tau1=0.1, tau2=tau2, beta=0.25, term_a_scale=1.4)
    assert float(within) == pytest.approx(expected, rel=1e-9)


def test_view_partner():
    assert view_partner(6).tolist() == [3, 4, 5, 0, 1, 2]


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("tau", [1e-2, 1e-4, 1e-6])
def test_half_precision_embeddings_give_the_float32_loss_of_their_values(dtype, tau):
    """float16 embeddings gave inf below τ ≈ 1e-4 and NaN below 1.5e-5 (1/τ past 65,504)."""
    z = torch.nn.functional.normalize(torch.randn(8, 4, generator=torch.Generator().manual_seed(0)), dim=1)
    y, sub = torch.tensor([0, 1, 0, 1] * 2), torch.tensor([0, 1, 2, 1] * 2)
    half = z.to(dtype)
    per_anchor = torch.full((8,), tau, dtype=dtype)
    for loss in (lambda e: supcon_loss(e, y, tau),
                 lambda e: subcluster_contrastive_loss(e, y, sub, tau1=tau, tau2=per_anchor)):  # fmt: skip
        got, expected = loss(half), loss(half.float())
        assert torch.isfinite(got) and got.dtype == torch.float32, (dtype, tau)
        torch.testing.assert_close(got, expected, rtol=1e-2, atol=0.0)


def test_the_low_level_losses_refuse_what_they_would_pair_or_broadcast_wrongly():
    """Each was silently wrong: 5 rows paired row i with (i + 2) % 5, a column of labels made a
    vector of losses, B rows (one view) paired each molecule with another one as its 'view'."""
    z = torch.nn.functional.normalize(torch.randn(6, 4), dim=1)
    y = torch.tensor([0, 1, 0, 1, 0, 1])
    with pytest.raises(ValueError, match="two stacked views of one batch, an even number; got 5"):
        subcluster_contrastive_loss(z[:5], y[:5], y[:5])
    with pytest.raises(ValueError, match=r"y must hold one label per row of z, shape \(6,\); got \(6, 1\)"):
        supcon_loss(z, y[:, None])
    with pytest.raises(ValueError, match=r"sub must hold one label per row of z"):
        subcluster_contrastive_loss(z, y, y[:3])
    with pytest.raises(ValueError, match=r"z must be a 2-D tensor of embeddings \(n, d\), got shape \(6,\)"):
        supcon_loss(z[:, 0], y)  # was a number: each entry an "embedding"
    with pytest.raises(TypeError, match="y must be a tensor of labels on z's device, got a list"):
        supcon_loss(z, y.tolist())
    # a NumPy array of the right shape was "must be a 2-D tensor ... got shape (6, 3)"; the weights'
    # arguments failed on a missing attribute
    with pytest.raises(TypeError, match=r"z must be a torch tensor of embeddings, got a ndarray"):
        supcon_loss(z.numpy(), y)
    for name in ("z", "y", "sub", "sub_class"):
        args = {"z": z, "y": y, "sub": y, "sub_class": torch.arange(int(y.max()) + 1)}
        args[name] = args[name].tolist()
        with pytest.raises(TypeError, match=rf"^{name} must be a torch tensor, got a list"):
            separability_weights(**args, n_classes=int(y.max()) + 1)
    with pytest.raises(
        ValueError, match=r"tau2 must be one temperature, or one per anchor \(6,\), got shape \(2,\)"
    ):
        subcluster_contrastive_loss(z, y, y, tau2=torch.tensor([0.1, 0.2]))  # one per class
    # inf loss and NaN gradients, an inverted loss, NaN, NaN; a constant loss; 1 by accident
    for bad in (0.0, -0.1, float("nan"), 1e-40, float("inf"), True):
        with pytest.raises(ValueError, match="tau must be a finite positive temperature"):
            supcon_loss(z, y, tau=bad)
        with pytest.raises(ValueError, match="tau2 must be a finite positive temperature"):
            subcluster_contrastive_loss(z, y, y, tau2=bad)
    for name in ("beta", "term_a_scale"):  # a loss turned around, NaN, NaN; torch's "integer tensors"
        for bad in (-1.0, float("nan"), float("inf"), 1e39, "x"):  # (1e39: float32's inf)
            with pytest.raises(ValueError, match=rf"{name} must be a finite weight of 0 or more, got"):
                subcluster_contrastive_loss(z, y, y, **{name: bad})
        assert torch.isfinite(subcluster_contrastive_loss(z, y, y, **{name: torch.tensor(0.25)}))  # not read
        with pytest.raises(ValueError, match=rf"{name} must be one weight, got a tensor of shape \(2,\)"):
            subcluster_contrastive_loss(z, y, y, **{name: torch.tensor([1.0, 2.0])})  # a loss per weight
    nan = z.clone()
    nan[4, 1] = float("nan")
    with pytest.raises(ValueError, match=r"z holds NaN or infinity in 1 row\(s\), the first row 4"):
        separability_weights(nan, y, y, torch.arange(int(y.max()) + 1), int(y.max()) + 1)  # all NaN
    for bad in ("8", 8.0, -2, True):  # Python's "not all arguments converted", torch's roll() and arange()
        with pytest.raises(ValueError, match=r"n_anchors must be a whole number of rows, 0 or more, got"):
            view_partner(bad)
    for bad in (torch.tensor(0.0), torch.full((6,), 0.1)):  # one temperature, a number (only tau2 varies)
        with pytest.raises(ValueError, match="tau1 must be a number, not a tensor; only tau2 may be"):
            subcluster_contrastive_loss(z, y, y, tau1=bad)  # (0: a NaN loss; (6,): torch's TypeError)
    phases = Phases([Phase("warmup", epochs=1, trains_head=False), Phase("ltdd")]).enter("ltdd")
    criterion = LTDDLoss(torch.tensor([3.0, 3.0]), phases=phases)
    targets = {"y": y, "index": torch.arange(6), "weight": torch.ones(6)}
    with pytest.raises(ValueError, match="no sub-clusters \\(set_state was never called, or"):
        criterion((torch.cat([z, z]),), targets, lambda h: h[:, :2])
    criterion.set_state(y, torch.ones(2), torch.ones(2))
    with pytest.raises(
        ValueError, match=r"two stacked views of the batch's 6 samples \(2B = 12 rows\), got 6"
    ):
        criterion((z,), targets, lambda h: h[:, :2])
    with pytest.raises(ValueError, match=r"formula must be 'paper' or 'code', got 'Paper'"):
        separability_weights(z, y, y, torch.tensor([0, 1]), 2, formula="Paper")
    with pytest.raises(ValueError, match=r"weighting must be one of .*got 'Both'"):
        separability_weights(z, y, y, torch.tensor([0, 1]), 2, weighting="Both")
    with pytest.raises(
        ValueError, match=r"y and sub of shape \(n_samples,\); got \(6, \d+\), \(5,\) and \(6,\)"
    ):
        separability_weights(z, y[:5], y, torch.tensor([0, 1]), 2)  # (torch: "The expanded size ...")
    with pytest.raises(ValueError, match=r"encoder must be one of \['gcn', 'gine'\], got 'GCN'"):
        LTDDModule(74, 2, encoder="GCN")


def test_a_float64_model_embeds_in_float64_in_training_and_in_eval():
    """Without edge weights (eval: no dropped edges) the adjacency was float32: eval failed."""
    batch = SmilesGraphizer(fingerprint=None).fit_transform(["CCO", "c1ccccc1"]).batch()
    torch.manual_seed(0)
    model = LTDDModule(74, 2, hidden=8, edge_drop=(0.15, 0.1))
    expected = model.eval()(batch)[0]
    batch.x = batch.x.double()
    embedded = model.double()(batch)[0]
    assert embedded.dtype == torch.float64
    torch.testing.assert_close(embedded.float(), expected, rtol=1e-5, atol=1e-6)
    assert model.train()(batch)[0].dtype == torch.float64  # (dropped edges: weights of their own)


def test_a_module_refuses_options_it_cannot_build():
    """wide=True without fingerprint bits built no wide expert, without a word; edge_drop=() failed at
    the first training forward with an IndexError."""
    with pytest.raises(ValueError, match="wide=True adds a wide expert on the fingerprint, which needs"):
        LTDDModule(74, 3, wide=True)
    assert LTDDModule(74, 3, fingerprint_bits=16, wide=True).wide is not None
    with pytest.raises(ValueError, match=r"edge_drop must give one drop probability in \[0, 1\] per view"):
        LTDDModule(74, 3, edge_drop=())
    for name in ("in_features", "n_classes", "hidden", "n_layers"):  # hidden=0 built a network of nothing
        arguments = {"in_features": 74, "n_classes": 3, name: 0}
        with pytest.raises(ValueError, match=f"{name} must be a positive integer, got 0"):
            LTDDModule(**arguments)


@pytest.mark.parametrize("encoder", ["gcn", "gine"])
def test_an_encoder_names_features_it_cannot_read(encoder):
    """A GraphStore's own int8 x met torch's "result type Float can't be cast to Char", and features
    of another width "mat1 and mat2 shapes cannot be multiplied"."""
    from torch_geometric.data import Batch

    graphs = SmilesGraphizer(bond_features=True).fit_transform(["CCO", "c1ccccc1"])
    batch = graphs.batch()
    model = LTDDModule(74, 3, hidden=8, encoder=encoder).eval()
    assert model(batch)[0].shape == (2, 3)
    raw = Batch(x=graphs.x, edge_index=batch.edge_index, edge_attr=batch.edge_attr, batch=batch.batch)
    with pytest.raises(TypeError, match=r"the node features are torch.int8, .* a GraphStore's batch\(\)"):
        model(raw)
    with pytest.raises(ValueError, match=r"the node features have shape \(9, 74\), but the encoder reads 70"):
        LTDDModule(70, 3, hidden=8, encoder=encoder).eval()(batch)
    if encoder == "gine":
        with pytest.raises(
            ValueError, match=r"the edge features have shape \(16, 12\), but the encoder reads 10"
        ):
            LTDDModule(74, 3, hidden=8, encoder=encoder, edge_features=10).eval()(batch)


def test_the_gcn_encoder_refuses_edge_weights_it_would_not_differentiate():
    """Learned edge weights got no gradient (None), silently: the sparse product is for fixed ones."""
    batch = SmilesGraphizer(fingerprint=None).fit_transform(["CCO", "c1ccccc1"]).batch()
    encoder = GCNEncoder(74, 8, 2)
    batch.edge_weight = torch.full((batch.edge_index.shape[1],), 0.7, requires_grad=True)
    with pytest.raises(ValueError, match="does not differentiate its edge weights"):
        encoder(batch)
    with torch.no_grad():  # inference with such weights is fine
        encoder(batch)
    batch.edge_weight = batch.edge_weight.detach()
    encoder(batch).sum().backward()


# Four class centroids on a line at 0, 1, 3, 7 (one sub-cluster per class, centroid = the point).
LINE = torch.tensor([[0.0], [1.0], [3.0], [7.0]], dtype=torch.float64)


def weights(weighting, formula, z=LINE, y=None, sub=None, sub_class=None, n_classes=4):
    y = torch.arange(len(z)) if y is None else y
    sub = y if sub is None else sub
    sub_class = torch.arange(n_classes) if sub_class is None else sub_class
    return separability_weights(z, y, sub, sub_class, n_classes, weighting=weighting, formula=formula)


def test_paper_weights_by_hand():
    d_min = np.array([1.0, 1.0, 2.0, 4.0])  # nearest other centroid
    inverse = (1 / d_min) / (1 / d_min).sum()
    class_w, sub_w = weights("class_distance", "paper")
    np.testing.assert_allclose(class_w, inverse)
    np.testing.assert_allclose(weights("both", "paper")[0], 2 * inverse)  # d_sub = d_min here
    np.testing.assert_allclose(sub_w, 1.0)


def test_code_weights_by_hand():
    d_min = np.array([1.0, 1.0, 2.0, 4.0])
    softmax = np.exp(-d_min) / np.exp(-d_min).sum()
    np.testing.assert_allclose(weights("both", "code")[0], softmax)
    np.testing.assert_allclose(weights("class_distance", "code")[0], softmax)


def test_subcluster_distance_uses_closest_subclusters():
    # class 0 has sub-clusters at 0 and 5; class 1 one at 6: d_min uses centroids 2.5 vs 6
    z = torch.tensor([[0.0], [5.0], [6.0]], dtype=torch.float64)
    y, sub, sub_class = torch.tensor([0, 0, 1]), torch.tensor([0, 1, 2]), torch.tensor([0, 0, 1])
    class_w, _ = separability_weights(z, y, sub, sub_class, 2, weighting="subcluster_distance")
    np.testing.assert_allclose(class_w, [0.5, 0.5])  # both classes at distance 1 from each other
    _, sub_w = separability_weights(z, y, sub, sub_class, 2, weighting="subcluster")
    inverse = 1 / np.array([6.0, 1.0, 1.0])
    np.testing.assert_allclose(sub_w, inverse / inverse.mean())


@pytest.mark.parametrize("formula", ["paper", "code"])
def test_two_classes_give_uniform_class_weights(formula):
    rng = torch.Generator().manual_seed(0)
    z = torch.randn(20, 3, generator=rng, dtype=torch.float64)
    y = torch.tensor([0] * 14 + [1] * 6)
    sub = torch.tensor([0] * 7 + [1] * 7 + [2] * 6)
    class_w, _ = separability_weights(z, y, sub, torch.tensor([0, 0, 1]), 2, formula=formula)
    assert class_w[0] == pytest.approx(class_w[1])


@pytest.mark.parametrize("formula", ["paper", "code"])
def test_a_class_without_samples_weighs_nothing_and_moves_no_other_weight(formula):
    """Its zero centroid was taken for a class at the origin: the distance of the others to it."""
    rng = torch.Generator().manual_seed(0)
    z = torch.nn.functional.normalize(torch.randn(20, 3, generator=rng, dtype=torch.float64), dim=1)
    y = torch.tensor([0] * 14 + [1] * 6)
    sub, sub_class = torch.tensor([0] * 7 + [1] * 7 + [2] * 6), torch.tensor([0, 0, 1])
    both, _ = separability_weights(z, y, sub, sub_class, 2, formula=formula)
    # the same samples, with an empty class 1 between them
    with_empty, _ = separability_weights(z, y * 2, sub, sub_class * 2, 3, formula=formula)
    np.testing.assert_allclose(with_empty, [both[0], 0.0, both[1]])


def test_coincident_centroids_do_not_divide_by_zero():
    z = torch.tensor([[1.0], [1.0], [2.0]], dtype=torch.float64)
    class_w, _ = weights("both", "paper", z=z, n_classes=3)
    assert torch.isfinite(class_w).all() and class_w[0] > class_w[2]


def test_coincident_classes_are_floored_at_a_tenth_of_the_typical_distance():
    """Two singleton classes of one molecule beside two real classes: the twins took all the weight
    ([1.0, 1.0, 3.8e-08, 2.4e-08] in a fit), also once a floor at a fraction of the median nearest
    distance came in, which is 0 where half the classes are twins."""
    z = torch.tensor([[0.0, 0.0], [0.0, 0.0], [4.0, 0.0], [0.0, 4.0]], dtype=torch.float64)
    # distances between two classes: 0 once, 4 four times, 5.66 once; the median 4, the floor 0.4
    w, _ = weights("class_distance", "paper", z=z, n_classes=4)
    np.testing.assert_allclose(w, np.array([1 / 0.4, 1 / 0.4, 1 / 4, 1 / 4]) / (2 / 0.4 + 2 / 4))


def test_classes_apart_keep_their_weight_where_most_pairs_coincide():
    """Three classes on one molecule beside a fourth: half the pairs at 0 made the median of all
    pairs 0, the floor with it, and the fourth class weighed 4.7e-09 against the twins' 0.67 (its
    cross-entropy off for the whole fit). The typical distance is that of the pairs apart."""
    z = torch.tensor([[1.0, 0.0]] * 3 + [[0.0, 1.0]], dtype=torch.float64)
    w, _ = weights("class_distance", "paper", z=z, n_classes=4)  # typical sqrt(2), floor sqrt(2) / 10
    np.testing.assert_allclose(w, np.array([10, 10, 10, 1]) / 31)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_classes_apart_keep_their_weight_where_many_coincide(dtype):
    """Between more than 25 rows torch.cdist computes by a matrix product, which left coincident
    centroids some 3e-4 apart in float32 (1e-8 in float64), not 0: 26 classes on one molecule
    beside 4 made the typical distance that, and the four weighed 1e-5 against the twins' 0.04.
    (Under TF32 on a GPU, 0.015.) Exact distances are not enough: a class of the molecule given
    three times has its mean an ulp from one given once, and the four weighed 4e-10."""
    rng = torch.Generator().manual_seed(0)
    twin = torch.nn.functional.normalize(torch.randn(16, generator=rng, dtype=dtype), dim=0)
    others = torch.nn.functional.normalize(torch.randn(4, 16, generator=rng, dtype=dtype), dim=1)
    copies = [c % 3 + 1 for c in range(26)]  # (means of one, two and three copies)
    z = torch.cat([twin.expand(n, 16) for n in copies] + [others])
    y = torch.cat([torch.full((n,), c) for c, n in enumerate(copies)] + [torch.arange(26, 30)])
    centres = torch.cat([twin.expand(26, 16), others]).double()  # (exactly)
    exact = torch.cdist(centres, centres, compute_mode="donot_use_mm_for_euclid_dist").numpy()
    between = exact[~np.eye(30, dtype=bool)]
    apart = np.sort(between[between > 0])
    nearest = np.where(np.eye(30, dtype=bool), np.inf, exact).min(axis=1)
    floored = np.maximum(nearest, DISTANCE_FLOOR * apart[(len(apart) - 1) // 2])
    for weighting in ("class_distance", "subcluster_distance"):
        w, _ = weights(weighting, "paper", z=z, y=y, n_classes=30)
        np.testing.assert_allclose(w, (1 / floored) / (1 / floored).sum(), rtol=1e-3)
    # where every class coincides, each weighs alike
    w, _ = weights("class_distance", "paper", z=z[: sum(copies)], y=y[: sum(copies)], n_classes=26)
    np.testing.assert_allclose(w, np.full(26, 1 / 26), rtol=1e-5)


@given(st.integers(0, 2**31 - 1), st.integers(2, 40), st.integers(0, 40), st.sampled_from([1e-9, 1e-4, 0.0]))
def test_distances_below_a_tenth_of_the_typical_one_weigh_as_if_there(seed, n_classes, n_twins, jitter):
    rng = torch.Generator().manual_seed(seed)
    z = torch.nn.functional.normalize(torch.randn(n_classes, 8, generator=rng, dtype=torch.float64), dim=1)
    z[1 : 1 + n_twins] = z[0] + jitter  # classes whose one sample is (nearly) the same molecule
    pairwise = torch.cdist(z, z, compute_mode="donot_use_mm_for_euclid_dist").numpy()  # (exact)
    between = pairwise[~np.eye(n_classes, dtype=bool)]
    apart = np.sort(between[between > 0])  # (coincident pairs do not set the scale)
    typical = apart[(len(apart) - 1) // 2] if len(apart) else 0.0  # the lower median
    d = np.where(np.eye(n_classes, dtype=bool), np.inf, pairwise).min(axis=1)
    floored = np.maximum(d, max(DISTANCE_FLOOR * typical, 1e-8))  # (1e-8: where all coincide)
    expected = (1 / floored) / (1 / floored).sum()
    for weighting in ("class_distance", "subcluster_distance"):  # (one sub-cluster per class here)
        w, _ = weights(weighting, "paper", z=z, n_classes=n_classes)
        np.testing.assert_allclose(w, expected, rtol=1e-9)
    _, per_subcluster = weights("subcluster", "paper", z=z, n_classes=n_classes)
    np.testing.assert_allclose(per_subcluster, expected / expected.mean(), rtol=1e-9)


@given(st.integers(0, 2**31 - 1), st.integers(2, 40), st.integers(2, 12), st.integers(2, 6))
def test_many_subclusters_are_measured_a_block_at_a_time(seed, n_sub, block, n_classes):
    """Beyond DISTANCE_BLOCK sub-clusters (2,048) the distance matrix is never whole: each one's
    nearest sub-cluster of another class is as the whole matrix gives it, and the typical distance
    is read from the pairs among sub-clusters spread evenly over the classes."""
    rng = torch.Generator().manual_seed(seed)
    centres = torch.randn(n_sub, 3, generator=rng, dtype=torch.float64)
    sub_class = torch.sort(torch.randint(0, n_classes, (n_sub,), generator=rng)).values  # by class
    whole = torch.cdist(centres, centres).masked_fill(sub_class[:, None] == sub_class[None, :], torch.inf)
    with patch.object(_weights, "DISTANCE_BLOCK", block):
        nearest, typical_from = _weights.nearest_other_groups(centres, sub_class)
    torch.testing.assert_close(nearest, whole.min(dim=1).values, rtol=1e-12, atol=1e-12)
    spread = np.arange(block) * (n_sub - 1) // (block - 1) if n_sub > block else np.arange(n_sub)
    assert len(np.unique(spread)) == len(spread) and spread[-1] == n_sub - 1  # the first and the last
    torch.testing.assert_close(typical_from, whole[spread][:, spread], rtol=1e-12, atol=1e-12)
    if len(sub_class.unique()) > 1:  # the sample holds two classes: a typical distance to floor at
        assert torch.isfinite(_weights.typical_distance(typical_from))


@given(st.integers(0, 2**31 - 1), st.integers(3, 30), st.integers(2, 8), st.sampled_from(["paper", "code"]))
def test_many_classes_are_measured_a_block_at_a_time(seed, n_classes, block, formula):
    """The class distance matrix was whole however many classes (USPTO-50k's 11,856 templates as
    classes: 2.2 GB and 32 s per re-clustering, most of it the median's sort). Beyond
    DISTANCE_BLOCK classes no distance matrix has more rows than that, each class's nearest other
    class is as the whole matrix gives it (absent classes too: infinite, weight 0), and the
    typical distance is read among the classes spread evenly over their order."""
    rng = np.random.default_rng(seed)
    n = 3 * n_classes
    z = torch.as_tensor(rng.normal(size=(n, 3)))
    y = torch.as_tensor(rng.integers(0, n_classes, n))
    y[: n_classes - 1] = torch.arange(n_classes - 1)  # the last class may be absent
    present = torch.zeros(n_classes, dtype=torch.bool).scatter_(0, y, True)
    centres = _weights.centroids(z, y, n_classes)
    whole = torch.cdist(centres, centres).fill_diagonal_(torch.inf)
    whole[~present] = whole[:, ~present] = torch.inf
    rows, cdist = [], _weights._cdist
    with (
        patch.object(_weights, "DISTANCE_BLOCK", block),
        patch.object(_weights, "_cdist", lambda a, b, exact: rows.append(len(a)) or cdist(a, b, exact)),
    ):
        nearest, typical_from = _weights.nearest_other_groups(centres, torch.arange(n_classes), present)
        weights, _ = separability_weights(z, y, y, torch.arange(n_classes), n_classes,
                                          weighting="class_distance", formula=formula)  # fmt: skip
    assert max(rows) <= block
    torch.testing.assert_close(nearest, whole.min(dim=1).values, rtol=1e-12, atol=1e-12)
    spread = np.arange(block) * (n_classes - 1) // (block - 1) if n_classes > block else np.arange(n_classes)
    torch.testing.assert_close(typical_from, whole[spread][:, spread], rtol=1e-12, atol=1e-12)
    if formula == "code":  # (the paper's formula floors at the sample's typical distance)
        expected = torch.softmax(-whole.min(dim=1).values, dim=0)
        torch.testing.assert_close(weights, expected, rtol=1e-9, atol=1e-12)
    assert (weights[~present] == 0).all()


def test_a_rare_class_s_one_subcluster_is_in_the_sample_of_many():
    """Of 3,334 sub-clusters, the rare class's one (the last, by class) was left out of the
    sample that the typical distance is read from: no pair of two classes, a NaN median, and no
    floor, so a coincident pair took the weight (orders of magnitude over the median)."""
    rng = torch.Generator().manual_seed(0)
    centres = torch.randn(3334, 8, generator=rng, dtype=torch.float64)
    centres[-1] = centres[0]  # the rare class's sub-cluster on top of one of the others
    sub_class = torch.tensor([0] * 3333 + [1])
    _, typical_from = _weights.nearest_other_groups(centres, sub_class)
    assert torch.isfinite(_weights.typical_distance(typical_from))
    y = torch.arange(3334)  # one molecule per sub-cluster
    _, w = separability_weights(centres, sub_class[y], y, sub_class, 2, weighting="subcluster")
    assert w.max() / w.median() < 20


def test_edge_drop_probabilities_follow_degree():
    # a star: centre 0 joined to 1..4; edges into the centre (degree 4) should be dropped least
    leaves = torch.arange(1, 5)
    edge_index = torch.stack(
        [
            torch.cat([leaves, torch.zeros(4, dtype=torch.long)]),
            torch.cat([torch.zeros(4, dtype=torch.long), leaves]),
        ]
    )
    p = edge_drop_probabilities(edge_index, 5, 0.15)
    into_centre, into_leaf = p[:4], p[4:]
    assert torch.all(into_centre == 0) and torch.allclose(into_leaf, torch.full((4,), 0.3))
    assert p.mean() == pytest.approx(0.15)  # the base rate is the mean drop probability
    assert torch.all(p <= 0.7)
    ring = torch.tensor([[0, 1, 1, 2, 2, 0], [1, 0, 2, 1, 0, 2]])  # all degrees equal: uniform
    assert torch.allclose(edge_drop_probabilities(ring, 3, 0.1), torch.full((6,), 0.1))


def test_edge_drop_probabilities_are_capped_at_0_7():
    # the star again at a base rate of 0.5: the edges into the leaves would get 1.0, a certain drop
    leaves = torch.arange(1, 5)
    zeros = torch.zeros(4, dtype=torch.long)
    star = torch.stack([torch.cat([leaves, zeros]), torch.cat([zeros, leaves])])
    expected = torch.tensor([0.0] * 4 + [0.7] * 4)
    torch.testing.assert_close(edge_drop_probabilities(star, 5, 0.5), expected)


@given(st.integers(3, 400))
def test_rings_of_any_size_drop_every_edge_at_the_base_rate(n):
    """In float32 the mean of n equal logs can fall below their max (a 12-ring: by 6e-8): that
    rounding was taken for a spread of degrees, and every edge got probability 0."""
    nodes = torch.arange(n)
    ring = torch.stack([torch.cat([nodes, (nodes + 1) % n]), torch.cat([(nodes + 1) % n, nodes])])
    assert torch.allclose(edge_drop_probabilities(ring, n, 0.15), torch.full((2 * n,), 0.15))


def test_drop_edges_statistics_on_real_molecules():
    graphs = SmilesGraphizer().fit_transform(["c1ccccc1CCN(C)C(=O)c1ccncc1"] * 200).batch()
    torch.manual_seed(0)
    expected = edge_drop_probabilities(graphs.edge_index, graphs.num_nodes, 0.15).sum()
    dropped = [int((drop_edges(graphs, 0.15).edge_weight == 0).sum()) for _ in range(20)]
    assert np.mean(dropped) == pytest.approx(float(expected), rel=0.05)
    view = drop_edges(graphs, 0.15)
    assert view.x is graphs.x and view.num_graphs == graphs.num_graphs  # nodes untouched
    assert view.edge_index is graphs.edge_index and set(view.edge_weight.unique().tolist()) <= {0.0, 1.0}


def test_a_view_keeps_the_edge_weights_the_graphs_had():
    """A view's weights are the kept edges times the weights before (a view of a view, or weighted
    graphs of a library user's): a mutation that dropped the earlier weights passed every test."""
    graphs = SmilesGraphizer().fit_transform(["CC(=O)Oc1ccccc1C(=O)O", "CCN"]).batch()
    graphs.edge_weight = torch.full((graphs.num_edges,), 0.5)
    assert set(drop_edges(graphs, 0.0).edge_weight.tolist()) == {0.5}
    torch.manual_seed(0)
    once = drop_edges(graphs, 0.3)
    twice = drop_edges(once, 0.3)
    assert set(twice.edge_weight.tolist()) <= {0.0, 0.5} and twice.edge_weight.dtype == graphs.x.dtype
    assert torch.all(twice.edge_weight <= once.edge_weight)  # an edge once dropped stays dropped


def test_edge_dropping_refuses_a_probability_outside_0_1_and_edges_as_rows():
    """p=NaN kept every edge and p=-1 too, in silence; edges given as (E, 2) rows were two edges."""
    graphs = SmilesGraphizer().fit_transform(["CCN", "c1ccncc1"]).batch()
    for p in (float("nan"), -1.0, 1.5):
        with pytest.raises(ValueError, match=r"edge-drop probability must be in \[0, 1\], got"):
            drop_edges(graphs, p)
        with pytest.raises(ValueError, match=r"must be in \[0, 1\]"):
            edge_drop_probabilities(graphs.edge_index, graphs.num_nodes, p)
    with pytest.raises(ValueError, match=r"edge_index must have shape \(2, n_edges\), got \(16, 2\)"):
        edge_drop_probabilities(graphs.edge_index.T.contiguous(), graphs.num_nodes, 0.1)


def test_a_dropped_edge_weighs_as_much_as_a_removed_one():
    graphs = SmilesGraphizer().fit_transform(["CC(=O)Oc1ccccc1C(=O)O", "CCN", "c1ccncc1"]).batch()
    encoder = GCNEncoder(74, 8, 2).eval()
    view = drop_edges(graphs, 0.3)
    removed = copy.copy(graphs)
    removed.edge_index = graphs.edge_index[:, view.edge_weight.bool()]
    torch.testing.assert_close(encoder(view), encoder(removed))


def test_propagation_and_its_gradient_match_the_dense_matrix():
    # a directed, weighted graph: the backward pass must use the transpose, not the matrix again
    edge_index = torch.tensor([[0, 1, 1, 2, 3, 0], [1, 0, 2, 3, 1, 3]])
    weight = torch.tensor([1.0, 0.0, 1.0, 1.0, 1.0, 0.5], dtype=torch.float64)
    n = 4
    dense = torch.zeros(n, n, dtype=torch.float64)
    dense[edge_index[1], edge_index[0]] = weight  # [target, source]
    dense += torch.eye(n, dtype=torch.float64)
    d = dense.sum(1).rsqrt()
    dense = d[:, None] * dense * d[None, :]
    adjacency = NormalizedAdjacency(edge_index, weight, n)
    x = torch.randn(n, 3, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(3, dtype=torch.float64, requires_grad=True)
    torch.testing.assert_close(adjacency.propagate(x, bias), dense @ x + bias)
    grad = torch.randn(n, 3, dtype=torch.float64)
    adjacency.propagate(x, bias).backward(grad)
    torch.testing.assert_close(x.grad, dense.T @ grad)
    torch.testing.assert_close(bias.grad, grad.sum(dim=0))
    assert not torch.allclose(dense, dense.T)


def test_stacked_views_embed_as_each_view_alone():
    graphs = SmilesGraphizer().fit_transform(["CC(=O)Oc1ccccc1C(=O)O", "CCN", "c1ccncc1"]).batch()
    encoder = GCNEncoder(74, 8, 3).eval()
    torch.manual_seed(0)
    views = edge_drop_views(graphs, (0.2, 0.5))
    stacked = stack_views(views)
    assert stacked.n_views == 2
    torch.testing.assert_close(encoder(stacked), torch.cat([encoder(v) for v in views]))


def test_weighted_cross_entropy_equals_repeating_rows():
    criterion = CrossEntropyLoss(torch.tensor([2.0, 1.0]))
    logits = torch.tensor([[2.0, -1.0], [0.5, 0.3], [-1.0, 1.5]])
    y = torch.tensor([0, 1, 1])
    head = torch.nn.Identity()  # the embeddings are the logits
    weighted = criterion((logits,), {"y": y, "weight": torch.tensor([2.0, 1.0, 0.0])}, head)
    rows = torch.tensor([0, 0, 1])
    repeated = criterion((logits[rows],), {"y": y[rows], "weight": torch.ones(3)}, head)
    torch.testing.assert_close(weighted, repeated)


def test_ltdd_loss_by_hand():
    """CE weighted by sample weight · ω[y] · sub-cluster weight, sub-cluster ids looked up by the
    training position of each batch row, plus the sub-cluster contrastive loss on both views."""
    phases = Phases([Phase("warmup", epochs=1, trains_head=False), Phase("ltdd")]).enter("ltdd")
    criterion = LTDDLoss(torch.tensor([3.0, 2.0]), tau1=0.2, tau2=0.3, beta=0.5, phases=phases)
    sub_of_position = torch.tensor([0, 1, 1, 2, 0])
    criterion.set_state(sub_of_position, torch.tensor([0.3, 0.7]), torch.tensor([1.0, 2.0, 0.5]))
    logits = torch.tensor([[1.0, -1.0], [0.2, 0.4], [-0.5, 0.5]])
    z = torch.tensor([[1.0, 0, 0], [0, 1, 0], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]])
    targets = {
        "y": torch.tensor([0, 1, 0]),
        "index": torch.tensor([4, 3, 1]),
        "weight": torch.tensor([1.0, 2.0, 1.0]),
    }

    def head(h):
        torch.testing.assert_close(h, z[:3])  # view 1's rows
        return logits

    loss = criterion((z,), targets, head)

    rows = zip(logits.tolist(), [0, 1, 0], strict=True)
    ce = [-math.log(math.exp(r[c]) / sum(math.exp(v) for v in r)) for r, c in rows]
    # rows → positions 4, 3, 1 → sub-clusters 0, 2, 1; classes 0, 1, 0
    w = [1.0 * 0.3 * 1.0, 2.0 * 0.7 * 0.5, 1.0 * 0.3 * 2.0]
    expected_ce = sum(wi * ci for wi, ci in zip(w, ce, strict=True)) / sum(w)
    expected_contrastive = subcluster_contrastive_loss(
        torch.nn.functional.normalize(z, dim=1),
        torch.tensor([0, 1, 0] * 2),
        torch.tensor([0, 2, 1] * 2),
        tau1=0.2,
        tau2=0.3,
        beta=0.5,
    )
    torch.testing.assert_close(loss, expected_contrastive + torch.tensor(expected_ce))
    means = criterion.pop_epoch_means()
    assert means == pytest.approx({"contrastive_loss": float(expected_contrastive), "ce_loss": expected_ce})
    # read once, then reset: a term not computed since is NaN (the history keeps its columns)
    assert all(math.isnan(v) for v in criterion.pop_epoch_means().values())


def test_the_divergence_advice_reads_the_epoch_that_ended_between_epochs():
    """Validation and the re-clustering find a divergence after the epoch's sums were read and
    emptied: the advice to raise a temperature near zero was lost there (only a divergence found in
    the training pass had it)."""
    criterion = LTDDLoss(torch.tensor([5, 5]), tau1=1e-9)
    criterion.record_term("contrastive_loss", torch.tensor(float("inf")), 4)
    criterion.record_term("ce_loss", torch.tensor(0.7), 4)
    during = criterion.divergence_advice()
    assert during.startswith("raise a temperature near zero") and "tau1=1e-09" in during
    criterion.pop_epoch_means()
    assert criterion.divergence_advice() == during
    criterion.forget_training_state()  # the fit's end
    assert criterion.divergence_advice() == ""


def test_the_epoch_means_of_terms_near_floats_limit_do_not_overflow():
    """A batch mean of 1e38 times its 120 samples overflowed float32: the history's
    contrastive_loss read inf where train_loss, the same sum, read 1.35e38."""
    criterion = LTDDLoss(torch.tensor([5, 5]))
    for _ in range(3):
        criterion.record_term("contrastive_loss", torch.tensor(1e38), 120)
        criterion.n_samples += 120  # (as forward counts them)
    assert criterion.pop_epoch_means()["contrastive_loss"] == pytest.approx(1e38, rel=1e-6)


def test_ltdd_loss_trains_the_encoder_through_the_head_and_keeps_no_graph_in_its_totals():
    phases = Phases([Phase("warmup", epochs=1, trains_head=False), Phase("ltdd")]).enter("ltdd")
    # no contrastive term: whatever reaches z comes through the classifier's cross-entropy
    criterion = LTDDLoss(torch.tensor([1.0, 1.0]), beta=0.0, term_a_scale=0.0, phases=phases)
    criterion.set_state(torch.tensor([0, 1, 0]), torch.tensor([1.0, 1.0]), torch.tensor([1.0, 1.0]))
    z = torch.randn(6, 2, generator=torch.Generator().manual_seed(0), requires_grad=True)
    targets = {"y": torch.tensor([0, 1, 0]), "index": torch.tensor([0, 1, 2]), "weight": torch.ones(3)}
    criterion((z,), targets, lambda h: h).backward()
    assert z.grad[:3].abs().sum() > 0  # view 1's rows, the ones the head reads
    # the epoch's running totals are numbers, not graphs that keep every batch's activations alive
    assert criterion.totals and not any(total.requires_grad for total in criterion.totals.values())


def test_adaptive_tau2_by_hand():
    """τ2_c = base · exp(d_c / mean d), d_c = mean ‖z − μ_c‖ / ln(n_c + 10), clipped to the
    20th–80th percentile of d; classes with one sub-cluster keep the base."""
    from sklearn_ltdd.classifier._ltdd_schedule import adaptive_tau2

    rng = np.random.default_rng(0)
    sizes, spreads = [30, 12, 6, 3], [0.1, 0.5, 1.0, 3.0]
    z = np.vstack([rng.normal(scale=s, size=(n, 4)) for n, s in zip(sizes, spreads, strict=True)])
    y = np.repeat(np.arange(4), sizes)
    d = np.array([np.linalg.norm(z[y == c] - z[y == c].mean(0), axis=1).mean() / math.log(n + 10)
                  for c, n in enumerate(sizes)])  # fmt: skip
    d = np.clip(d, np.quantile(d, 0.2), np.quantile(d, 0.8))
    expected = 0.2 * np.exp(d / d.mean())
    expected[3] = 0.2  # one sub-cluster
    tau = adaptive_tau2(torch.tensor(z), torch.tensor(y), torch.tensor([3, 2, 2, 1]), base=0.2)
    np.testing.assert_allclose(tau.numpy(), expected, rtol=1e-10)
    assert len(set(np.round(expected[:3], 8))) == 3  # the clipping left distinct values to compare
