#!/usr/bin/env python3
"""Parameter sweep with the hedgesim Python package: delta-band width against the hedged P&L's ES95
and mean cost, at several volatility levels.

For each volatility the book (short 30-day calls) is hedged by delta bands of every width on the same
paths (one `hedgesim.run`, one policy per width), the model's and the hedge's volatility both set to
that level. The plot has two panels: ES95 (loss) and mean cost against the band width, one line per
volatility. Run:

    python examples/python/sweep.py [--paths N] [--out sweep.png]

(tests/python/test_examples.py runs it with few paths.)
"""
import argparse
import os
import tempfile

import hedgesim

WIDTHS = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0]   # half-width of the no-trade band, BTC
VOLS = [0.4, 0.6, 0.9]                     # model and implied volatility


def config(vol, paths, seed):
    return {
        "simulation": {"paths": paths, "steps_per_day": 24, "seed": seed},
        "model": {"type": "gbm", "spot": 65000, "vol": vol},
        "book": [{"type": "call", "strike": 70000, "expiry_days": 30, "quantity": -50}],
        "hedge": {"instrument": "perpetual", "delta": "implied", "implied_vol": vol, "funding": {"rate": 0.1}},
        "costs": {"fee_bps": 5},
        "policies": [{"name": f"band_{w:g}", "type": "delta_band", "width": w} for w in WIDTHS],
        "output": {"histogram_bins": 50, "sample_paths": 0},
    }


def sweep(paths, seed=42, progress=None):
    """One row per (vol, width): es_95, cost_mean and their standard error context."""
    import pandas as pd

    frames = []
    for vol in VOLS:
        r = hedgesim.run(config(vol, paths, seed), progress=progress)
        s = r.summary[["name", "pnl_es_95", "pnl_std", "cost_mean", "trades_mean"]].copy()
        s.insert(0, "width", WIDTHS)
        s.insert(0, "vol", vol)
        frames.append(s)
    return pd.concat(frames, ignore_index=True)


def plot(table, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for vol, g in table.groupby("vol"):
        a.plot(g["width"], g["pnl_es_95"], marker="o", label=f"vol {vol:.0%}")
        b.plot(g["width"], g["cost_mean"], marker="o", label=f"vol {vol:.0%}")
    for ax, what in ((a, "ES95 of hedged P&L (loss, USD)"), (b, "mean cost (USD)")):
        ax.set_xscale("log", base=2)
        ax.set_xticks(WIDTHS, [f"{w:g}" for w in WIDTHS])
        ax.set_xlabel("delta band half-width (BTC)")
        ax.set_ylabel(what)
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.suptitle("Short 50 BTC 30-day 70000 calls, perpetual hedge: band width vs risk and cost")
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--paths", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "hedgesim_sweep.png"),
                    help="PNG to write (default: %(default)s)")
    args = ap.parse_args()
    table = sweep(args.paths, args.seed)
    print(table.to_string(index=False))
    plot(table, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
