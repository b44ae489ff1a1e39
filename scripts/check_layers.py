#!/usr/bin/env python3
"""The layering rule of docs/architecture.md, checked (the CTest test `layering`); standard library only.

    check_layers.py ROOT [--target LAYER SOURCES]...

Every header and source under include/hedgesim/, src/ and kernels/ belongs to one layer, by the
LAYERS table below (the one place that says which); a file may include only files of its own layer or
of a lower one. With --target, the sources of a CMake target (a ;-list, as CMake gives
$<TARGET_PROPERTY:t,SOURCES>) must all be of LAYER, so a target holds one layer. Exit 1 with one line
per offender; a file the table does not place is an offender too, so a new folder must be given a layer.
"""
import argparse
import os
import re
import sys

# Lowest first. Each entry: a path under include/hedgesim/ or src/ (or kernels/…), a folder when it ends
# in "/"; the longest entry that a file's path starts with decides its layer.
LAYERS = {
    "core": ["spec.hpp", "spec.cpp", "errors.hpp", "hd.hpp", "math.hpp", "config_ranges.hpp", "version.hpp",
             "format.hpp", "format.cpp", "pricing/"],
    "engine": ["rng/", "models/", "engine/", "stats/", "cpu/", "kernels/"],
    "hedging": ["hedging/", "kernels/hedging_"],
    "jobs": ["jobs/", "optimise/", "backtest/", "calibration/", "io/", "config.hpp", "config/", "cluster/"],
    "cli": ["cli/"],
}
RANK = {name: i for i, name in enumerate(LAYERS)}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
ROOTS = ("include/hedgesim/", "src/", "kernels/")
SUFFIXES = (".hpp", ".cpp", ".cu", ".cuh", ".h")


def key_of(rel):
    """The table's key of a repository path: the path under include/hedgesim/ or src/; kernels/ kept. A
    source the build generates (…/generated/kernels/hedging_gbm_float.cu) is keyed by its path under
    generated/, the place of its template."""
    if "/generated/" in rel:
        return rel.split("/generated/", 1)[1]
    for prefix in ("include/hedgesim/", "src/"):
        if rel.startswith(prefix):
            return rel[len(prefix):]
    return rel


def layer_of(key):
    best, layer = -1, None
    for name, entries in LAYERS.items():
        for e in entries:
            if (key == e or (e.endswith("/") or e.endswith("_")) and key.startswith(e)) and len(e) > best:
                best, layer = len(e), name
    return layer


def resolve(root, including, target):
    """The repository path of an #include "target" in file `including`, or None (a system header)."""
    if target.startswith("hedgesim/"):
        return "include/" + target
    local = os.path.normpath(os.path.join(os.path.dirname(including), target))
    return local if os.path.exists(os.path.join(root, local)) else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("root", help="the repository root")
    ap.add_argument("--target", nargs=2, action="append", default=[], metavar=("LAYER", "SOURCES"))
    args = ap.parse_args()
    root = os.path.abspath(args.root)
    offences = []
    files = []
    for top in ROOTS:
        for d, _, names in os.walk(os.path.join(root, top)):
            files += [os.path.relpath(os.path.join(d, n), root) for n in names if n.endswith(SUFFIXES)]
    for rel in sorted(files):
        mine = layer_of(key_of(rel))
        if mine is None:
            offences.append(f"{rel}: in no layer; give its folder one in scripts/check_layers.py LAYERS")
            continue
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
            for line_no, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                dep = resolve(root, rel, m.group(1))
                if dep is None:
                    continue
                theirs = layer_of(key_of(dep))
                if theirs is None:
                    offences.append(f"{rel}:{line_no}: includes {m.group(1)}, which is in no layer")
                elif RANK[theirs] > RANK[mine]:
                    offences.append(f"{rel}:{line_no}: {mine} includes {m.group(1)} of the higher layer {theirs}")
    for layer, sources in args.target:
        if layer not in RANK:
            offences.append(f"--target {layer}: no such layer (one of {', '.join(LAYERS)})")
            continue
        for s in filter(None, sources.split(";")):
            rel = os.path.relpath(os.path.join(root, s), root)
            theirs = layer_of(key_of(rel))
            if theirs != layer:
                offences.append(f"{rel}: a {theirs} file in the {layer} layer's target")
    if offences:
        print(f"layering: FAILED: {len(offences)} offence(s) against docs/architecture.md "
              f"(layers, lowest first: {' -> '.join(LAYERS)}; include only your own layer or lower ones):",
              file=sys.stderr)
        for o in offences:
            print("  " + o, file=sys.stderr)
        return 1
    print(f"layering: OK ({len(files)} files; {' -> '.join(LAYERS)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
