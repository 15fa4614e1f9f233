"""How every toolkit figure looks: the Okabe-Ito palette and type sizes readable on a shared screen.

Figures are built with ``new_figure`` (a ``matplotlib.figure.Figure`` outside pyplot, so a notebook
shows each exactly once and no global state changes).
"""
from __future__ import annotations

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


def money(value: float, currency: str = "") -> str:
    """``12,345 USD`` style amounts."""
    if value != value:  # NaN
        return "n/a"
    return f"{value:,.0f} {currency}".strip()


def pct(value: float, digits: int = 1) -> str:
    return "n/a" if value != value else f"{100 * value:.{digits}f}%"
