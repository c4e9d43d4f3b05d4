"""LTDD's contrastive losses (paper Eq. 1–2), vectorised over the 2B anchors of two views.

Anchors are the rows of z (unit vectors, views stacked: rows i and i + B are the two views of
sample i). Every loss is a mean over anchors of
``-(1/|P(i)|) Σ_{p∈P(i)} log(exp(s_ip/τ_i) / Σ_{a∈A(i)} exp(s_ia/τ_i))``; the losses differ only
in the positive set P and the denominator set A. Anchors with no positive are left out.
"""

from __future__ import annotations

import math

import torch

from ..._arguments import is_integer, is_number

__all__ = ["contrastive_term", "subcluster_contrastive_loss", "supcon_loss", "view_partner"]


def view_partner(n_anchors: int, device: torch.device | None = None) -> torch.Tensor:
    """Index of each anchor's other view when the two views are stacked.

    Parameters
    ----------
    n_anchors : int
        The rows of the two stacked views (2B, even).
    device : torch.device, default=None
        Where the index is made.

    Returns
    -------
    partner : Tensor of int64 of shape (n_anchors,)
        Row i's other view is row ``partner[i]`` (i + B, or i − B).

    Examples
    --------
    >>> from sklearn_ltdd.nn import view_partner
    >>> view_partner(4)
    tensor([2, 3, 0, 1])
    """
    if not is_integer(n_anchors) or n_anchors < 0:
        raise ValueError(f"n_anchors must be a whole number of rows, 0 or more, got {n_anchors!r}.")
    if n_anchors % 2:
        raise ValueError(f"the rows are two stacked views of one batch, an even number; got {n_anchors}.")
    half = n_anchors // 2
    return torch.arange(n_anchors, device=device).roll(half)


def contrastive_term(
    z: torch.Tensor,
    positives: torch.Tensor,
    denominator: torch.Tensor,
    tau: float | torch.Tensor,
    similarity: torch.Tensor | None = None,
) -> torch.Tensor:
    """Mean over anchors (with at least one positive) of the masked InfoNCE term.

    ``positives`` and ``denominator`` are (n, n) boolean masks, row = anchor; ``tau`` is a
    scalar or one temperature per anchor. ``similarity`` is ``z @ z.T`` when the caller has it.
    Masks of shape (k, n, n), with temperatures of shape (k, n), compute k terms at once (a
    tensor of k values) in the launches of one.

    Parameters
    ----------
    z : Tensor of shape (n, d)
        The anchors' unit embeddings.
    positives : Tensor of bool of shape (n, n) or (k, n, n)
        Row i: the anchor's positives P(i).
    denominator : Tensor of bool of shape (n, n) or (k, n, n)
        Row i: the anchors A(i) of its denominator.
    tau : float or Tensor of shape (n,) or (k, n)
        The temperature, or one per anchor.
    similarity : Tensor of shape (n, n), default=None
        ``z @ z.T``, when the caller has computed it.

    Returns
    -------
    loss : Tensor
        The term: a scalar, or k values for stacked masks; float32 for half-precision z (its
        softmax overflows in half precision), else z's dtype.

    Examples
    --------
    >>> from sklearn_ltdd.nn import contrastive_term
    >>> import torch
    >>> z = torch.tensor([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [0.6, 0.8]])  # unit rows
    >>> y = torch.tensor([0, 1, 0, 1])  # rows 0, 1 are view 0 of two samples, rows 2, 3 their view 1
    >>> not_self = ~torch.eye(4, dtype=torch.bool)
    >>> same_class = (y[:, None] == y[None]) & not_self
    >>> round(float(contrastive_term(z, same_class, not_self, 0.5)), 4)  # SupCon at τ = 0.5
    1.5107
    """
    tau = _check_temperatures(per_anchor="tau", tau=tau)["tau"]  # (a tensor's is not read)
    similarity = z @ z.T if similarity is None else similarity
    # in half precision 1/τ overflows (inf, then NaN) below τ ≈ 1e-4: the softmax is taken in float32
    similarity = similarity.to(_loss_dtype(similarity))
    logits = similarity / (tau.unsqueeze(-1) if isinstance(tau, torch.Tensor) and tau.ndim else tau)
    log_norm = torch.logsumexp(logits.masked_fill(~denominator, -torch.inf), dim=-1, keepdim=True)
    log_prob = (logits - log_norm).masked_fill(~positives, 0.0)
    n_pos = positives.sum(dim=-1)
    has_pos = n_pos > 0
    # masked mean instead of boolean indexing: no device sync, and 0 (still connected) when no
    # anchor has a positive
    per_anchor = -log_prob.sum(dim=-1) / n_pos.clamp_min(1)
    return (per_anchor * has_pos).sum(dim=-1) / has_pos.sum(dim=-1).clamp_min(1)


def supcon_loss(z: torch.Tensor, y: torch.Tensor, tau: float = 0.1) -> torch.Tensor:
    """Supervised contrastive loss (the paper's equation 1): positives share the label, the
    denominator holds all others.

    Parameters
    ----------
    z : Tensor of shape (n, d)
        Unit embeddings, the two views stacked.
    y : Tensor of int of shape (n,)
        The class of each row.
    tau : float, default=0.1
        The temperature, positive.

    Returns
    -------
    loss : Tensor
        A scalar: the mean over anchors with a positive (float32 for half-precision z).

    Examples
    --------
    >>> from sklearn_ltdd.nn import supcon_loss
    >>> import torch
    >>> z = torch.tensor([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [0.6, 0.8]])  # unit rows
    >>> y = torch.tensor([0, 1, 0, 1])  # rows 0, 1 are view 0 of two samples, rows 2, 3 their view 1
    >>> round(float(supcon_loss(z, y, tau=0.5)), 4)
    1.5107
    """
    _check_labels_of_rows(z, y=y)
    tau = _check_temperatures(tau=tau)["tau"]
    not_self = ~torch.eye(len(z), dtype=torch.bool, device=z.device)
    same = y.unsqueeze(0) == y.unsqueeze(1)
    return contrastive_term(z, same & not_self, not_self, tau)


def subcluster_contrastive_loss(
    z: torch.Tensor,
    y: torch.Tensor,
    sub: torch.Tensor,
    *,
    tau1: float = 0.1,
    tau2: float | torch.Tensor = 0.1,
    beta: float = 0.25,
    term_a_scale: float = 1.0,
) -> torch.Tensor:
    """Sub-cluster contrastive loss (the paper's equation 2): ``mean_i[a·ℓ_A(i) + β·ℓ_B(i)]``.

    Term A pulls together the anchor's own sub-cluster (temperature τ1, denominator all others).
    Term B pulls the anchor towards the other sub-clusters of its class, contrasted only with
    samples outside its own sub-cluster (plus its own other view); temperature τ2, a scalar or
    a per-anchor tensor (per-class adaptive τ2 looked up by the anchor's class). Both terms share
    one similarity matrix.

    Parameters
    ----------
    z : Tensor of shape (2B, d)
        Unit embeddings of two stacked views (row i + B is row i's other view).
    y : Tensor of int of shape (2B,)
        The class of each row.
    sub : Tensor of int of shape (2B,)
        The sub-cluster of each row, numbered within its class or across classes (as
        :class:`~sklearn_ltdd.BalancedSubcluster` does): the same number in two classes
        is two sub-clusters.
    tau1 : float, default=0.1
        Term A's temperature.
    tau2 : float or Tensor of shape (2B,), default=0.1
        Term B's temperature, or one per anchor.
    beta : float, default=0.25
        Term B's weight β.
    term_a_scale : float, default=1.0
        Term A's weight a.

    Returns
    -------
    loss : Tensor
        A scalar (float32 for half-precision z).

    Examples
    --------
    >>> from sklearn_ltdd.nn import subcluster_contrastive_loss
    >>> import torch
    >>> z = torch.tensor([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [0.6, 0.8]])  # unit rows
    >>> y = torch.tensor([0, 1, 0, 1])  # rows 0, 1 are view 0 of two samples, rows 2, 3 their view 1
    >>> sub = torch.tensor([0, 1, 0, 1])  # one sub-cluster per class
    >>> round(float(subcluster_contrastive_loss(z, y, sub)), 4)
    5.2085
    """
    _check_labels_of_rows(z, y=y, sub=sub)
    tau1, tau2 = _check_temperatures(tau1=tau1, tau2=tau2, per_anchor="tau2").values()
    for name, weight in (("beta", beta), ("term_a_scale", term_a_scale)):  # (NaN, or a loss turned around)
        if isinstance(weight, torch.Tensor):  # its value not read: that would wait for the device
            if weight.ndim:  # (a loss per element, not a scalar)
                raise ValueError(f"{name} must be one weight, got a tensor of shape {tuple(weight.shape)}.")
            continue
        if not is_number(weight) or not 0 <= weight <= torch.finfo(torch.float32).max:  # (float32's inf)
            raise ValueError(f"{name} must be a finite weight of 0 or more, got {weight!r}.")
    n = len(z)
    idx = torch.arange(n, device=z.device)
    not_self = idx.unsqueeze(0) != idx.unsqueeze(1)
    partner = view_partner(n, z.device).unsqueeze(1) == idx.unsqueeze(0)
    same_class = y.unsqueeze(0) == y.unsqueeze(1)
    # a sub-cluster lies inside its class (Γ_y): ids numbered within each class mean the same
    same_sub = (sub.unsqueeze(0) == sub.unsqueeze(1)) & same_class
    # both terms at once: stacked masks and per-anchor temperatures
    positives = torch.stack([same_sub & not_self, (same_class & ~same_sub) | partner])
    denominator = torch.stack([not_self, ~same_sub | partner])
    tau = torch.stack([_per_anchor(tau1, z), _per_anchor(tau2, z)])
    term_a, term_b = contrastive_term(z, positives, denominator, tau, z @ z.T)
    return term_a_scale * term_a + beta * term_b


def _check_labels_of_rows(z: torch.Tensor, **labels: torch.Tensor) -> None:
    """One label per row of z: a column of labels would broadcast into a matrix of losses."""
    if not isinstance(z, torch.Tensor):  # (a NumPy array's shape is right: "got shape (6, 3)")
        raise TypeError(
            f"z must be a torch tensor of embeddings, got a {type(z).__name__}; torch.as_tensor(z)."
        )
    if z.ndim != 2:  # 1-D: each number an "embedding"
        raise ValueError(f"z must be a 2-D tensor of embeddings (n, d), got {_described(z)}.")
    for name, values in labels.items():
        if not isinstance(values, torch.Tensor):
            raise TypeError(
                f"{name} must be a tensor of labels on z's device, got a {type(values).__name__}."
            )
        if values.shape != (len(z),):
            raise ValueError(
                f"{name} must hold one label per row of z, shape ({len(z)},); got {tuple(values.shape)}."
            )


def _check_temperatures(
    per_anchor: str | None = None, **temperatures: float | torch.Tensor
) -> dict[str, float | torch.Tensor]:
    """The temperatures, each number as a Python float (a Fraction is a number torch cannot divide
    by). A temperature of 0 divides by zero (inf loss, NaN gradients); a negative one inverts the
    loss, and one below float32's smallest normal number overflows the logits (NaN). The one named
    ``per_anchor`` may be a tensor, which is not read (that would wait for the device)."""
    checked = {}
    for name, value in temperatures.items():
        if name == per_anchor and isinstance(value, torch.Tensor):
            checked[name] = value
            continue
        # a number (Python's or numpy's): torch divides by a 0-d array with a warning, by text not at all;
        # infinity makes every similarity 0 (a constant loss, no gradient), True is 1 by accident
        if isinstance(value, torch.Tensor):  # (its check would read the device)
            raise ValueError(
                f"{name} must be a number, not a tensor; "
                + ("give it as float(...)." if per_anchor is None else f"only {per_anchor} may be a tensor.")
            )
        if not is_number(value) or not torch.finfo(torch.float32).tiny <= float(value) < math.inf:
            raise ValueError(
                f"{name} must be a finite positive temperature of at least 1.2e-38, got {value!r}."
            )
        checked[name] = float(value)
    return checked


def _described(value: object) -> str:
    return f"shape {tuple(value.shape)}" if hasattr(value, "shape") else f"a {type(value).__name__}"


def _per_anchor(tau: float | torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    if isinstance(tau, torch.Tensor):
        if tau.shape not in ((), (len(z),)):
            raise ValueError(
                f"tau2 must be one temperature, or one per anchor ({len(z)},), got shape {tuple(tau.shape)}; "
                "for one per class, look it up by the anchors' classes: tau2[y]."
            )
        return tau.to(_loss_dtype(z)).expand(len(z))
    return torch.full((len(z),), tau, dtype=_loss_dtype(z), device=z.device)


def _loss_dtype(z: torch.Tensor) -> torch.dtype:
    return torch.promote_types(z.dtype, torch.float32)
