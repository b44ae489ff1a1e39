#!/usr/bin/env python3
"""Host code must hold no fused multiply-add: -ffp-contract=off keeps GCC from contracting a*b + c, and
results are then the same bits under any -march (CMakeLists.txt, "Two ways FMA got into host code").
Disassembles the linked program given as the argument (our code is linked statically, with its
x86-64-v4 clones) and fails naming the functions that hold an FMA instruction. Run by the test
host_code_has_no_fma."""
import re
import subprocess
import sys

FMA = re.compile(r"\tv?f(n?m(add|sub)|maddsub|msubadd)\d*[ps][sdh]\s")
FUNCTION = re.compile(r"^[0-9a-f]+ <(.*)>:$")


def main() -> int:
    objdump, binary = sys.argv[1], sys.argv[2]
    proc = subprocess.Popen([objdump, "-d", "-C", "--no-show-raw-insn", binary], stdout=subprocess.PIPE, text=True)
    function, count, where = "", 0, {}
    for line in proc.stdout:
        m = FUNCTION.match(line)
        if m:
            function = m.group(1)
        elif FMA.search(line):
            count += 1
            where[function] = where.get(function, 0) + 1
    if proc.wait() != 0:
        print(f"{objdump} -d {binary} failed with exit code {proc.returncode}")
        return 1
    print(f"{count} FMA instructions in {binary} (expected 0)")
    for name, n in sorted(where.items(), key=lambda kv: -kv[1])[:20]:
        print(f"  {n:5d}  {name}")
    return 1 if count else 0


if __name__ == "__main__":
    sys.exit(main())
