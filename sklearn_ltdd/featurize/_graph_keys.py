"""Graphs told apart by content: a key per graph, equal for graphs identical in every array a
network reads of them (one molecule however its SMILES was written), for the hold-out, which
keeps such copies together, and the warning of a validation set that repeats training ones."""

from __future__ import annotations

import hashlib

import numpy as np
import torch

from ._graph_store import GraphStore, GraphStorePair

__all__ = ["graph_keys", "identical_graphs"]


def identical_graphs(
    graphs: GraphStore | GraphStorePair, *, bonds: bool = True, fingerprint: bool = True
) -> np.ndarray:
    """An id per graph (or pair), the same for graphs identical in every array a network reads
    of them: inputs it cannot tell apart, such as one molecule however its SMILES was written
    (nodes are in canonical order), and also a molecule and its mirror image, which no feature
    distinguishes. ``bonds`` and ``fingerprint`` False: the bond features or the fingerprint are
    not read (an encoder of atoms only, such as the GCN, cannot tell E from Z).

    Each graph is keyed by :func:`graph_keys`.
    """
    ids: dict[tuple, int] = {}
    keys = graph_keys(graphs, bonds=bonds, fingerprint=fingerprint)
    return np.fromiter((ids.setdefault(key, len(ids)) for key in keys), dtype=np.int64, count=len(graphs))


def graph_keys(
    graphs: GraphStore | GraphStorePair, *, bonds: bool = True, fingerprint: bool = True
) -> list[tuple]:
    """A hashable key per graph (or pair), equal for identical graphs, also across stores made
    alike: each side's node and edge counts and a 128-bit digest of the bytes of the arrays read
    (the bond features and the fingerprint where ``bonds`` and ``fingerprint``)."""
    stores = (graphs.reactants, graphs.products) if isinstance(graphs, GraphStorePair) else (graphs,)
    arrays = [_host_arrays(store, bonds, fingerprint) for store in stores]
    with np.errstate(over="ignore"):  # (a value beyond float32's range is infinity, as a network reads it)
        return [tuple(_graph_key(i, *parts) for parts in arrays) for i in range(len(graphs))]


def _host_arrays(store: GraphStore, bonds: bool, fingerprint: bool) -> tuple[np.ndarray | None, ...]:
    def host(tensor: torch.Tensor | None, read: bool = True) -> np.ndarray | None:
        return None if tensor is None or not read else tensor.cpu().numpy()

    return (
        store.node_ptr.numpy(),
        store.edge_ptr.numpy(),
        host(store.x),
        host(store.edge_index),
        host(store.edge_attr, bonds),
        host(store.fingerprint, fingerprint),
    )


def _graph_key(i: int, node_ptr, edge_ptr, x, edge_index, edge_attr, fingerprint) -> tuple[int, int, bytes]:
    """Graph i's node and edge counts (which fix where each array's bytes end) and its digest."""
    nodes, edges = slice(node_ptr[i], node_ptr[i + 1]), slice(edge_ptr[i], edge_ptr[i + 1])
    # the features and the fingerprint as the networks read them, float32, whichever type a store
    # keeps them in (int8 from SMILES, float32 built by hand; a fingerprint's bits uint8), so that
    # one molecule keys alike in any store; each row on its own, whatever the rows beside it
    parts = [_as_read(x[nodes]), edge_index[:, edges]]
    if edge_attr is not None:
        parts.append(_as_read(edge_attr[edges]))
    if fingerprint is not None:
        parts.append(_as_read(fingerprint[i]))
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(np.ascontiguousarray(part))
    return int(nodes.stop - nodes.start), int(edges.stop - edges.start), digest.digest()


def _as_read(values: np.ndarray) -> np.ndarray:
    """``values`` as float32, -0.0 as 0.0 (which a network reads alike)."""
    return values.astype(np.float32) + np.float32(0.0)
