#!/usr/bin/env python3
"""The repository stands alone (CTest `standalone`).

Fails, listing every offence with its file and line, when
  1. a tracked file outside results/ mentions the team's shared folder (a path that climbs out of the
     repository into `shared`) or the design note that lives there; results/ holds historical records,
     which may say where old evidence lived;
  2. a path under data/ or configs/ named in a code block of README.md, or in a comment of a shipped
     config (configs/*.yaml), does not exist in the repository.

usage: check_standalone.py REPO_ROOT
Tracked files come from `git ls-files` when REPO_ROOT is a git checkout, else every file under it
except build*/ and .git/.
"""
import os
import re
import subprocess
import sys

# Spelled in pieces so this file does not match itself.
FORBIDDEN = [b"../" + b"shared", b"DESIGN" + b".md"]
EXEMPT_DIRS = ("results/",)
# A path under data/ or configs/ that starts a token (not tests/data/…): letters, digits and ./_+-.
PATH_RE = re.compile(r"(?<![\w./-])((?:data|configs)/[\w./+-]*[\w+-])")


def tracked_files(root):
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "-z"], check=True, capture_output=True).stdout
        return [f for f in out.decode().split("\0") if f]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for d, dirs, names in os.walk(root):
            rel = os.path.relpath(d, root)
            dirs[:] = [x for x in dirs if not (rel == "." and (x.startswith("build") or x == ".git"))]
            files += [os.path.normpath(os.path.join(rel, n)) for n in names]
        return files


def forbidden_mentions(root, files):
    bad = []
    for f in files:
        if f.startswith(EXEMPT_DIRS):
            continue
        path = os.path.join(root, f)
        if not os.path.isfile(path):
            continue
        with open(path, "rb") as fh:
            data = fh.read()
        if not any(w in data for w in FORBIDDEN):
            continue
        for n, line in enumerate(data.split(b"\n"), 1):
            for w in FORBIDDEN:
                if w in line:
                    bad.append(f"{f}:{n}: mentions {w.decode()}: {line.decode(errors='replace').strip()[:120]}")
    return bad


def readme_code_lines(text):
    """(line number, text) of every line inside a ``` fenced block."""
    inside = False
    for n, line in enumerate(text.split("\n"), 1):
        if line.lstrip().startswith("```"):
            inside = not inside
            continue
        if inside:
            yield n, line


def missing_paths(root, files):
    bad = []
    sources = []
    readme = os.path.join(root, "README.md")
    if os.path.isfile(readme):
        with open(readme, encoding="utf-8") as fh:
            sources += [("README.md", n, l) for n, l in readme_code_lines(fh.read())]
    for f in files:
        if f.startswith("configs/") and f.endswith(".yaml"):
            with open(os.path.join(root, f), encoding="utf-8") as fh:
                for n, line in enumerate(fh, 1):
                    if "#" in line:
                        sources.append((f, n, line[line.index("#"):]))
    checked = 0
    for f, n, line in sources:
        for p in PATH_RE.findall(line):
            checked += 1
            if not os.path.exists(os.path.join(root, p)):
                bad.append(f"{f}:{n}: names {p}, which is not in the repository")
    return bad, checked


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = sys.argv[1]
    files = tracked_files(root)
    bad = forbidden_mentions(root, files)
    missing, checked = missing_paths(root, files)
    bad += missing
    for b in bad:
        print(b)
    print(f"standalone: {len(files)} files scanned, {checked} data/ and configs/ paths in README code blocks "
          f"and config comments checked: {'FAILED' if bad else 'OK'} ({len(bad)} problems)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
