"""The torch parts of LTDD: encoders (GCN, GINE), the network, edge-drop views, losses and weights."""

from .. import _torch_geometric  # noqa: F401  (PyG imported first there: see why)
from ._augment import drop_edges, edge_drop_probabilities, edge_drop_views, edge_drop_weights, stack_views
from ._gcn import GCNEncoder
from ._gine import GINEEncoder
from ._module import ENCODERS, LTDDModule
from ._weights import separability_weights
from .losses import LOSSES, LTDDLoss, contrastive_term, subcluster_contrastive_loss, supcon_loss, view_partner

__all__ = [
    "ENCODERS",
    "LOSSES",
    "GCNEncoder",
    "GINEEncoder",
    "LTDDLoss",
    "LTDDModule",
    "contrastive_term",
    "drop_edges",
    "edge_drop_probabilities",
    "edge_drop_views",
    "edge_drop_weights",
    "separability_weights",
    "stack_views",
    "subcluster_contrastive_loss",
    "supcon_loss",
    "view_partner",
]
