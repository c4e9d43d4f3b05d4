"""Where the time of an LTDD training step and of a re-clustering goes, on a GPU (or the CPU).

Run: ``python benchmarks/gpu_profile.py [--batch-size 2048] [--molecules 20000]``. The paper's
network (as ``train.py``) on real HIV molecules, three epochs, re-clustered at the start of each;
the third epoch's training pass and its re-clustering run under ``torch.profiler`` (CPU and, on a
GPU, CUDA activity), the second epoch's training pass without it (the profiler's own cost per
operation is not small where a step is bound by launching operations). For each profiled part,
timed inside the profiler and counted over the measured range's time on every thread: wall time;
the device's busy time (its kernels', copies' and fills' durations summed) and so how much of
the wall the device was busy; kernel launches and the host's time in them; the waits for the
device (stream, device and event synchronisations) and the copies (``cudaMemcpyAsync``, where a
copy to the host waits), with their time; allocations (cudaMalloc, cudaHostAlloc); the top-level
aten operations; and what took the most of the host's time. A launch-bound step shows a busy
fraction far below 1 and a host time per step close to its wall.
"""

from __future__ import annotations

import argparse
import math
import time
from collections import Counter
from contextlib import nullcontext

import torch
from _common import hiv_sample, write
from torch.profiler import ProfilerActivity, profile, record_function

#: CUDA runtime and driver calls, by what they cost the host; a copy to pageable host memory
#: (``.cpu()``, ``.item()``) waits for the device inside ``cudaMemcpyAsync``
LAUNCHES = ("cudaLaunchKernel", "cudaLaunchKernelExC", "cuLaunchKernel", "cuLaunchKernelEx")
WAITS = ("cudaStreamSynchronize", "cudaDeviceSynchronize", "cudaEventSynchronize", "cudaMemcpy")
COPIES = ("cudaMemcpyAsync",)
ALLOCATIONS = ("cudaMalloc", "cudaFree", "cudaHostAlloc", "cudaFreeHost")
RUNTIME = LAUNCHES + WAITS + COPIES + ALLOCATIONS
#: the range around what is measured: the profiler's own start and stop, and this script's
#: synchronisation around it, are outside
MEASURED = "measured"


def _window(events) -> tuple[float, float]:
    """The measured range's start and end: events are counted by time, on every thread (on a
    GPU the backward pass runs on autograd's own thread, outside the range's tree of calls)."""
    cpu = torch.autograd.DeviceType.CPU
    ranges = [e.time_range for e in events if e.name == MEASURED and e.device_type == cpu]
    if not ranges:  # a profiler that did not record the range: count everything it saw
        return -math.inf, math.inf
    return min(r.start for r in ranges), max(r.end for r in ranges)


def summarise(prof, wall_s: float, steps: int, cuda: bool) -> dict:
    """The figures of one profiled part (see the module docstring)."""
    runtime, runtime_us, host_us = Counter(), Counter(), Counter()
    device_us, top_level, threads = 0.0, 0, set()
    events = prof.events()
    start, end = _window(events)
    for event in events:
        name = event.name
        if event.device_type == torch.autograd.DeviceType.CUDA:
            if not event.is_user_annotation:  # a kernel, copy or fill (not a range drawn over them)
                device_us += event.time_range.elapsed_us()
            continue
        if not start <= event.time_range.start <= event.time_range.end <= end or name == MEASURED:
            continue
        threads.add(event.thread)
        if name in RUNTIME:
            runtime[name] += 1
            runtime_us[name] += event.time_range.elapsed_us()
            host_us[name] += event.time_range.elapsed_us()
        elif name.startswith("aten::"):
            host_us[name] += event.self_cpu_time_total
            parent = event.cpu_parent
            while parent is not None and not parent.name.startswith("aten::"):
                parent = parent.cpu_parent
            top_level += parent is None
    launches = sum(runtime[name] for name in LAUNCHES)
    figures = {"wall_s": wall_s, "top_level_aten_ops": top_level, "threads": len(threads)}
    if cuda:
        figures.update(
            device_busy_s=device_us / 1e6,
            device_busy_fraction=device_us / 1e6 / wall_s,
            kernel_launches=launches,
            launch_s=sum(runtime_us[name] for name in LAUNCHES) / 1e6,
            waits={name: runtime[name] for name in WAITS if runtime[name]},
            wait_s=sum(runtime_us[name] for name in WAITS) / 1e6,
            copies=sum(runtime[name] for name in COPIES),
            copy_s=sum(runtime_us[name] for name in COPIES) / 1e6,
            allocations={name: runtime[name] for name in ALLOCATIONS if runtime[name]},
        )
    if steps:
        figures.update(
            steps=steps, ms_per_step=1000 * wall_s / steps, top_level_aten_ops_per_step=top_level / steps
        )
        if cuda:
            figures["launches_per_step"] = launches / steps
    figures["most_host_time_ms"] = {name: us / 1000 for name, us in host_us.most_common(12)}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=2048)
    parser.add_argument("--molecules", type=int, default=20_000)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--name", default=None, help="results file name (default gpu-profile-b<batch>)")
    args = parser.parse_args()
    from sklearn_ltdd import LTDDClassifier, SmilesGraphizer, SubclusterSchedule
    from sklearn_ltdd.classifier import PAPER_PROTOCOL, _ltdd_schedule, _net

    smiles, y = hiv_sample(args.molecules)
    graphs = SmilesGraphizer(n_jobs=-1, fingerprint=None).fit_transform(
        smiles
    )  # (the paper's model has none)
    cuda = torch.device(args.device).type == "cuda"
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    found: dict = {}

    def timed(part: str, call, steps: int = 0, profiled: bool = True) -> None:
        with profile(activities=activities) if profiled else nullcontext() as prof:
            if cuda:
                torch.cuda.synchronize()
            start = time.perf_counter()  # inside: the profiler's start and stop are not timed
            with record_function(MEASURED) if profiled else nullcontext():
                call()
            if cuda:
                torch.cuda.synchronize()
            wall = time.perf_counter() - start
        if profiled:
            found[part] = summarise(prof, wall, steps, cuda)
        else:
            found[part] = {"wall_s": wall, "steps": steps, "ms_per_step": 1000 * wall / steps}

    run_epoch = _net.LTDDNet.run_single_epoch
    update = _ltdd_schedule.Recluster.update

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        epoch = len(self.history) - 1
        if not training or epoch == 0:
            return run_epoch(self, iterator, training, prefix, step_fn, **fit_params)
        part = "training pass, profiled" if epoch == 2 else "training pass, not profiled"
        go = lambda: run_epoch(self, iterator, training, prefix, step_fn, **fit_params)  # noqa: E731
        timed(part, go, steps=len(iterator), profiled=epoch == 2)

    def profiled_update(self, net, dataset, epoch):
        if epoch < 2:
            return update(self, net, dataset, epoch)
        timed("re-clustering, profiled", lambda: update(self, net, dataset, epoch))

    _net.LTDDNet.run_single_epoch = run_single_epoch
    _ltdd_schedule.Recluster.update = profiled_update
    schedule = SubclusterSchedule(warmup_epochs=0, update_every=1)
    params = {**PAPER_PROTOCOL, "max_epochs": 3, "schedule": schedule, "validation_fraction": 0.0}
    params.update(batch_size=args.batch_size, lr=1e-3 * (args.batch_size / 128) ** 0.5)
    LTDDClassifier(**params, device=args.device, random_state=0).fit(graphs, y)
    name = args.name or f"gpu-profile-b{args.batch_size}"
    result = {"batch_size": args.batch_size, "molecules": len(smiles), "device": args.device, **found}
    lines = [f"{len(smiles):,} HIV molecules, batch {args.batch_size}, {args.device}:"]
    for part, figures in found.items():
        shown = ", ".join(f"{key} {value:.4g}" if isinstance(value, float) else f"{key} {value}"
                          for key, value in figures.items() if key != "most_host_time_ms")  # fmt: skip
        lines.append(f"- {part}: {shown}")
        if "most_host_time_ms" in figures:
            top = ", ".join(f"{op} {ms:.1f}" for op, ms in list(figures["most_host_time_ms"].items())[:8])
            lines.append(f"  most host time (ms): {top}")
    write(name, result, "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
