"""How every toolkit figure looks: the Okabe-Ito palette and type sizes readable on a shared screen.

Figures are built with ``new_figure`` (a ``matplotlib.figure.Figure`` outside pyplot, so a notebook
shows each exactly once and no global state changes).
"""
from __future__ import annotations

import math
from contextlib import contextmanager

import matplotlib as mpl
from matplotlib.figure import Figure

# Okabe & Ito (2008), safe for the common colour-vision deficiencies.
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
PALETTE = [OKABE_ITO[k] for k in ("blue", "orange", "green", "vermillion", "purple", "sky_blue",
                                  "yellow", "black")]
OFFLINE = OKABE_ITO["blue"]
PRODUCTION = OKABE_ITO["orange"]
GOOD = OKABE_ITO["green"]
BAD = OKABE_ITO["vermillion"]
SCORE = OKABE_ITO["purple"]  # the mean score, beside the observed rate (BAD) and offline (OFFLINE)
NEUTRAL = "#999999"
SHADE = "#DDDDDD"

RC = {
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "font.size": 12, "axes.titlesize": 14, "axes.titleweight": "bold", "axes.labelsize": 12,
    "xtick.labelsize": 11, "ytick.labelsize": 11, "legend.fontsize": 11, "figure.titlesize": 15,
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3,
    "lines.linewidth": 2.2, "figure.dpi": 100, "savefig.dpi": 100, "figure.facecolor": "white",
}


@contextmanager
def context():
    """The toolkit's matplotlib settings, for the duration of a ``with`` block."""
    with mpl.rc_context(RC):
        yield


def new_figure(*, ncols: int = 1, nrows: int = 1, width: float = 9.0, height: float = 4.5,
               margins: dict | None = None, **kw):
    """A figure and its axes in the toolkit's style (call inside ``context()``).

    With ``margins`` (``subplots_adjust`` arguments) the layout is fixed instead of computed at
    each draw: explorers redraw often, and a computed layout would double the cost of a redraw.
    """
    fig = Figure(figsize=(width, height), layout=None if margins else "constrained")
    if margins:
        fig.subplots_adjust(**margins)
    axes = fig.subplots(nrows, ncols, squeeze=True, **kw)
    return fig, axes


def money(value: float, currency: str = "", *, decimals: int | None = None) -> str:
    """An amount as the brief gives it: ``0.60 USD``, ``4.50 USD``, ``0.004 USD``, ``12,345 USD``.

    By default every decimal the amount has is shown (up to 6), and at least two when it has any,
    so a brief's 0.6 reads 0.60 and 0.004 is not rounded to 0. ``decimals`` fixes the count.
    """
    if value != value:  # NaN
        return "n/a"
    if decimals is None:
        decimals = next((d for d in range(7) if abs(round(value, d) - value) < 1e-9 * max(1.0, abs(value))), 6)
        if decimals:
            decimals = max(decimals, 2)
    return f"{value:,.{decimals}f} {currency}".strip()


def money_per_row(value: float, currency: str = "") -> str:
    """A small average amount with three significant digits (``0.0412 USD``)."""
    if value != value:
        return "n/a"
    if value == 0:
        return money(0, currency)
    digits = max(2, 2 - int(math.floor(math.log10(abs(value)))))
    return money(value, currency, decimals=min(digits, 6))


def pct(value: float, digits: int = 1) -> str:
    return "n/a" if value != value else f"{100 * value:.{digits}f}%"
