"""``sklearn_ltdd.nn`` used in one's own PyTorch loop, without the classifier: what a researcher
hands it (other label dtypes, weights of any scale, hand-built batches, their own views) gives
the documented result or an error that names the problem."""

import copy
from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_geometric.data import Batch
from torch_geometric.nn import MLP

from sklearn_ltdd import SmilesGraphizer
from sklearn_ltdd.nn import (
    ENCODERS,
    LOSSES,
    LTDDLoss,
    LTDDModule,
    contrastive_term,
    edge_drop_views,
    separability_weights,
    stack_views,
    subcluster_contrastive_loss,
    supcon_loss,
)
from sklearn_ltdd.nn.losses import balanced_cross_entropy, weighted_mean

SMILES = ["CC(=O)Oc1ccccc1C(=O)O", "CCN", "c1ccncc1", "CCO"]


def batch_of(smiles=SMILES, **options):
    return SmilesGraphizer(**options).fit_transform(smiles).batch()


def criterion_loss(name, counts, y, weight=None, seed=0):
    """The criterion's loss on fixed embeddings, through a fixed linear head."""
    torch.manual_seed(seed)
    head = MLP([4, 4, len(counts)], norm=None)  # (a PyG MLP: ib asks it for its features too)
    embeddings = torch.randn(len(y), 4)
    weight = torch.ones(len(y)) if weight is None else weight
    criterion = LOSSES[name](torch.tensor(counts))
    torch.manual_seed(seed)  # (mixup draws its λ and partners)
    return criterion((embeddings,), {"y": y, "weight": weight}, head)


@settings(max_examples=30, deadline=None)
@given(
    losses=st.lists(st.floats(0, 100), min_size=1, max_size=8),
    weights=st.lists(st.floats(0.1, 10), min_size=8, max_size=8),
    scale=st.sampled_from([1.0, 1e-5, 1e-30, 1e20]),  # (not below float32's normal numbers)
)
def test_a_weighted_mean_does_not_change_when_every_weight_is_scaled(losses, weights, scale):
    per_sample = torch.tensor(losses, dtype=torch.float64)
    weight = torch.tensor(weights[: len(losses)], dtype=torch.float64)
    expected = float((weight * per_sample).sum() / weight.sum())
    scaled = weighted_mean(per_sample.float(), (weight * scale).float())
    assert float(scaled) == pytest.approx(expected, rel=1e-5, abs=1e-5)


def test_a_weighted_mean_of_half_precision_losses_with_small_weights_is_their_mean():
    per_sample = torch.tensor([1.0, 2.0, 4.0, 8.0])
    # weights summing to 4e-5 (a weight of 1 per sample spread over 100,000)
    assert float(weighted_mean(per_sample.half(), torch.full((4,), 1e-5))) == pytest.approx(3.75)
    assert float(weighted_mean(per_sample, torch.zeros(4))) == 0.0  # every weight 0: 0, not NaN


@pytest.mark.parametrize("name", sorted(set(LOSSES) - {"ltdd"}))
@pytest.mark.parametrize("dtype", [torch.uint8, torch.int32, torch.int16])
def test_every_criterion_reads_integer_labels_of_any_dtype_as_class_indices(name, dtype):
    # two samples and two classes: a uint8 label tensor the size of the class weights indexed
    # them as a mask, and gave another loss without an error
    y = torch.tensor([1, 1, 0, 1])
    for labels in (y, y[:2]):
        expected = criterion_loss(name, [50, 5], labels)
        torch.testing.assert_close(criterion_loss(name, [50, 5], labels.to(dtype)), expected)


def test_ltdd_loss_and_the_balanced_cross_entropy_read_uint8_labels_as_class_indices():
    y = torch.tensor([1, 1])
    torch.manual_seed(0)
    z, head = torch.randn(4, 4), torch.nn.Linear(4, 2)

    def ltdd(labels):
        criterion = LTDDLoss(torch.tensor([50, 5]))
        criterion.set_state(torch.tensor([0, 1]), torch.tensor([0.2, 5.0]), torch.ones(2))
        return criterion((z,), {"y": labels, "index": torch.tensor([0, 1]), "weight": torch.ones(2)}, head)

    torch.testing.assert_close(ltdd(y.to(torch.uint8)), ltdd(y))

    def ltdd_small_ids(dtype):  # the sub-cluster of each position, and the positions, as uint8
        criterion = LTDDLoss(torch.tensor([50, 5]))
        criterion.set_state(
            torch.tensor([0, 1], dtype=dtype), torch.tensor([0.2, 5.0]), torch.tensor([0.5, 3.0])
        )
        targets = {"y": y, "index": torch.tensor([0, 1], dtype=dtype), "weight": torch.ones(2)}
        return criterion((z,), targets, head)

    torch.testing.assert_close(ltdd_small_ids(torch.uint8), ltdd_small_ids(torch.int64))
    logits, counts = torch.tensor([[2.0, 0, 0], [0, 1, 0], [1, 1, 0]]), torch.tensor([90.0, 10, 1])
    labels = torch.tensor([1, 1, 1])
    torch.testing.assert_close(
        balanced_cross_entropy(logits, labels.to(torch.uint8), counts),
        balanced_cross_entropy(logits, labels, counts),
    )
    with pytest.raises(TypeError, match=r"class labels must be integer indices, got a torch\.float32"):
        balanced_cross_entropy(logits, labels.float(), counts)


def test_separability_weights_read_labels_of_any_integer_dtype():
    z = torch.tensor([[0.0, 0.0], [0.0, 1.0], [3.0, 0.0], [3.0, 1.0], [0.0, 4.0]])
    y = torch.tensor([0, 0, 1, 1, 2])
    expected = separability_weights(z, y, sub=y, sub_class=torch.tensor([0, 1, 2]), n_classes=3)
    for dtype in (torch.uint8, torch.int16, torch.int32):
        small = y.to(dtype)
        got = separability_weights(
            z, small, sub=small, sub_class=torch.tensor([0, 1, 2], dtype=dtype), n_classes=3
        )
        torch.testing.assert_close(got, expected)


def test_separability_weights_of_sub_clusters_that_do_not_partition_the_classes():
    """An empty sub-cluster was a centroid at the origin that moved the others' weights (and took
    some itself): it weighs 0 now; ids numbered within each class gave weights that meant nothing;
    an id past sub_class was torch's "index 5 is out of bounds"."""
    z = torch.nn.functional.normalize(torch.randn(12, 3, generator=torch.Generator().manual_seed(0)), dim=1)
    y, sub = torch.tensor([0] * 6 + [1] * 6), torch.tensor([0] * 3 + [1] * 3 + [2] * 6)
    # a class without a sample still weighs 0 (n_classes counts it), as documented
    assert separability_weights(z, y, sub, torch.tensor([0, 0, 1]), 3)[0][2] == 0
    # an empty sub-cluster weighs 0 and moves no other weight, under every weighting and formula
    for weighting in ("subcluster", "both", "subcluster_distance", "class_distance", "none"):
        for formula in ("paper", "code"):
            alone = separability_weights(
                z, y, sub, torch.tensor([0, 0, 1]), 2, weighting=weighting, formula=formula
            )
            listed = separability_weights(
                z,
                y,
                torch.where(sub == 2, 3, sub),
                torch.tensor([0, 0, 1, 1]),
                2,
                weighting=weighting,
                formula=formula,
            )
            torch.testing.assert_close(listed[0], alone[0], rtol=0, atol=0)
            torch.testing.assert_close(
                listed[1], torch.cat([alone[1][:2], torch.zeros(1), alone[1][2:]]), rtol=0, atol=0
            )
    within = torch.tensor([0, 0, 0, 1, 1, 1] * 2)  # numbered within each class
    with pytest.raises(
        ValueError, match=r"sub and y disagree for 6 samples: sample 6 is in sub-cluster 0, of"
    ):
        separability_weights(z, y, within, torch.tensor([0, 0, 1, 1]), 2)
    with pytest.raises(
        ValueError, match=r"sub must hold ids from 0 to 2 \(len\(sub_class\) - 1\), got 3 to 5"
    ):
        separability_weights(z, y, sub + 3, torch.tensor([0, 0, 1]), 2)
    with pytest.raises(ValueError, match=r"y must hold ids from 0 to 1 \(n_classes - 1\), got 0 to 2"):
        separability_weights(z, torch.tensor([0] * 6 + [2] * 6), sub, torch.tensor([0, 0, 2]), 2)


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("counts", [[20], [20, 5, 1]])
def test_every_criterion_refuses_class_counts_that_are_not_one_per_class_of_the_head(name, counts):
    # one count broadcast (bs, cdt: plain cross-entropy); three reweighted the two classes
    y = torch.tensor([0, 1, 0, 0])
    criterion = LOSSES[name](torch.tensor(counts))
    targets = {"y": y, "weight": torch.ones(4), "index": torch.arange(4)}
    embeddings = torch.randn(8 if name == "ltdd" else 4, 4)
    head = MLP([4, 4, 2], norm=None)
    if name == "ltdd":
        criterion.set_state(torch.zeros(4, dtype=torch.long), torch.ones(len(counts)), torch.ones(1))
    with pytest.raises(ValueError, match=rf"holds {len(counts)} class counts, but the head gives 2 logits"):
        criterion((embeddings,), targets, head)


def test_edge_drop_views_name_graphs_that_are_no_batch_or_pair_of_batches():
    graphs = SmilesGraphizer().fit_transform(SMILES[:3])
    wrongs = (
        (graphs, "got a GraphStore"),
        (graphs.to_data_list(), "got a list of 3: Data, Data, Data"),
        ((graphs.batch(), None), "got a tuple of 2: DataBatch, NoneType"),
    )
    for wrong, got in wrongs:
        with pytest.raises(TypeError, match=f"a batch \\(a GraphStore's .batch\\(\\).*{got}"):
            edge_drop_views(wrong, (0.1, 0.2))
    pair = edge_drop_views((graphs.batch(), graphs.batch()), (0.1, 0.2))
    assert [len(view) for view in pair] == [2, 2]


def test_stack_views_refuses_views_with_node_features_of_their_own():
    batch = batch_of()
    v0, v1 = edge_drop_views(batch, (0.0, 0.0))
    masked = copy.copy(v1)
    masked.x = torch.zeros_like(v1.x)  # a feature-masking view: the encoders read view 0's copy only
    with pytest.raises(ValueError, match="these views have other node features, of which the encoders"):
        stack_views([v0, masked])
    assert stack_views([v0, v1]).num_graphs == 2 * len(SMILES)
    copied = copy.copy(v1)
    copied.x = v1.x.clone()  # the same features in another tensor (views moved to a device one by one)
    stacked = stack_views([v0, copied])
    torch.testing.assert_close(stacked.edge_weight, stack_views([v0, v1]).edge_weight)


@pytest.mark.parametrize("encoder", sorted(ENCODERS))
def test_a_batch_built_by_hand_trains_with_edge_drops_as_a_collated_one(encoder):
    collated = batch_of(bond_features=True)
    by_hand = Batch(
        x=collated.x, edge_index=collated.edge_index, edge_attr=collated.edge_attr, batch=collated.batch
    )  # no ptr
    module = LTDDModule(74, 2, hidden=8, edge_drop=(0.1, 0.2), encoder=encoder).train()
    embeddings = []
    for graphs in (collated, by_hand):
        torch.manual_seed(0)
        embeddings.append(module(graphs)[0])
    torch.testing.assert_close(embeddings[1], embeddings[0])


def test_a_gine_layer_by_hand():
    """out_i = nn((1 + eps) x_i + sum_j w_ji ReLU(x_j + W e_ji + b)) (Hu et al.'s GINE, its messages
    weighted): a mutation to eps x_i, which drops an atom's own features at the default eps = 0,
    passed every test."""
    from sklearn_ltdd.nn._gine import WeightedGINEConv

    torch.manual_seed(0)
    x, edge_attr = torch.randn(3, 4, dtype=torch.float64), torch.randn(4, 2, dtype=torch.float64)
    edge_index = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
    conv = WeightedGINEConv(torch.nn.Linear(4, 5), edge_dim=2, train_eps=True).double()
    for eps, weight in [(0.0, None), (0.25, torch.tensor([1.0, 0.0, 0.5, 2.0], dtype=torch.float64))]:
        with torch.no_grad():
            conv.eps.fill_(eps)
        summed = (1 + eps) * x
        for k, (j, i) in enumerate(edge_index.T.tolist()):
            summed[i] += (1.0 if weight is None else weight[k]) * torch.relu(x[j] + conv.lin(edge_attr[k]))
        torch.testing.assert_close(conv(x, edge_index, edge_attr, weight), conv.nn(summed))


@pytest.mark.parametrize("encoder", sorted(ENCODERS))
def test_an_encoder_given_one_graph_says_it_takes_a_batch(encoder):
    graph = SmilesGraphizer(bond_features=True).fit_transform(["CCO"]).to_data_list()[0]
    with pytest.raises(TypeError, match="the encoders take a torch_geometric Batch of graphs, got a Data"):
        ENCODERS[encoder](74).eval()(graph)


@pytest.mark.parametrize("encoder", sorted(ENCODERS))
@pytest.mark.parametrize("dtype", [torch.float64, torch.float16, torch.bool, torch.int64])
def test_edge_weights_of_another_dtype_weigh_as_float32_ones(encoder, dtype):
    graphs = batch_of(bond_features=True)
    kept = (torch.arange(graphs.num_edges) % 3 != 0).float()  # 0 and 1: exact in every dtype
    model = ENCODERS[encoder](74, 8, 2).eval()
    expected = model(_weighted(graphs, kept))
    torch.testing.assert_close(model(_weighted(graphs, kept.to(dtype))), expected)


def _weighted(graphs, weight):
    view = copy.copy(graphs)
    view.edge_weight = weight
    return view


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"edge_drop": 0.15}, "edge_drop must give one drop probability in \\[0, 1\\] per view.*got 0.15"),
        ({"edge_drop": (2.0, 0.1)}, "edge_drop must give one drop probability.*got \\(2.0, 0.1\\)"),
        ({"edge_drop": (float("nan"), 0.1)}, "edge_drop must give one drop probability.*got \\(nan, 0.1\\)"),
        ({"edge_drop": "ab"}, "edge_drop must give one drop probability.*got 'ab'"),
        ({"edge_drop": (True, 0.1)}, "edge_drop must give one drop probability"),
        ({"fingerprint_bits": -1}, "fingerprint_bits must be a non-negative integer, got -1"),
        ({"fingerprint_bits": 2.5}, "fingerprint_bits must be a non-negative integer, got 2.5"),
    ],
)
def test_a_module_names_an_option_it_cannot_use_when_built(options, message):
    with pytest.raises(ValueError, match=message):
        LTDDModule(74, 2, **options)


@pytest.mark.parametrize("encoder", sorted(ENCODERS))
@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        ({"n_layers": 0}, "n_layers must be a positive integer, got 0"),
        ({"hidden": 0}, "hidden must be a positive integer, got 0"),
        ({"hidden": 8.0}, "hidden must be a positive integer, got 8.0"),
        ({"in_features": -74}, "in_features must be a positive integer, got -74"),
    ],
)
def test_an_encoder_names_a_size_it_cannot_build(encoder, sizes, message):
    # (n_layers=0 built an encoder whose forward failed on an IndexError, hidden=0 one of empty weights)
    with pytest.raises(ValueError, match=message):
        ENCODERS[encoder](**{"in_features": 74, "hidden": 8, **sizes})


def test_a_module_takes_drop_probabilities_as_an_array_and_no_fingerprint_as_none():
    for edge_drop in (np.array([0.15, 0.1]), torch.tensor([0.15, 0.1], dtype=torch.float64), [0.15, 0.1]):
        assert LTDDModule(74, 2, edge_drop=edge_drop).edge_drop == (0.15, 0.1)
    assert LTDDModule(74, 2, fingerprint_bits=None).fingerprint is None


def test_a_module_takes_the_drop_probabilities_at_both_ends():
    """The library's range is [0, 1], closed (the classifiers' [0, 1) is theirs: a view with no bonds
    is no molecule to learn from, but a module built by hand may ask for one)."""
    assert LTDDModule(74, 2, edge_drop=(1.0, 0.0)).edge_drop == (1.0, 0.0)


@pytest.mark.parametrize("encoder", sorted(ENCODERS))
@pytest.mark.parametrize("n_layers", [1, 2, 5])
def test_an_encoder_has_the_layers_it_is_asked_for(encoder, n_layers):
    built = ENCODERS[encoder](in_features=74, hidden=8, n_layers=n_layers)
    assert len(built.convs) == n_layers
    assert len(LTDDModule(74, 2, hidden=8, n_layers=n_layers, encoder=encoder).encoder.convs) == n_layers


def test_a_frozen_encoder_stays_frozen_through_train():
    """After freeze_encoder(), train() (which skorch calls each epoch) keeps the encoder and the
    fingerprint branch in eval mode: their BatchNorm statistics do not move with the new batches."""
    graphs = batch_of(fingerprint="morgan")
    module = LTDDModule(74, 2, hidden=8, fingerprint_bits=2048)
    module.freeze_encoder()
    module.train()
    assert module.training and not module.encoder.training and not module.fingerprint.training
    statistics = copy.deepcopy({k: v for k, v in module.state_dict().items() if "running" in k})
    module(graphs)
    moved = [
        k for k, v in module.state_dict().items() if "running" in k and not torch.equal(v, statistics[k])
    ]
    assert not moved and statistics  # (there are BatchNorm statistics to keep)
    assert not any(p.requires_grad for p in module.encoder.parameters())


@pytest.mark.parametrize("wide", [False, True])
def test_a_module_names_a_fingerprint_of_another_width(wide):
    graphs = batch_of(fingerprint="morgan")  # 2,048 bits
    module = LTDDModule(74, 2, hidden=8, fingerprint_bits=1024, wide=wide).eval()
    with pytest.raises(
        ValueError, match=r"fingerprint features have shape \(4, 2048\), but the network reads 1024"
    ):
        module(graphs)
    assert LTDDModule(74, 2, hidden=8, fingerprint_bits=2048, wide=wide).eval()(graphs)[0].shape == (4, 2)


@pytest.mark.parametrize("tau", [-0.1, 0.0, float("nan"), "0.1"])
def test_the_contrastive_term_names_a_temperature_that_is_no_positive_number(tau):
    # (a negative one inverted the loss, 0 gave inf and NaN gradients, without a word)
    z = torch.nn.functional.normalize(torch.randn(4, 3), dim=1)
    not_self = ~torch.eye(4, dtype=torch.bool)
    with pytest.raises(ValueError, match="tau must be a finite positive temperature"):
        contrastive_term(z, not_self, not_self, tau)
    assert torch.isfinite(contrastive_term(z, not_self, not_self, Fraction(1, 2)))


def test_a_temperature_of_any_real_number_type_gives_the_float_s_loss():
    torch.manual_seed(0)
    z = torch.nn.functional.normalize(torch.randn(6, 3), dim=1)
    y, sub = torch.tensor([0, 0, 1, 1, 0, 1]), torch.tensor([0, 1, 2, 2, 0, 3])
    for tau in (Fraction(1, 10), np.float64(0.1)):
        torch.testing.assert_close(supcon_loss(z, y, tau=tau), supcon_loss(z, y, tau=0.1))
        torch.testing.assert_close(
            subcluster_contrastive_loss(z, y, sub, tau1=tau, tau2=tau),
            subcluster_contrastive_loss(z, y, sub, tau1=0.1, tau2=0.1),
        )
    with pytest.raises(ValueError, match="tau must be a number, not a tensor; give it as float"):
        supcon_loss(z, y, tau=torch.tensor(0.1))
