"""Read saved pytest-benchmark runs; print each candidate's speed as a ratio, check the targets, plot.

    python benchmarks/saved_runs.py                  # the newest run of each machine in benchmarks/history
    python benchmarks/saved_runs.py RUN.json --plot docs/tensor_dot_speed.png

Ratios are ``reference time / candidate time`` (minimum times) within one run (above 1:
faster than the reference), so the machine's noise between runs cancels out.
Exits 1 when a target of the performance issue is missed.
"""

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

HISTORY = Path(__file__).with_name("history")
LAB_GROUP = "the lab's training, 10 seeds per configuration, cpu"
EPOCH_GROUP = "epoch of the report's recipe, cpu"
# each group's candidate and the floor beneath it: its products on float32 kernels ("products_medium" multiplies in
# bfloat16 on a CPU with AMX, so it is no float32 floor)
FLOAT32_FLOORS = {LAB_GROUP: ("lab", {"products_bmm", "products_mm"}), EPOCH_GROUP: ("in_memory", {"products"})}
LAB_TARGET = 1.6  # the lab's training against its float32 products floor (issue 15's target)
CHECK_GROUP, CHECK_TARGET = "nnlab check, report sections 1-3, --jobs 1", 30.0  # seconds for one submission
CLASS_SIZE = 20
CLASS_GROUP, CLASS_TARGET = f"nnlab check, a class of {CLASS_SIZE}, report sections 1-3, --jobs 2", 60.0  # seconds
FAST_RECIPE_GROUP = "report's architecture to 0.88 test accuracy, cpu"
CUDA_RECIPE_GROUP = "report's recipe, 10 epochs, cuda"
CUDA_LAB_GROUP = "the lab's training, 10 seeds per configuration, cuda"
CUDA_MASKS_GROUP = "an epoch's dropout masks, 10 runs, cuda"
# (group, seconds, test accuracy): a whole training run's targets, the fastest candidate's time and its accuracy
RUN_TARGETS = [(FAST_RECIPE_GROUP, 5.0, 0.88), (CUDA_RECIPE_GROUP, 1.0, 0.87)]


def newest_runs() -> list[Path]:
    """The newest saved run in each machine's folder (pytest-benchmark numbers runs per folder)."""
    runs = [max(folder.glob("*.json"), key=lambda p: p.name, default=None) for folder in sorted(HISTORY.iterdir())]
    runs = [run for run in runs if run is not None]
    if not runs:
        sys.exit(f"No saved run under {HISTORY}; run: python -m pytest benchmarks --benchmark-autosave")
    return runs


def fastest_times(run: dict) -> dict[str, dict[str, float]]:
    """``{group: {candidate: minimum seconds per call}}``.

    The minimum, as ``timeit`` advises: on a shared machine noise only ever adds time. On the H100 machine the
    medians of launch-bound shapes moved by 1.5x between two candidates that run the same kernels.
    """
    table: dict[str, dict[str, float]] = defaultdict(dict)
    for bench in run["benchmarks"]:
        calls = bench["extra_info"].get("calls", 1)
        table[bench["group"]][bench["extra_info"]["candidate"]] = bench["stats"]["min"] / calls
    return table


def tensor_dot_rows(table) -> list[dict]:
    rows = []
    for group, times in table.items():
        if not group.startswith("tensor_dot"):
            continue
        _, device, passes, *sizes = group.split()
        b, n, k = (int(s.split("=")[1]) for s in sizes)
        best = min(t for name, t in times.items() if name != "matmul")
        rows.append(
            {
                "device": device,
                "pass": passes,
                "shape": (b, n, k),
                "flops": (6 if passes == "forward+backward" else 2) * b * n * n * k,
                "vs_einsum": {name: times["einsum"] / t for name, t in times.items() if name != "matmul"},
                "vs_matmul": {name: times["matmul"] / t for name, t in times.items() if name != "matmul"},
                "vs_best": {name: best / t for name, t in times.items() if name != "matmul"},
                "seconds": times,
            }
        )
    return sorted(rows, key=lambda r: (r["device"], r["pass"], r["shape"]))


def tensor_dot_misses(rows, default: str = "auto") -> list[str]:
    """The einsum layer's targets, each a ratio from one run; returns the misses."""
    misses = []
    for row in rows:
        shape, speed = row["shape"], row["vs_einsum"][default]
        if row["device"] == "cpu" and row["pass"] == "forward+backward":
            if speed < 1:
                misses.append(f"{shape}: {default} is slower than the report's einsum ({speed:.2f}x)")
            if shape == (256, 64, 64) and speed < 1.4:
                misses.append(f"{shape}: {default} is {speed:.2f}x the einsum, target 1.4x")
            if row["flops"] >= 1e8 and row["vs_matmul"][default] < 0.6:
                misses.append(
                    f"{shape}: {default} runs at {row['vs_matmul'][default]:.2f} of a same-FLOP matmul, target 0.6"
                )
        if row["device"] == "cuda" and row["vs_best"][default] < 1 / 1.1:
            misses.append(f"cuda {row['pass']} {shape}: {default} is {1 / row['vs_best'][default]:.2f}x the fastest")
    return misses


def check_targets(rows, table, run: dict) -> list[str]:
    """The performance issues' targets, each a ratio from this run; returns the misses."""
    misses = tensor_dot_misses(rows)
    lab = table.get(LAB_GROUP, {})
    floors = {name: seconds for name, seconds in lab.items() if name in FLOAT32_FLOORS[LAB_GROUP][1]}
    if "lab" in lab and floors:
        ratio = lab["lab"] / min(floors.values())
        if ratio > LAB_TARGET:
            misses.append(
                f"the lab's training took {ratio:.2f}x its matrix products on the fastest float32 kernels"
                f" ({min(floors, key=floors.get)}); target {LAB_TARGET}x"
            )
    misses += run_target_misses(run)
    check = table.get(CHECK_GROUP, {}).get("nnlab check")
    if check is not None and check > CHECK_TARGET:
        misses.append(f"nnlab check took {check:.1f} s for one submission of sections 1-3; target {CHECK_TARGET:g} s")
    batch = table.get(CLASS_GROUP, {}).get("nnlab check")
    if batch is not None and batch > CLASS_TARGET:
        misses.append(f"nnlab check took {batch:.1f} s for a class of {CLASS_SIZE}; target {CLASS_TARGET:g} s")
    return misses


def run_target_misses(run: dict) -> list[str]:
    """RUN_TARGETS: the fastest candidate of each group in ``run`` within its time, at its accuracy or above."""
    misses = []
    for group, most_seconds, least_accuracy in RUN_TARGETS:
        benches = [bench for bench in run["benchmarks"] if bench["group"] == group]
        if benches:
            fastest = min(benches, key=lambda bench: bench["stats"]["min"])
            seconds, accuracy = fastest["stats"]["min"], fastest["extra_info"]["test_acc"]
            if seconds > most_seconds or accuracy < least_accuracy:
                misses.append(
                    f"{group}: {seconds:.2f} s at best ({fastest['extra_info']['candidate']}) to {accuracy:.4f} test"
                    f" accuracy; target {most_seconds:g} s and {least_accuracy}"
                )
    return misses


def plot(rows, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    devices = sorted({r["device"] for r in rows})
    fig, axes = plt.subplots(len(devices), 2, figsize=(13, 4.5 * len(devices)), squeeze=False)
    for device, device_axes in zip(devices, axes):
        for ax, passes in zip(device_axes, ("forward", "forward+backward")):
            selected = [r for r in rows if r["pass"] == passes and r["device"] == device]
            labels = ["b{} n{} k{}".format(*r["shape"]) for r in selected]
            for name in selected[0]["vs_einsum"] if selected else []:
                ax.plot(labels, [r["flops"] / r["seconds"][name] / 1e9 for r in selected], marker="o", label=name)
            flops = [r["flops"] / r["seconds"]["matmul"] / 1e9 for r in selected]
            ax.plot(labels, flops, "k--", label="same-FLOP matmul")
            ax.set_title(f"TensorDot {passes}, {device}")
            ax.set_xlabel("shape (batch, in, out)")
            ax.set_ylabel("GFLOP/s (higher is faster)")
            ax.tick_params(axis="x", rotation=30)
            ax.grid(alpha=0.3)
        device_axes[0].legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)


def print_ratios(path: Path) -> tuple[list[dict], list[str]]:
    """Print one saved run's ratios; return its TensorDot rows and its missed targets."""
    run = json.loads(path.read_text())
    table = fastest_times(run)
    rows = tensor_dot_rows(table)
    print(f"\n{path} ({run['machine_info'].get('cpu', {}).get('brand_raw', '?')}, {run['datetime']})")
    if rows:
        others = [name for name in rows[0]["vs_einsum"] if name != "einsum"]
        print(
            "\n| device | pass | shape (b, n, k) | "
            + " | ".join(f"{name} vs einsum" for name in others)
            + " | auto vs fastest | auto vs same-FLOP matmul |"
        )
        print("|---" * (5 + len(others)) + "|")
        for row in rows:
            ratios = " | ".join(f"{row['vs_einsum'][name]:.2f}x" for name in others)
            print(
                f"| {row['device']} | {row['pass']} | {row['shape']} | {ratios} | {row['vs_best']['auto']:.2f}"
                f" | {row['vs_matmul']['auto']:.2f} |"
            )
    for group, times in table.items():
        if not group.startswith("tensor_dot"):
            reference = max(times.values())
            print(f"\n{group}: " + ", ".join(f"{name} {t:.3f} s ({reference / t:.1f}x)" for name, t in times.items()))
    for group, (candidate, floors) in FLOAT32_FLOORS.items():
        times = table.get(group, {})
        if candidate in times and floors & times.keys():
            floor = min(times[name] for name in floors & times.keys())
            print(f"{group}: {candidate} is {times[candidate] / floor:.2f}x its matrix products at float32")
    return rows, check_targets(rows, table, run)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="*", type=Path, help="saved runs (default: each machine's newest in history)")
    parser.add_argument("--plot", type=Path, help="write the speed-against-shape figure here")
    args = parser.parse_args()
    rows, misses = [], []
    for path in args.runs or newest_runs():
        run_rows, run_misses = print_ratios(path)
        rows += run_rows
        misses += run_misses
    if args.plot:
        plot(rows, args.plot)
    print("\nTargets: " + ("all met." if not misses else "missed:\n  " + "\n  ".join(misses)))
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
