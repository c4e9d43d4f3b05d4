"""The torch parts of LTDD: GCN encoder and classifier, edge-drop views, losses and weights."""

from ._augment import drop_edges, edge_drop_probabilities, edge_drop_views, edge_drop_weights
from ._gcn import GCNEncoder, LTDDModule, MLPHead
from ._losses import contrastive_term, subcluster_contrastive_loss, supcon_loss, view_partner
from ._weights import separability_weights

__all__ = [
    "GCNEncoder",
    "LTDDModule",
    "MLPHead",
    "contrastive_term",
    "drop_edges",
    "edge_drop_probabilities",
    "edge_drop_views",
    "edge_drop_weights",
    "separability_weights",
    "subcluster_contrastive_loss",
    "supcon_loss",
    "view_partner",
]
