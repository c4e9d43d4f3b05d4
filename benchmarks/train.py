"""Training throughput and peak memory: LTDDClassifier against the same GCN with plain cross-entropy.

Run: ``.venv/bin/python benchmarks/train.py [--against REV] [--rounds N] [--batch-size B]``. 20,000
real HIV molecules (featurised once, outside the timing), each method in its own subprocess so that
peak memory is its own; same run, same machine. LTDD's epoch does two edge-dropped views, the
contrastive loss and the weighted CE; the re-clustering that runs every K = 10 epochs is timed
separately and amortised over K.

After the timed fit, the same process profiles one training epoch of 2,048 of the molecules
(``torch.profiler`` on the CPU, whatever the device) and reports the aten operations per training
step: every ``aten::`` event (nested ones included, so one ``linear`` counts with the ``addmm`` it
calls) and the top-level ones (what the Python code and autograd call, each at least one launch on
a GPU).

``--against REV`` also measures the package as it was at git revision REV (checked out into a
temporary worktree), alternating the two trees round by round so that both see the same machine,
and reports the new/old ratios from the medians.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import nullcontext

import numpy as np
import torch
from _common import hiv_sample, in_fresh_process, rusage_peak_mb, tree_at, write

N_MOLECULES = 20_000
EPOCHS = 3
UPDATE_EVERY = 10
METHODS = ("ce", "ltdd")


def aten_ops_per_step(make, smiles: list[str], y: np.ndarray) -> dict:
    """aten operations per training step of ``make()``'s second epoch (torch.profiler, CPU)."""
    from torch.profiler import ProfilerActivity, profile

    from sklearn_ltdd.classifier import _net

    profiled = {}
    original = _net.LTDDNet.run_single_epoch

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        if not (training and len(self.history) == 2):
            return original(self, iterator, training, prefix, step_fn, **fit_params)
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            original(self, iterator, training, prefix, step_fn, **fit_params)
        events = [e for e in prof.events() if e.name.startswith("aten::")]
        top = [e for e in events if not _has_aten_parent(e)]
        profiled.update(all=len(events) / len(iterator), top=len(top) / len(iterator))

    _net.LTDDNet.run_single_epoch = run_single_epoch
    try:
        make().fit(smiles, y)
    finally:
        _net.LTDDNet.run_single_epoch = original
    return profiled


def _has_aten_parent(event) -> bool:
    parent = event.cpu_parent
    while parent is not None:
        if parent.name.startswith("aten::"):
            return True
        parent = parent.cpu_parent
    return False


def measure(method: str, batch_size: int = 128, compile_loss: bool = False) -> dict:
    from sklearn_ltdd import BaselineClassifier, LTDDClassifier, SmilesGraphizer, SubclusterSchedule
    from sklearn_ltdd.classifier import _ltdd_schedule

    if compile_loss:  # an experiment: the contrastive losses fused by torch.compile (static shapes)
        from sklearn_ltdd.nn.losses import _criteria

        for name in ("subcluster_contrastive_loss", "supcon_loss"):
            setattr(_criteria, name, torch.compile(getattr(_criteria, name), dynamic=False))
    smiles, y = hiv_sample(N_MOLECULES)
    # the paper's network (this benchmark's subject since it began), graphs alone; older trees
    # have no such parameters
    paper = {"encoder": "gcn", "fingerprint": None, "average_from_best": False, "decision": "argmax",
             "early_stopping": None}  # fmt: skip
    network = {k: v for k, v in paper.items() if k in LTDDClassifier().get_params()}
    graphizer = SmilesGraphizer(n_jobs=-1)
    if "fingerprint" in graphizer.get_params():
        graphizer.set_params(fingerprint=None)
    graphs = graphizer.fit_transform(smiles)
    cluster_seconds = []
    original = _ltdd_schedule.Recluster.update

    def timed_update(self, net, dataset, epoch):
        start = time.perf_counter()
        original(self, net, dataset, epoch)
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        cluster_seconds.append(time.perf_counter() - start)

    _ltdd_schedule.Recluster.update = timed_update
    # warm-up off and update every epoch, so that every timed epoch is a full LTDD epoch
    run = {"max_epochs": EPOCHS, "validation_fraction": 0.0, "early_stopping": None, "random_state": 0,
           "batch_size": batch_size, **network}  # fmt: skip

    def make(update_every: int = 1):
        if method == "ltdd":
            schedule = SubclusterSchedule(warmup_epochs=0, update_every=update_every)
            return LTDDClassifier(schedule=schedule, **run)
        return BaselineClassifier(loss=method, **run)

    clf = make()
    clf.fit(graphs, y)
    epoch_seconds = [
        row["dur"] - (cluster_seconds[i] if cluster_seconds else 0) for i, row in enumerate(clf.history_)
    ]
    train_epoch = float(np.median(epoch_seconds))
    peak_cuda = torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else None
    # the profiled fit: 2,048 molecules on the CPU, re-clustered in its first epoch only
    _ltdd_schedule.Recluster.update = original
    run.update(max_epochs=2, device="cpu")
    nan = {"all": float("nan"), "top": float("nan")}  # compiled: its fused kernels are not aten ops
    ops = nan if compile_loss else aten_ops_per_step(lambda: make(update_every=100), smiles[:2048], y[:2048])
    return {
        "aten_ops_per_step": ops["all"],
        "top_level_aten_ops_per_step": ops["top"],
        "epoch_s": train_epoch,
        "graphs_per_s": len(smiles) / train_epoch,
        "cluster_s": float(np.median(cluster_seconds)) if cluster_seconds else 0.0,
        "peak_rss_mb": rusage_peak_mb(),
        "peak_cuda_mb": peak_cuda,
    }


def run(method: str, tree: str | None = None, batch_size: int = 128, compile_loss: bool = False) -> dict:
    """``measure(method)`` in a fresh process, importing the package from ``tree`` when given."""
    return in_fresh_process(__file__, ["--measure", method, str(batch_size), str(int(compile_loss))], tree)


FIGURES = ("epoch_s", "graphs_per_s", "cluster_s", "peak_rss_mb", "aten_ops_per_step",
           "top_level_aten_ops_per_step")  # fmt: skip


def summary(rounds: list[dict]) -> dict:
    """Medians over rounds of each method's figures, and LTDD's amortised epoch."""
    result = {m: {k: float(np.median([r[m][k] for r in rounds])) for k in FIGURES} for m in METHODS}
    for m in METHODS:
        result[m]["peak_cuda_mb"] = rounds[-1][m]["peak_cuda_mb"]
    result["ltdd_amortised_s"] = result["ltdd"]["epoch_s"] + result["ltdd"]["cluster_s"] / UPDATE_EVERY
    result["ltdd_over_ce"] = result["ltdd_amortised_s"] / result["ce"]["epoch_s"]
    return result


def table(name: str, s: dict) -> list[str]:
    ce, ltdd = s["ce"], s["ltdd"]
    cuda = lambda m: "–" if m["peak_cuda_mb"] is None else f"{m['peak_cuda_mb']:,.0f}"  # noqa: E731
    ops = lambda m: f"{m['aten_ops_per_step']:,.0f} / {m['top_level_aten_ops_per_step']:,.0f}"  # noqa: E731
    return [
        f"| {name}: GCN + cross-entropy | {ce['epoch_s']:.2f} | {ce['graphs_per_s']:,.0f} | – | {ops(ce)} | "
        f"{ce['peak_rss_mb']:,.0f} | {cuda(ce)} |",
        f"| {name}: LTDD (two views + losses) | {ltdd['epoch_s']:.2f} | {ltdd['graphs_per_s']:,.0f} | "
        f"{ltdd['cluster_s']:.2f} | {ops(ltdd)} | {ltdd['peak_rss_mb']:,.0f} | {cuda(ltdd)} |",
        f"| {name}: LTDD epoch incl. re-clustering/{UPDATE_EVERY} | {s['ltdd_amortised_s']:.2f} | | | | | |",
        f"| {name}: LTDD ÷ CE epoch | **{s['ltdd_over_ce']:.2f}×** (target ≤ 2.3×) | | | | | |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", help="git revision (or a folder holding that tree's sklearn_ltdd) to "
                        "compare with, measured in the same run")  # fmt: skip
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds; medians are reported")
    parser.add_argument("--batch-size", type=int, default=128, help="training batch (default 128)")
    parser.add_argument("--name", default="train", help="results file name (default: train)")
    parser.add_argument("--compile-loss", action="store_true",
                        help="an experiment: torch.compile the contrastive losses")  # fmt: skip
    args = parser.parse_args()
    for flag, value in (("--rounds", args.rounds), ("--batch-size", args.batch_size)):
        if value < 1:
            parser.error(f"{flag} must be at least 1, got {value}")
    with tree_at(args.against) if args.against else nullcontext() as old:
        trees = {args.against: old, "this tree": None} if args.against else {"this tree": None}
        rounds = {name: [] for name in trees}
        for _ in range(args.rounds):
            for name, tree in trees.items():
                figures = {}
                for method in METHODS:  # each printed as measured: a time limit keeps the ones before it
                    figures[method] = run(method, tree, args.batch_size, args.compile_loss)
                    print(name, method, json.dumps(figures[method]), flush=True)
                rounds[name].append(figures)
    results = {name: summary(r) for name, r in rounds.items()}
    results.update({"n_molecules": N_MOLECULES, "epochs": EPOCHS, "rounds": args.rounds, "raw": rounds,
                    "batch_size": args.batch_size, "compile_loss": args.compile_loss})  # fmt: skip
    device = "CUDA" if torch.cuda.is_available() else "CPU"
    lines = [
        f"Training on {N_MOLECULES:,} HIV molecules, batch {args.batch_size}, GCN 3×128, on the {device}"
        f"{', contrastive losses compiled' if args.compile_loss else ''}, "
        f"median of {EPOCHS} epochs{f' and {args.rounds} alternating rounds' if args.rounds > 1 else ''}; "
        "aten ops per training step (all / top-level) profiled on the CPU:\n",
        "| tree: model | s/epoch | graphs/s | re-clustering s | aten ops/step | peak RSS MB | peak CUDA MB |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in trees:
        lines += table(name, results[name])
    if args.against:
        new, old = results["this tree"], results[args.against]
        results["new_over_old"] = {
            "ltdd_amortised": new["ltdd_amortised_s"] / old["ltdd_amortised_s"],
            "ce_epoch": new["ce"]["epoch_s"] / old["ce"]["epoch_s"],
            "ltdd_graphs_per_s": new["ltdd"]["graphs_per_s"] / old["ltdd"]["graphs_per_s"],
            "ltdd_aten_ops": new["ltdd"]["aten_ops_per_step"] / old["ltdd"]["aten_ops_per_step"],
            "ltdd_peak_rss": new["ltdd"]["peak_rss_mb"] / old["ltdd"]["peak_rss_mb"],
        }
        ratio = results["new_over_old"]
        lines += [
            "",
            f"This tree ÷ {args.against}: LTDD epoch (re-clustering/{UPDATE_EVERY} included) "
            f"**{ratio['ltdd_amortised']:.2f}×**, LTDD graphs/s {ratio['ltdd_graphs_per_s']:.2f}×, "
            f"aten ops per LTDD step {ratio['ltdd_aten_ops']:.2f}×, CE epoch {ratio['ce_epoch']:.2f}×, "
            f"LTDD peak RSS {ratio['ltdd_peak_rss']:.2f}×.",
        ]
    write(args.name, results, "\n".join(lines) + "\n")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[2], int(sys.argv[3]), bool(int(sys.argv[4])))))
    else:
        main()
