#!/usr/bin/env python3
"""Scaling of `hedgesim run` over MPI ranks (issue 12): wall time of the whole process for 1 … R ranks
of one CPU thread each, against the plain process measured in the same run, and a check that every
layout prints the same result (timings aside).

Usage: bench_cluster.py HEDGESIM [--config CFG] [--paths N] [--ranks 1,2] [--reps 3] [--out FILE.md]
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

TIMINGS = {"elapsed_s", "path_steps_per_s", "kernel_s"}


def strip(o):
    if isinstance(o, dict):
        return {k: strip(v) for k, v in o.items() if k not in TIMINGS}
    if isinstance(o, list):
        return [strip(v) for v in o]
    return o


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main():
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument("hedgesim")
    ap.add_argument("--config", default=os.path.join(here, "configs", "btc_short_calls_perp.yaml"))
    ap.add_argument("--paths", type=int, default=200000)
    ap.add_argument("--ranks", default="1,2")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--out")
    a = ap.parse_args()
    mpiexec = shutil.which("mpirun") or shutil.which("mpiexec")
    if mpiexec is None:
        print("no mpirun: this benchmark needs Open MPI (scripts/install-deps.sh)")
        return 2
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    tmp = tempfile.mkdtemp(prefix="hedgesim_bench_cluster_")
    base = [a.hedgesim, "run", a.config, "--paths", str(a.paths), "--threads", "1", "--backend", "cpu", "--json",
            "--out", os.path.join(tmp, "out.h5")]
    layouts = [("plain process", [])] + [(f"mpirun -n {r}", [mpiexec, "-n", r, "--oversubscribe"])
                                        for r in a.ranks.split(",")]
    load_before = os.getloadavg()[0]
    rows, reference = [], None
    for name, prefix in layouts:
        best, result = None, None
        for _ in range(a.reps):
            t0 = time.perf_counter()
            p = subprocess.run(prefix + base, capture_output=True, text=True, env=env, timeout=3600)
            wall = time.perf_counter() - t0
            if p.returncode != 0:
                print(f"{name}: exit {p.returncode}\n{p.stderr[-2000:]}")
                return 1
            result = strip(json.loads(p.stdout))
            best = wall if best is None else min(best, wall)
        reference = result if reference is None else reference
        rows.append((name, best, result == reference))
        print(f"{name:16s} best of {a.reps}: {best:7.3f} s  same result: {result == reference}")
    plain = rows[0][1]
    steps = reference["steps"]
    lines = [
        "# `hedgesim run` over MPI ranks: scaling on one machine",
        "",
        f"- **machine:** {cpu_model()}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}",
        f"- **date:** {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; load average before: "
        f"{load_before:.2f}, after: {os.getloadavg()[0]:.2f}",
        f"- **command:** `bench/bench_cluster.py {' '.join(sys.argv[1:])}`: `hedgesim run "
        f"{os.path.relpath(a.config, here)} --paths {a.paths} --threads 1 --backend cpu` ({steps} steps), "
        f"whole process, best of {a.reps}; each rank one CPU thread",
        "- **reference:** the plain process (no MPI) in the same run",
        "",
        "| layout | wall s | speed-up vs plain | result identical |",
        "|---|---|---|---|",
    ]
    for name, wall, same in rows:
        lines.append(f"| {name} | {wall:.3f} | {plain / wall:.2f} | {'yes' if same else 'NO'} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    return 0 if all(same for _, _, same in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
