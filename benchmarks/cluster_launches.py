"""What a balanced sub-clustering costs a GPU, counted on the CPU: aten operations and device reads.

Run: ``.venv/bin/python benchmarks/cluster_launches.py [--against REV] [--name NAME]``. On a GPU each aten
operation that is not a view launches at least one kernel, and each read of the device (a value
read back, an output whose size depends on the data, a copy to the host) waits for all the work
queued before it; a re-clustering runs hundreds of rounds of small operations, so these counts,
not the CPU's seconds, are its cost there. Counted with the sync tests' dispatch mode
(``tests/test_host_syncs.py``) and its wrappers of ``.tolist()``, ``.cpu()`` and ``.numpy()``
(which also count the host-side ``.numpy()`` after a ``.cpu()``: an upper bound), for one
``BalancedSubcluster(random_state=0).fit`` of each of ``cluster.py``'s two shapes. With
``--against REV`` the same counts for the package at git revision REV (a temporary worktree, its
own process), and the ratios.
"""

from __future__ import annotations

import argparse
import json
import sys

from _common import ROOT, in_fresh_process, tree_at, write


def count() -> dict:
    """Operations and reads of one balanced fit per shape, for the package on ``sys.path``."""
    import pytest
    import torch
    from cluster import SHAPES, embedding

    sys.path.insert(0, str(ROOT / "tests"))
    from test_host_syncs import HostSyncs, _count_reads

    from sklearn_ltdd import BalancedSubcluster

    class Counted(HostSyncs):
        def __init__(self):
            super().__init__()
            self.ops = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            self.ops += not func.is_view
            return super().__torch_dispatch__(func, types, args, kwargs)

    result = {}
    for n_head, n_tail in SHAPES:
        X, y = (torch.from_numpy(a) for a in embedding(n_head, n_tail))
        counted = Counted()
        with pytest.MonkeyPatch.context() as patch:
            _count_reads(counted, patch)
            with counted:
                model = BalancedSubcluster(random_state=0).fit(X, y)
        result[f"{n_head}/{n_tail}"] = {
            "ops": counted.ops,
            "reads": counted.count,
            "subclusters": model.n_subclusters_per_class_.tolist(),
            "iterations": model.n_iter_per_class_.tolist(),
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default=None, help="a git revision to count too")
    parser.add_argument("--name", default="cluster_launches", help="results file name")
    parser.add_argument("--count", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.count:
        print(json.dumps(count()))
        return
    trees = {"this tree": in_fresh_process(__file__, ["--count"], str(ROOT))}
    if args.against:
        with tree_at(args.against) as old:
            trees = {args.against: in_fresh_process(__file__, ["--count"], old), **trees}
    lines = ["| tree | shape (head/tail) | sub-clusters | iterations | aten ops | device reads |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    for name, shapes in trees.items():
        for shape, c in shapes.items():
            lines.append(f"| {name} | {shape} | {c['subclusters']} | {c['iterations']} | {c['ops']:,} | "
                         f"{c['reads']:,} |")  # fmt: skip
    if args.against:
        old, new = trees[args.against], trees["this tree"]
        for shape in new:
            lines.append(f"\n{shape}: this tree ÷ {args.against}: aten ops "
                         f"**{new[shape]['ops'] / old[shape]['ops']:.2f}×**, device reads "
                         f"**{new[shape]['reads'] / old[shape]['reads']:.2f}×**")  # fmt: skip
    write(args.name, {"trees": trees}, "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
