#!/usr/bin/env python3
"""`mpirun -n R hedgesim run|price|optimise|pack` prints the same result as the plain process (issue 12).

For R = 1, 2, 3 each command's --json output (pack: its index.csv) must equal the one-process run's,
every field but the timings, and every rank must exit as the plain process does (also for bad input,
exit 2 with one message). A run over 2 ranks stopped at a checkpoint (exit 4) and resumed prints the
plain process's result too. Usage: mpi_cli_identity.py HEDGESIM MPIEXEC SOURCE_DIR
"""
import csv
import json
import os
import subprocess
import sys
import tempfile

TIMINGS = {"elapsed_s", "path_steps_per_s", "kernel_s", "candidates_per_s", "oos_elapsed_s", "wall_s"}


def strip(o):
    if isinstance(o, dict):
        return {k: strip(v) for k, v in o.items() if k not in TIMINGS}
    if isinstance(o, list):
        return [strip(v) for v in o]
    return o


def main():
    exe, mpiexec, src = sys.argv[1:4]
    cfg = os.path.join(src, "configs")
    tmp = tempfile.mkdtemp(prefix="hedgesim_mpi_cli_")
    cases = {
        "run": ["run", f"{cfg}/btc_short_calls_perp.yaml", "--paths", "9000", "--threads", "1", "--json"],
        "price": ["price", f"{cfg}/price_heston.yaml", "--paths", "9000", "--threads", "1", "--json"],
        "optimise": ["optimise", f"{cfg}/optimise_btc_band.yaml", "--paths", "400", "--threads", "1", "--json"],
        "pack": ["pack", f"{cfg}/packs/nightly_btc.yaml", "--paths", "2000", "--threads", "1"],
    }
    failures = 0
    plain_run = None
    for name, args in cases.items():
        results = {}
        for ranks in (0, 1, 2, 3):
            out = os.path.join(tmp, f"{name}{ranks}")
            extra = {"run": ["--out", out + ".h5"], "optimise": ["--out", out + ".h5"], "pack": ["--out-dir", out],
                     "price": []}[name]
            cmd = ([] if ranks == 0 else [mpiexec, "-n", str(ranks), "--oversubscribe"]) + [exe] + args + extra
            p = subprocess.run(cmd + ["--backend", "cpu"], capture_output=True, text=True, timeout=600)
            if p.returncode != 0:
                print(f"FAIL {name} with {ranks} ranks: exit {p.returncode}\n{p.stderr[-2000:]}")
                failures += 1
                continue
            if name == "pack":
                with open(os.path.join(out, "index.csv"), newline="") as f:
                    results[ranks] = [strip(dict(row)) for row in csv.DictReader(f)]
            else:
                results[ranks] = strip(json.loads(p.stdout))
        if name == "run":
            plain_run = results.get(0)
        for ranks in (1, 2, 3):
            if ranks not in results or 0 not in results:
                continue
            same = results[ranks] == results[0]
            print(f"{'ok  ' if same else 'FAIL'} {name}: mpirun -n {ranks} {'equals' if same else 'differs from'} "
                  f"the plain process")
            failures += 0 if same else 1
    # Checkpoint over 2 ranks: stopped after one batch (exit 4 on every rank, a checkpoint per rank),
    # resumed, it prints what the plain process prints.
    ck = os.path.join(tmp, "ck")
    run = [exe] + cases["run"] + ["--out", os.path.join(tmp, "ck.h5"), "--backend", "cpu", "--checkpoint", ck,
                                  "--checkpoint-batch-paths", "4096"]
    p = subprocess.run([mpiexec, "-n", "2", "--oversubscribe"] + run + ["--stop-after-batches", "1"],
                       capture_output=True, text=True, timeout=600)
    files = sorted(f for f in os.listdir(tmp) if f.startswith("ck.rank"))
    ok = p.returncode == 4 and files == ["ck.rank0of2", "ck.rank0of2.values", "ck.rank1of2", "ck.rank1of2.values"]
    print(f"{'ok  ' if ok else 'FAIL'} checkpoint over 2 ranks: exit {p.returncode} (expected 4), files {files}")
    failures += 0 if ok else 1
    p = subprocess.run([mpiexec, "-n", "2", "--oversubscribe"] + run + ["--resume"], capture_output=True, text=True,
                       timeout=600)
    ok = p.returncode == 0 and strip(json.loads(p.stdout or "{}")) == plain_run
    print(f"{'ok  ' if ok else 'FAIL'} resumed over 2 ranks: exit {p.returncode}, result "
          f"{'equals' if ok else 'differs from'} the plain process")
    failures += 0 if ok else 1

    # Bad input: every rank exits 2, and only rank 0 says why.
    p = subprocess.run([mpiexec, "-n", "3", "--oversubscribe", exe, "run", f"{cfg}/btc_short_calls_perp.yaml",
                        "--paths", "0"], capture_output=True, text=True, timeout=120)
    says = p.stderr.count("error: --paths")
    ok = p.returncode == 2 and says == 1
    print(f"{'ok  ' if ok else 'FAIL'} bad input over 3 ranks: exit {p.returncode} (expected 2), "
          f"{says} error line(s) (expected 1)")
    failures += 0 if ok else 1
    print(f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
