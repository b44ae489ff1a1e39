#!/usr/bin/python3
"""Figures from a hedgesim results file (docs/hdf5.md): whatever the file holds is drawn.

Usage: plot_results.py FILE.h5 [--outdir results] [--prefix NAME]

  run files:      NAME_pnl_histograms.png  P&L histogram of every policy (/policies/<name>/histogram)
                  NAME_sample_paths.png    sample paths (/sample_paths/spot) with each policy's rebalance
                                           times (/sample_paths/trades) marked below
  optimise files: NAME_frontier.png        mean cost against risk of every evaluated candidate
                                           (/frontier, in sample), each family's optimum per lambda or
                                           budget joined as its frontier, the out-of-sample values of
                                           those optima, and the chosen point (/optimum)

NAME defaults to the file's stem; PNGs go to --outdir (default results/). Needs Debian's
python3-h5py and python3-matplotlib (scripts/install-deps.sh). Prints the paths written.
"""
import argparse
import os
import sys

import h5py
import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def strings(attr):
    return [str(s) for s in np.atleast_1d(attr)]


def policy_names(f):
    """In /summary order: its `name` attribute, or (a format_version 1 file, whose names were a
    column) the /policies groups, which keep that order."""
    if "summary" in f and "name" in f["summary"].attrs:
        return list(f["summary"].attrs["name"])
    return list(f["policies"].keys()) if "policies" in f else []


def plot_histograms(f, path):
    names = [n for n in policy_names(f) if "histogram" in f["policies"].get(n, {})]
    if not names:
        return None
    cols = min(3, len(names))
    rows = (len(names) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows), squeeze=False)
    for ax, name in zip(axes.flat, names):
        h = f["policies"][name]["histogram"]
        edges, counts = h["edges"][:], h["counts"][:]
        ax.stairs(counts, edges, fill=True, alpha=0.7)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("P&L [USD]")
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    fig.suptitle(f"P&L per policy ({f.attrs.get('paths', '?')} paths)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_sample_paths(f, path, max_paths=3):
    if "sample_paths" not in f:
        return None
    sp = f["sample_paths"]
    t, spot = sp["time"][:], sp["spot"][:]
    n = min(max_paths, spot.shape[0])
    trades = sp["trades"][:] if "trades" in sp else None
    names = policy_names(f)
    shown = [i for i in range(len(names)) if trades is not None and i < trades.shape[0] and trades[i, :n].any()]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), sharex=True,
                                      gridspec_kw={"height_ratios": [3, max(1, len(shown)) * 0.35 + 0.6]})
    for k in range(n):
        top.plot(t, spot[k], lw=1.0, label=f"path {k}")
    top.set_ylabel("spot [USD]")
    top.legend(fontsize=8)
    top.set_title("Sample paths and rebalance times (path 0 marked below)")
    if trades is not None and shown:
        for row, i in enumerate(shown):
            steps = np.nonzero(trades[i, 0])[0]
            bottom.scatter(t[steps], np.full(steps.size, row), marker="|", s=60)
            # Rebalances on path 0 also as dots on its spot curve, for the first policy that trades.
        first = shown[0]
        steps = np.nonzero(trades[first, 0])[0]
        top.scatter(t[steps], spot[0][steps], s=8, color="k", zorder=3, label=f"{names[first]} trades")
        top.legend(fontsize=8)
        bottom.set_yticks(range(len(shown)))
        bottom.set_yticklabels([names[i] for i in shown], fontsize=8)
        bottom.set_ylim(-0.7, len(shown) - 0.3)
    else:
        bottom.text(0.5, 0.5, "no rebalance times in this file", ha="center", va="center", transform=bottom.transAxes)
        bottom.set_yticks([])
    bottom.set_xlabel("time [days]")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_frontier(f, path):
    if "frontier" not in f:
        return None
    fr = f["frontier"]
    fam, sample = fr["family"][:], fr["sample"][:]
    cost, risk = fr["cost_mean"][:], fr["risk"][:]
    families = strings(f.attrs["family_names"])
    risk_name = str(f.attrs.get("risk", "risk"))
    if risk_name in ("var", "es"):
        risk_name = f"{risk_name.upper()}{100 * float(f.attrs.get('risk_level', 0.95)):g}"
    se = f["searches"]
    fig, ax = plt.subplots(figsize=(8, 5.5))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, name in enumerate(families):
        c = colors[i % len(colors)]
        m = (fam == i) & (sample == 0)
        ax.scatter(cost[m], risk[m], s=6, alpha=0.25, color=c)
        ins = se["in_sample"]
        sm = ins["family"][:] == i
        order = np.argsort(ins["cost_mean"][:][sm])
        ax.plot(ins["cost_mean"][:][sm][order], ins["risk"][:][sm][order], "-o", color=c, ms=5,
                label=f"{name} ({strings(f.attrs['family_types'])[i]}) optimum per level")
        outs = se["out_of_sample"]
        om = outs["family"][:] == i
        ax.errorbar(outs["cost_mean"][:][om], outs["risk"][:][om], yerr=outs["risk_se"][:][om], fmt="x", color=c,
                    ms=7, capsize=2, alpha=0.8)
    opt = f["optimum"]
    ins = opt.attrs["in_sample"]
    outs = opt.attrs["out_of_sample"]
    ax.scatter([ins[2]], [ins[4]], s=220, marker="*", color="gold", edgecolor="k", zorder=5,
               label=f"chosen: {opt.attrs['family']} "
               + ", ".join(f"{n}={v:.3g}" for n, v in zip(strings(opt.attrs["parameter_names"]), opt.attrs["parameters"])))
    ax.scatter([outs[2]], [outs[4]], s=90, marker="*", color="none", edgecolor="k", zorder=5,
               label="chosen, out of sample")
    # Near-unhedged optima at tiny lambda can dwarf the rest: clip the risk axis at twice the median
    # optimum risk (the clipped points are still in the file) and say so.
    opt_risk = se["in_sample"]["risk"][:]
    top = 2.0 * float(np.median(opt_risk))
    if np.nanmax(risk[sample == 0]) > top:
        lo = float(np.nanmin(risk))
        ax.set_ylim(lo - 0.05 * (top - lo), top)
        ax.text(0.01, 0.99, f"risk axis clipped at {top:.4g}", transform=ax.transAxes, va="top", fontsize=8)
    ax.set_xlabel("mean cost [USD]")
    ax.set_ylabel(f"{risk_name} of P&L [USD]")
    ax.set_title("Cost versus risk: every candidate (dots), optima (lines), out of sample (x)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file")
    ap.add_argument("--outdir", default="results")
    ap.add_argument("--prefix")
    a = ap.parse_args(argv)
    prefix = a.prefix or os.path.splitext(os.path.basename(a.file))[0]
    os.makedirs(a.outdir, exist_ok=True)
    try:
        f = h5py.File(a.file, "r")
    except OSError as e:
        print(f"plot_results.py: cannot read {a.file}: {e}", file=sys.stderr)
        return 2
    with f:
        if str(f.attrs.get("format", "")) != "hedgesim-results":
            print(f"plot_results.py: {a.file} is not a hedgesim results file", file=sys.stderr)
            return 2
        written = [plot_histograms(f, os.path.join(a.outdir, f"{prefix}_pnl_histograms.png")),
                   plot_sample_paths(f, os.path.join(a.outdir, f"{prefix}_sample_paths.png")),
                   plot_frontier(f, os.path.join(a.outdir, f"{prefix}_frontier.png"))]
    written = [w for w in written if w]
    if not written:
        print(f"plot_results.py: {a.file} holds nothing to plot", file=sys.stderr)
        return 1
    for w in written:
        print(w)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
