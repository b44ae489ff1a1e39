#!/usr/bin/env python3
"""Plot the smile fit of a `hedgesim calibrate --out FILE.h5` file: one panel per expiry, market mark
IV (dots, with the bid-ask IV range as bars) and model IV (line) against K/F, to a PNG.

usage: tools/plot_smile.py FILE.h5 OUT.png

Needs Debian's python3-h5py and python3-matplotlib (scripts/install-deps.sh). Exit 2 on a file that is
not a hedgesim calibration file.
"""
import math
import sys

import h5py
import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[3], file=sys.stderr)
        return 2
    src, png = argv[1], argv[2]
    with h5py.File(src, "r") as f:
        if f.attrs.get("format") != "hedgesim-calibration":
            print(f"error: {src} is not a hedgesim calibration file (attribute format)", file=sys.stderr)
            return 2
        o = f["options"]
        expiry = o["expiry_index"][:]
        x = o["strike"][:] / o["forward"][:]
        market, model = o["market_iv"][:], o["model_iv"][:]
        bid, ask = o["bid_iv"][:], o["ask_iv"][:]
        labels = list(f["expiries"].attrs["labels"])
        days = f["expiries/maturity"][:] * 365.0
        rmse = f["expiries/rmse_vol"][:]
        title = (f"{f.attrs['model']} fit to {f.attrs['currency']} ({f.attrs['chain_file'].split('/')[-1]}): "
                 f"RMSE {100 * f.attrs['rmse_vol']:.2f} vol points")
    n = len(labels)
    cols = min(4, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3 * rows), squeeze=False)
    for e in range(rows * cols):
        ax = axes[e // cols][e % cols]
        if e >= n:
            ax.axis("off")
            continue
        m = expiry == e
        order = np.argsort(x[m])
        xe = x[m][order]
        have = np.isfinite(bid[m][order]) & np.isfinite(ask[m][order])
        lo = np.where(have, market[m][order] - bid[m][order], 0.0)
        hi = np.where(have, ask[m][order] - market[m][order], 0.0)
        ax.errorbar(xe, 100 * market[m][order], yerr=100 * np.vstack([np.maximum(lo, 0), np.maximum(hi, 0)]),
                    fmt="o", ms=3, lw=0.8, label="market (mark, bid-ask)")
        ax.plot(xe, 100 * model[m][order], "-", lw=1.5, label="model")
        ax.set_title(f"{labels[e][:10]} ({days[e]:.0f} d): RMSE {100 * rmse[e]:.2f} vp", fontsize=9)
        ax.set_xlabel("K / F")
        ax.set_ylabel("implied vol, %")
        ax.grid(alpha=0.3)
        if e == 0:
            ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    print(f"wrote {png}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
