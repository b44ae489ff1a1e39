#!/usr/bin/env python3
"""CPU hedging speed of two builds on one machine, measured in one run.

Issue 10 asks that the CPU backend does not get slower while the GPU kernel changes. Timings of two builds
taken at different times on a shared machine do not compare, so this runs bench_hedging of a reference
build and of a candidate build alternately (ref, new, ref, new, ...), ROUNDS times each, and reports per
configuration the best rate of each build, their ratio, and each build's speed-up over QuantLib per core
(the QuantLib loop is re-measured in every round, so the ratio is against a reference of the same run).

usage: bench/compare_cpu_hedging.py REF_BENCH NEW_BENCH --markdown OUT.md [--rounds 3] [--paths 20000]
"""
import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time


def rows(markdown, section):
    """Rows (lists of stripped cells) of the first table after the heading that starts with section."""
    out, on = [], False
    for line in markdown.splitlines():
        if line.startswith("## "):
            on = line.startswith(section)
            continue
        if on and line.startswith("|"):
            if not set(line) <= set("|-: "):
                out.append([c.strip() for c in line.strip().strip("|").split("|")])
        elif on and out:
            break  # the first table only
    return out


def rows_all(markdown, section):
    """Rows of every table under the heading that starts with section."""
    out, on = [], False
    for line in markdown.splitlines():
        if line.startswith("## "):
            on = line.startswith(section)
        elif on and line.startswith("|") and not set(line) <= set("|-: "):
            out.append([c.strip() for c in line.strip().strip("|").split("|")])
    return out


def rate(cell):
    """'29.71 M' -> 29.71e6."""
    m = re.match(r"([0-9.]+) M", cell)
    if not m:
        raise ValueError(f"not a rate: {cell!r}")
    return float(m.group(1)) * 1e6


def measure(binary, args, log):
    with tempfile.TemporaryDirectory() as tmp:
        md = os.path.join(tmp, "report.md")
        cmd = [binary, *args, "--markdown", md]
        r = subprocess.run(cmd, capture_output=True, text=True)
        log.write(f"$ {' '.join(cmd)}\n{r.stdout}{r.stderr}\n")
        if r.returncode != 0:
            sys.exit(f"compare_cpu_hedging: {binary} failed with exit {r.returncode}:\n{r.stderr}")
        text = open(md).read()
    cpu = rows(text, "## CPU backend")
    ql = {(r[0], r[1]): r for r in rows_all(text, "## QuantLib peer") if len(r) >= 4 and r[3]}
    result = {}
    for r in cpu[1:]:
        key = r[0]
        result[key] = {"1 thread": rate(r[2]), "all threads": rate(r[4]), "threads header": cpu[0][4]}
    # The speed-up over QuantLib's loop per core, 1 thread, like for like (and the build's x86-64-v3
    # loops, what a CPU without AVX-512 runs, e.g. the CI machine's).
    for key, (ours, theirs) in {"8 (standard case)": ("8 policies (standard case)", "8 policies"),
                                "1 (every_step)": ("1 policy (every_step)", "1 policy")}.items():
        if key in result and (ours, theirs) in ql:
            result[key]["x QuantLib per core"] = float(ql[(ours, theirs)][3])
    v3 = ql.get(("8 policies, x86-64-v3 loops", "8 policies"))
    if v3 and "8 (standard case)" in result:
        result["8 (standard case)"]["x QuantLib per core, x86-64-v3 loops"] = float(v3[3])
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ref")
    ap.add_argument("new")
    ap.add_argument("--markdown", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--paths", type=int, default=20000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--ql-seconds", type=float, default=8)
    ap.add_argument("--ref-label", default="reference")
    ap.add_argument("--new-label", default="candidate")
    a = ap.parse_args()
    args = ["--paths", str(a.paths), "--reps", str(a.reps), "--ql-seconds", str(a.ql_seconds), "--no-cuda", "--no-memory"]
    best = {"ref": {}, "new": {}}
    log_path = os.path.splitext(a.markdown)[0] + ".log"
    start = time.time()
    load0 = os.getloadavg()
    with open(log_path, "w") as log:
        for i in range(a.rounds):
            for which, binary in (("ref", a.ref), ("new", a.new)):
                m = measure(binary, args, log)
                print(f"round {i + 1}, {which}: " + ", ".join(f"{k}: {v['1 thread'] / 1e6:.2f} M" for k, v in m.items()),
                      flush=True)
                for key, vals in m.items():
                    b = best[which].setdefault(key, {})
                    for f, v in vals.items():
                        b[f] = v if isinstance(v, str) else max(b.get(f, 0.0), v)
    cpu = "?"
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    lines = [
        "# CPU hedging speed: reference build vs candidate, same machine, same run",
        "",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}; {a.rounds} rounds, builds alternating; "
        f"{time.time() - start:.0f} s in all; load average at start {load0[0]:.2f}, at end {os.getloadavg()[0]:.2f}",
        f"- Machine: {cpu}, {os.cpu_count()} hardware threads, {platform.system()} {platform.release()}",
        f"- {a.ref_label}: `{a.ref}`",
        f"- {a.new_label}: `{a.new}`",
        f"- Each call: `bench_hedging {' '.join(args)}` (best of --reps calls each); the table takes the best of the "
        f"{a.rounds} rounds per build. Rates are path-steps/s of a whole `run_hedging_job` (the standard Bates case, "
        "float32 paths); × QuantLib per core compares the 1-thread rate with QuantLib's loop measured in the same call.",
        f"- Log of every call: `{os.path.basename(log_path)}`",
        "",
        f"| policies | threads | {a.ref_label} | {a.new_label} | {a.new_label} ÷ {a.ref_label} |",
        "|---|---|---|---|---|",
    ]
    for key in best["ref"]:
        r, n = best["ref"][key], best["new"].get(key)
        if n is None:
            continue
        for f, label in (("1 thread", "1"), ("all threads", r["threads header"].split(" ")[0])):
            lines.append(f"| {key} | {label} | {r[f] / 1e6:.2f} M | {n[f] / 1e6:.2f} M | {n[f] / r[f]:.3f} |")
        for f in ("x QuantLib per core", "x QuantLib per core, x86-64-v3 loops"):
            if f in r and f in n:
                lines.append(f"| {key} | {f.replace('x ', '× ', 1)} (1 thread) | {r[f]:.1f} | {n[f]:.1f} | |")
    text = "\n".join(lines) + "\n"
    with open(a.markdown, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
