#!/usr/bin/env python3
"""Command-line fuzzer of hedgesim (issue 11; docs/testing.md "Fuzzing").

Each case runs the built binary in a fresh folder holding a copy of tests/bad_inputs (small valid
configs and data files), with a command line drawn from the commands' flags and awkward values, and
with one of the folder's configs or data files mutated (a value replaced, a key misspelt, a line
dropped, doubled or re-indented, bytes inserted, the file cut short). The contract it checks:

  - the process exits 0, 2 (bad input) or 3 (runtime failure): never a signal, never another code;
  - on a non-zero exit the output path is as it was (absent stays absent, an existing file keeps its
    bytes) and no temporary file (*.tmp-*) is left in the folder;
  - on exit 0, stdout holds no nan or inf, and with --json it is one JSON document.

A case that runs past --timeout seconds is killed and printed as SLOW, not counted as a failure (a
valid config can ask for a long run); read them: a hang looks the same. Cases are drawn from --seed, so a run is repeatable; a failing case is
printed with its command line and the mutated file's text, and its folder kept under --findings.
Exit status: 0 when every case kept the contract, 1 otherwise.
"""
import argparse
import concurrent.futures
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

# Values that broke or nearly broke parsers somewhere: signs, zero, extremes of double and of 32- and
# 64-bit integers, non-numbers, YAML's special scalars and syntax, empty and long text.
AWKWARD = [
    "", "0", "-0", "1", "2", "-1", "-5", "1.5", "0.5", "1e308", "-1e308", "1e-308", "5e-324", "1e400",
    ".nan", ".inf", "-.inf", "nan", "inf", "NaN", "0x10", "0o17", "1_000", "2147483648", "4294967296",
    "18446744073709551615", "18446744073709551616", "99999999999999999999999", "true", "false", "null",
    "~", "[]", "{}", "[1, 2]", "{a: 1}", "'", '"', "'unterminated", "abc", "é", "\t", " ", "*alias",
    "&anchor x", "!!binary AA==", "A" * 4096, "1e5", "100000", "1000", "3", "24", "-24", "0.0001",
]
BACKENDS = ["auto", "cpu", "cuda", "gpu", ""]
PRECISIONS = ["float32", "float64", "float16", "double", ""]

COMMON = {
    "--paths": lambda r: r.choice(["2", "3", "50", "200"] + AWKWARD),
    "--seed": lambda r: r.choice(["0", "7", "42"] + AWKWARD),
    "--backend": lambda r: r.choice(BACKENDS + AWKWARD[:8]),
    "--threads": lambda r: r.choice(["0", "1", "2", "1024", "1025"] + AWKWARD),
    "--devices": lambda r: r.choice(["0", "all", "0,1", "1", "-1", "", "0,0", "abc"]),
    "--precision": lambda r: r.choice(PRECISIONS + AWKWARD[:6]),
}
COMMANDS = {
    "price": dict(COMMON),
    "run": dict(COMMON),
    "optimise": dict(COMMON),
    "optimize": dict(COMMON),
    "backtest": dict(COMMON, **{
        "--prices": lambda r: r.choice(["prices.csv", "prices_all_bad.csv", "empty.csv", "gas.csv",
                                        "missing.csv", "", ".", "binary.bin"]),
        "--funding": lambda r: r.choice(["funding.csv", "prices.csv", "empty.csv", "missing.csv", ""]),
        "--gas": lambda r: r.choice(["gas.csv", "funding.csv", "empty.csv", ""]),
        "--on-bad-data": lambda r: r.choice(["fail", "skip", "drop", ""]),
    }),
    "calibrate": {
        "--model": lambda r: r.choice(["gbm", "heston", "bates", "svcj", "sabr", ""]),
        "--currency": lambda r: r.choice(["BTC", "ETH", "btc", "SOL", ""]),
        "--min-days": lambda r: r.choice(["0", "7", "30", "-1", "1e308", "nan", "abc", ""]),
        "--max-days": lambda r: r.choice(["365", "1", "0", "-5", "inf", ""]),
        "--min-moneyness": lambda r: r.choice(["0.5", "0", "-1", "2", "nan"]),
        "--max-moneyness": lambda r: r.choice(["2", "0.5", "1e308", "0"]),
        "--weights": lambda r: r.choice(["none", "vega", "spread", "both"]),
        "--space": lambda r: r.choice(["vol", "price", "iv"]),
        "--starts": lambda r: r.choice(["1", "2", "0", "65", "-1", "abc"]),
    },
}
FLAGS_WITHOUT_VALUE = ["--json", "--no-model-check", "--help", "--version", "--nope"]
CONFIGS = {
    "price": ["run.yaml", "bates.yaml"],
    "run": ["run.yaml", "bates.yaml"],
    "optimise": ["opt.yaml"],
    "optimize": ["opt.yaml"],
    "backtest": ["bt.yaml", "bt_gas.yaml"],
    "calibrate": ["chain.csv", "chain_one_row.csv"],
}
OTHER_INPUTS = ["empty.yaml", "binary.bin", "list.yaml", "scalar.yaml", "missing.yaml", ".", "/dev/null",
                "two_docs.yaml", "open_quote.yaml", "tab_indent.yaml"]
NAN_WORD = re.compile(r"(?<![A-Za-z_])-?(nan|inf|infinity)(?![A-Za-z_])", re.IGNORECASE)
VALUE = re.compile(r"(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*:[ \t]*(?P<value>[^,{}\[\]\n#]*[^,{}\[\]\n# \t])")


def mutate_text(text, r):
    """One structural edit of a YAML or CSV file's text."""
    lines = text.split("\n")
    kind = r.randrange(9)
    if kind <= 2:  # replace a value (the most telling edit)
        spans = list(VALUE.finditer(text))
        if not spans and text:
            spans = list(re.finditer(r"[0-9.eE+-]+", text))
            if spans:
                m = r.choice(spans)
                return text[:m.start()] + r.choice(AWKWARD) + text[m.end():]
        if spans:
            m = r.choice(spans)
            return text[:m.start("value")] + r.choice(AWKWARD) + text[m.end("value"):]
    if kind == 3:  # misspell or change a key
        spans = list(VALUE.finditer(text))
        if spans:
            m = r.choice(spans)
            key = m.group("key")
            new = r.choice([key[:-1], key + "s", key.upper(), "paths", "type", "model", "x" * 300])
            return text[:m.start("key")] + new + text[m.end("key"):]
    if kind == 4 and lines:  # drop a line
        del lines[r.randrange(len(lines))]
    elif kind == 5 and lines:  # double a line (duplicate keys, duplicate rows)
        i = r.randrange(len(lines))
        lines.insert(i, lines[i])
    elif kind == 6 and lines:  # re-indent a line
        i = r.randrange(len(lines))
        lines[i] = r.choice(["", " ", "  ", "\t", "      "]) + lines[i].lstrip()
    elif kind == 7:  # insert raw bytes
        at = r.randrange(len(text) + 1)
        junk = "".join(chr(r.choice([0, 1, 9, 10, 13, 34, 39, 44, 58, 91, 123, 127, 0xE9, 0xFEFF]))
                       for _ in range(r.randrange(1, 6)))
        return text[:at] + junk + text[at:]
    elif kind == 8:  # cut the file short
        return text[: r.randrange(len(text) + 1)]
    return "\n".join(lines)


def draw_case(r):
    """A command line and the edits of one case, as plain data (printable, repeatable)."""
    command = r.choice(list(COMMANDS) + ["list", "runn", "", "--version", "--help", "price run.yaml extra"])
    if command == "list":  # the key reference: a topic, a wrong one, or none
        return {"argv": ["list"] + r.choice([[], ["keys"], ["models"], ["policies"], ["costs"], ["modles"], [""],
                                             ["keys", "extra"], ["--json"]]),
                "mutate": None, "mutation_seed": 0}
    flags = COMMANDS.get(command, {})
    argv = [command] if command else []
    configs = CONFIGS.get(command, ["run.yaml"])
    input_name = r.choice(configs) if r.random() < 0.9 else r.choice(OTHER_INPUTS)
    if r.random() < 0.97:
        argv.append(input_name)
    mutate = None
    if r.random() < 0.75:
        mutate = r.choice(sorted(set(configs + ["prices.csv", "funding.csv", "gas.csv", "chain.csv"])))
    chosen = r.sample(sorted(flags), k=min(len(flags), r.choice([0, 1, 1, 2, 3]))) if flags else []
    for flag in chosen:
        value = flags[flag](r)
        argv += [flag, value] if r.random() < 0.9 else [f"{flag}={value}"]
    if command in ("price", "run", "optimise", "optimize", "backtest") and "--paths" not in chosen:
        # Small runs; optimise needs 200 paths for its standard errors.
        argv += ["--paths", "200" if command.startswith("optimi") else "40"]
    if r.random() < 0.15:
        argv.append(r.choice(FLAGS_WITHOUT_VALUE))
    if command in ("run", "optimise", "optimize", "backtest", "calibrate") and r.random() < 0.9:
        argv += ["--out", r.choice(["out.h5", "out.h5", "existing.h5", "link.h5", "sub", "no/such/dir/out.h5", ""])]
    return {"argv": argv, "mutate": mutate, "mutation_seed": r.getrandbits(32)}


def prepare(folder, data, case):
    shutil.copytree(data, folder, dirs_exist_ok=True)
    with open(os.path.join(folder, "existing.h5"), "wb") as f:
        f.write(b"an existing results file\n")
    os.symlink("existing.h5", os.path.join(folder, "link.h5"))
    os.mkdir(os.path.join(folder, "sub"))
    if case["mutate"]:
        path = os.path.join(folder, case["mutate"])
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
        text = mutate_text(text, random.Random(case["mutation_seed"]))
        with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write(text)


def snapshot(folder):
    """Every file's bytes, but the inputs' (which the run must not touch either)."""
    state = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            rel = os.path.relpath(path, folder)
            state[rel] = None if os.path.islink(path) else open(path, "rb").read()
    return state


def run_case(binary, data, workdir, index, case, timeout):
    folder = os.path.join(workdir, f"case{index}")
    prepare(folder, data, case)
    before = snapshot(folder)
    started = time.monotonic()
    try:
        proc = subprocess.run([binary] + case["argv"], cwd=folder, capture_output=True, timeout=timeout,
                              env=dict(os.environ, LC_ALL="C"))
    except subprocess.TimeoutExpired:
        shutil.rmtree(folder, ignore_errors=True)
        return index, "slow", []
    seconds = time.monotonic() - started
    problems = []
    rc = proc.returncode
    stdout = proc.stdout.decode("utf-8", "replace")
    if rc < 0:
        problems.append(f"killed by signal {-rc}")
    elif rc not in (0, 2, 3):
        problems.append(f"exit code {rc} (allowed: 0, 2, 3)")
    after = snapshot(folder)
    leftovers = [p for p in after if ".tmp-" in p]
    if leftovers:
        problems.append(f"temporary files left: {leftovers}")
    if rc != 0:
        changed = [p for p in set(before) | set(after) if before.get(p, 0) != after.get(p, 0)]
        if changed:
            problems.append(f"failed run changed files: {sorted(changed)}")
    else:
        # `list` prints the key reference, which names YAML's .inf as a value some keys accept.
        if case["argv"][:1] != ["list"] and NAN_WORD.search(stdout):
            problems.append("exit 0 with nan or inf on stdout")
        if "--json" in case["argv"] and not any(a in case["argv"] for a in ("--help", "--version")):
            try:
                json.loads(stdout)
            except ValueError as e:
                problems.append(f"--json stdout is not one JSON document: {e}")
    if problems:
        problems.append(f"stderr: {proc.stderr.decode('utf-8', 'replace').strip()[-600:]}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return index, f"exit {rc} in {seconds:.2f} s", problems


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary", help="the hedgesim executable")
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "bad_inputs"),
                    help="folder copied into each case's folder (default tests/bad_inputs)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cases", type=int, default=0, help="number of cases (0: until --seconds)")
    ap.add_argument("--seconds", type=float, default=60.0, help="time budget when --cases is 0")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds before a case counts as slow")
    ap.add_argument("--findings", default=None, help="keep failing cases' folders here")
    args = ap.parse_args()

    binary = os.path.abspath(args.binary)
    r = random.Random(args.seed)
    workdir = tempfile.mkdtemp(prefix="hedgesim-cli-fuzz-")
    deadline = time.monotonic() + args.seconds
    codes, failures, slow, done = {}, 0, 0, 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        pending = {}
        index = 0
        while True:
            more = index < args.cases if args.cases else time.monotonic() < deadline
            while more and len(pending) < 2 * args.jobs:
                case = draw_case(r)
                pending[pool.submit(run_case, binary, args.data, workdir, index, case, args.timeout)] = case
                index += 1
                more = index < args.cases if args.cases else time.monotonic() < deadline
            if not pending:
                break
            finished, _ = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
            for fut in finished:
                case = pending.pop(fut)
                i, outcome, problems = fut.result()
                done += 1
                if outcome == "slow":
                    slow += 1
                    print(f"SLOW case {i} (seed {args.seed}): hedgesim {' '.join(repr(a) for a in case['argv'])}"
                          + (f"; mutated {case['mutate']} (mutation seed {case['mutation_seed']})" if case["mutate"] else ""))
                    continue
                code = outcome.split()[1]
                codes[code] = codes.get(code, 0) + 1
                if problems:
                    failures += 1
                    print(f"FAIL case {i} (seed {args.seed}): hedgesim {' '.join(repr(a) for a in case['argv'])}")
                    if case["mutate"]:
                        print(f"  mutated {case['mutate']} (mutation seed {case['mutation_seed']})")
                    for p in problems:
                        print(f"  {p}")
                    if args.findings:
                        dest = os.path.join(args.findings, f"seed{args.seed}-case{i}")
                        shutil.copytree(os.path.join(workdir, f"case{i}"), dest, dirs_exist_ok=True)
                        with open(os.path.join(dest, "COMMAND"), "w") as f:
                            f.write(json.dumps(case) + "\n")
    shutil.rmtree(workdir, ignore_errors=True)
    summary = ", ".join(f"exit {c}: {n}" for c, n in sorted(codes.items()))
    print(f"cli_fuzz: {done} cases (seed {args.seed}); {summary}; slow (over {args.timeout:g} s): {slow}; "
          f"contract broken: {failures}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
