"""Charts drawn on the server as SVG: stacked horizontal bars (a manager's month by category).

No script and no chart library: the markup is built here, every text escaped, each segment has a
``<title>`` (the browser's tooltip) with its hours, and the legend repeats colour as words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

# Colour-blind-safe palette (Okabe–Ito), in category order.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


@dataclass(frozen=True)
class Bar:
    label: str
    segments: Sequence[tuple[str, float, str]]  # (category, share 0..1, tooltip text)


def stacked_bars(bars: Sequence[Bar], categories: Sequence[str], width: int = 720, title: str = "") -> str:
    """One row per bar, segments in ``categories`` order; widths are shares of the row."""
    label_w, row_h, gap = 220, 22, 8
    chart_w = width - label_w - 10
    height = len(bars) * (row_h + gap) + 40
    colour = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(categories)}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="{escape(title, {chr(34): "&quot;"})}">',
        f"<title>{escape(title)}</title>",
    ]
    for row, bar in enumerate(bars):
        y = row * (row_h + gap)
        out.append(
            f'<text x="0" y="{y + row_h - 6}" font-size="13" fill="#1a1a1a">{escape(bar.label[:32])}</text>'
        )
        x = float(label_w)
        for category, share, tip in bar.segments:
            w = max(share, 0.0) * chart_w
            if w <= 0:
                continue
            fill = colour.get(category, "#777")
            out.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row_h}" fill="{fill}">'
                f"<title>{escape(tip)}</title></rect>"
            )
            x += w
    legend_y = len(bars) * (row_h + gap) + 20
    lx = 0
    for category in categories:
        out.append(f'<rect x="{lx}" y="{legend_y - 11}" width="12" height="12" fill="{colour[category]}"/>')
        out.append(
            f'<text x="{lx + 16}" y="{legend_y}" font-size="12" fill="#1a1a1a">{escape(category)}</text>'
        )
        lx += 16 + 8 * len(category) + 18
    out.append("</svg>")
    return "".join(out)
