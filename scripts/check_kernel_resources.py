#!/usr/bin/env python3
"""Compiler resource budget for the CUDA hedging kernels (issue 10); Python 3 standard library only.

Two sub-commands:

  capture --  NVCC ARGS...
      A CUDA compiler launcher (CMake's CUDA_COMPILER_LAUNCHER): runs the compile with ptxas -v added
      and writes ptxas's per-kernel report beside the object (`-o X.o` -> `X.o.resources.txt`).
      Other compiler output (warnings, errors) passes through; ptxas's info lines do not.

  check [--report FILE]... [--pattern REGEX] [--max-registers N] [--max-stack B]
        [--max-spill-bytes B] [OBJECT]...
      Reads ptxas -v reports (the capture file of each OBJECT, or any --report) and
      `cuobjdump --dump-resource-usage` output (a --report file, or run on each OBJECT when
      cuobjdump is found), and fails (exit 1) with one line per kernel over budget, for every
      kernel whose name (demangled; mangled when no demangler is found) matches REGEX, on every
      GPU architecture compiled. Finding no matching kernel is a failure too, so a renamed kernel
      cannot slip out of the budget.

Budgets per thread: registers, stack (the larger of ptxas's stack frame and cumulative stack size,
or cuobjdump's STACK), spill stores and spill loads (bytes, from ptxas only: cuobjdump shows none).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

# ptxas -v (or nvcc --resource-usage) lines.
RE_ENTRY = re.compile(r"ptxas info\s*: Compiling entry function '([^']+)' for '(sm_\w+)'")
RE_PROPS = re.compile(r"ptxas info\s*: Function properties for (\S+)")
RE_FRAME = re.compile(r"^\s*(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")
RE_USED = re.compile(r"ptxas info\s*: Used (\d+) registers")
RE_CUMULATIVE = re.compile(r"(\d+) bytes cumulative stack size")
# cuobjdump --dump-resource-usage lines.
RE_ARCH = re.compile(r"^\s*arch = (sm_\w+)")
RE_FUNCTION = re.compile(r"^\s*Function (\S+?):?\s*$")
RE_RESOURCES = re.compile(r"REG:(\d+)\s+STACK:(\d+)")

FIELDS = ("registers", "stack", "spill_stores", "spill_loads")


def report_path(obj):
    return obj + ".resources.txt"


# ---------------------------------------------------------------------------------------------- capture
def capture(argv):
    """Runs the compiler command with -Xptxas=-v; saves ptxas's info lines beside the object."""
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        print("check_kernel_resources.py capture: no compiler command given", file=sys.stderr)
        return 2
    obj = None
    for i, a in enumerate(argv):
        if a == "-o" and i + 1 < len(argv):
            obj = argv[i + 1]
        elif a.startswith("-o") and len(a) > 2 and not a.startswith("-opt"):
            obj = a[2:]
    proc = subprocess.run(argv + ["-Xptxas=-v"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, errors="replace")
    info, other_err, other_out = [], [], []
    for stream, rest in ((proc.stdout, other_out), (proc.stderr, other_err)):
        lines = stream.splitlines(keepends=True)
        for j, line in enumerate(lines):
            # ptxas's frame line ("    N bytes stack frame, ...") follows "Function properties for".
            if line.startswith("ptxas info") or RE_FRAME.match(line):
                info.append(line)
            else:
                rest.append(line)
    sys.stdout.write("".join(other_out))
    sys.stderr.write("".join(other_err))
    if proc.returncode == 0 and obj is not None:
        path = report_path(obj)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".resources.")
        with os.fdopen(fd, "w") as f:
            f.write("# ptxas -v of: " + " ".join(argv) + "\n")
            f.write("".join(info))
        os.replace(tmp, path)
    return proc.returncode


# ---------------------------------------------------------------------------------------------- parsing
def merge(table, arch, name, **values):
    """table[(arch, name)][field] = max over every source that reports the field."""
    entry = table.setdefault((arch, name), {})
    for k, v in values.items():
        if v is not None:
            entry[k] = max(entry.get(k, 0), v)


def parse_ptxas(text, table):
    arch = None
    pending = None  # "Function properties for X": the next frame line is X's
    for line in text.splitlines():
        m = RE_ENTRY.search(line)
        if m:
            current, arch = m.group(1), m.group(2)
            merge(table, arch, current)
            continue
        m = RE_PROPS.search(line)
        if m:
            pending = m.group(1)
            continue
        m = RE_FRAME.match(line)
        if m and pending is not None:
            if arch is not None:
                merge(table, arch, pending, stack=int(m.group(1)), spill_stores=int(m.group(2)),
                      spill_loads=int(m.group(3)))
            pending = None
            continue
        m = RE_USED.search(line)
        if m and arch is not None:
            c = RE_CUMULATIVE.search(line)
            merge(table, arch, current, registers=int(m.group(1)), stack=int(c.group(1)) if c else None)


def parse_cuobjdump(text, table):
    arch = None
    function = None
    for line in text.splitlines():
        m = RE_ARCH.match(line)
        if m:
            arch = m.group(1)
            continue
        m = RE_FUNCTION.match(line)
        if m:
            function = m.group(1)
            continue
        m = RE_RESOURCES.search(line)
        if m and function is not None and arch is not None:
            merge(table, arch, function, registers=int(m.group(1)), stack=int(m.group(2)))
            function = None


def parse_any(text, table):
    if "ptxas info" in text:
        parse_ptxas(text, table)
    if "Resource usage:" in text or RE_RESOURCES.search(text):
        parse_cuobjdump(text, table)


# ---------------------------------------------------------------------------------------------- names
def find_tool(choice, names):
    """choice: "none", "auto" (each name on PATH, then in $CUDA_PATH/bin) or a path."""
    if choice == "none":
        return None
    if choice != "auto":
        return choice
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    for name in names:
        path = os.path.join(os.environ.get("CUDA_PATH", "/usr/local/cuda"), "bin", name)
        if os.access(path, os.X_OK):
            return path
    return None


def demangle(names, tool):
    if tool is None or not names:
        return {n: n for n in names}
    try:
        out = subprocess.run([tool], input="\n".join(names) + "\n", stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, check=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return {n: n for n in names}
    if len(out) != len(names):
        return {n: n for n in names}
    return dict(zip(names, out))


# ---------------------------------------------------------------------------------------------- check
def check(args):
    table = {}
    sources = []
    missing = []
    cuobjdump = find_tool(args.cuobjdump, ("cuobjdump",))
    for obj in args.object:
        path = report_path(obj)
        if not os.path.exists(path):
            missing.append(obj)
            continue
        with open(path, errors="replace") as f:
            parse_ptxas(f.read(), table)
        sources.append(path)
        if cuobjdump:
            proc = subprocess.run([cuobjdump, "--dump-resource-usage", obj], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, errors="replace")
            if proc.returncode == 0:
                parse_cuobjdump(proc.stdout, table)
                sources.append("cuobjdump " + os.path.basename(obj))
    for rep in args.report:
        with open(rep, errors="replace") as f:
            parse_any(f.read(), table)
        sources.append(rep)

    tag = "kernel resource budget"
    if missing:
        for obj in missing:
            print(f"{tag}: FAILED: no ptxas report {report_path(obj)} for {obj}; it is written when the "
                  "object is compiled through 'check_kernel_resources.py capture' (CMake does this when "
                  "HEDGESIM_KERNEL_BUDGET is ON): rebuild the object", file=sys.stderr)
        return 1
    if not sources:
        print(f"{tag}: FAILED: nothing to check (give an OBJECT or --report)", file=sys.stderr)
        return 1

    pattern = re.compile(args.pattern)
    demangler = find_tool(args.demangler, ("cu++filt", "c++filt"))
    names = sorted({name for (_, name) in table})
    pretty = demangle(names, demangler)
    matched = sorted(((arch, name) for (arch, name) in table
                      if pattern.search(pretty[name]) or (demangler is None and pattern.search(name))),
                     key=lambda k: (k[0], pretty[k[1]]))
    budget = {"registers": args.max_registers, "stack": args.max_stack,
              "spill_stores": args.max_spill_bytes, "spill_loads": args.max_spill_bytes}
    budget_text = (f"budget: registers <= {args.max_registers}, stack <= {args.max_stack} bytes, "
                   f"spill stores and loads <= {args.max_spill_bytes} bytes")
    if not matched:
        print(f"{tag}: FAILED: no kernel matches the pattern '{args.pattern}' in {', '.join(sources)} "
              f"({len(table)} functions found); set the pattern in HEDGESIM_KERNEL_BUDGETS to the hedging kernels' names",
              file=sys.stderr)
        return 1

    def show(v):
        return "?" if v is None else str(v)

    failures = []
    lines = []
    for arch, name in matched:
        e = table[(arch, name)]
        over = [f"{f} {e[f]} > {budget[f]}" for f in FIELDS if f in e and e[f] > budget[f]]
        unknown = [f for f in FIELDS if f not in e]
        row = (f"{arch}  {pretty[name]}\n    registers {show(e.get('registers'))}, stack "
               f"{show(e.get('stack'))} bytes, spill stores {show(e.get('spill_stores'))} bytes, spill "
               f"loads {show(e.get('spill_loads'))} bytes")
        if over:
            failures.append(row + "\n    OVER BUDGET: " + "; ".join(over))
        lines.append(row + ("  OVER" if over else "  ok") +
                     (f" (not reported: {', '.join(unknown)})" if unknown else ""))
        if name != pretty[name] and args.verbose:
            lines.append("    mangled: " + name)
    if args.verbose or not failures:
        print(f"{tag}: {len(matched)} kernel(s) matching '{args.pattern}' from {', '.join(sources)}; "
              f"{budget_text}")
        print("\n".join(lines))
    if failures:
        sys.stdout.flush()  # the list above comes first where both streams go to one file
        print(f"{tag}: FAILED: {len(failures)} of {len(matched)} kernel(s) matching '{args.pattern}' "
              f"break the {budget_text}:", file=sys.stderr)
        for f in failures:
            print(f, file=sys.stderr)
        print(f"{tag}: registers over budget cost occupancy; stack and spills are per-thread local memory "
              "(docs/hedging.md, 'GPU kernel resource budget'). Reports read: "
              f"{', '.join(s for s in sources if not s.startswith('cuobjdump '))}.", file=sys.stderr)
        return 1
    print(f"{tag}: OK")
    return 0


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "capture":
        return capture(sys.argv[2:])
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("capture", help="CUDA compiler launcher: capture -- NVCC ARGS...")
    c = sub.add_parser("check", help="apply the budget")
    c.add_argument("object", nargs="*", help="a CUDA object compiled through capture")
    c.add_argument("--report", action="append", default=[],
                   help="a saved ptxas -v or cuobjdump --dump-resource-usage output")
    c.add_argument("--pattern", default="hedging", help="regex searched in each kernel's demangled name")
    c.add_argument("--max-registers", type=int, default=128)
    c.add_argument("--max-stack", type=int, default=256)
    c.add_argument("--max-spill-bytes", type=int, default=0)
    c.add_argument("--demangler", default="auto", help="auto (cu++filt, then c++filt), none, or a path")
    c.add_argument("--cuobjdump", default="auto", help="auto (on PATH or in CUDA_PATH/bin), none, or a path")
    c.add_argument("--verbose", "-v", action="store_true", help="list every matching kernel, also on failure")
    args = p.parse_args()
    return check(args)


if __name__ == "__main__":
    sys.exit(main())
