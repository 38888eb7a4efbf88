"""Plain SVG line charts (server-side, for the atlas sheets): the area's series with reference lines."""

from __future__ import annotations

from html import escape

from . import fmt

COLOURS = ["#08519c", "#e6550d", "#636363"]
DASHES = ["", "6 3", "2 3"]


def _axes(periods, lo, hi, x, y, unit, lang, box) -> list[str]:
    left, right, width, height, bottom = box
    decimals = fmt.DECIMALS.get(unit, 2)
    out = []
    for i in range(3):
        v = lo + (hi - lo) * i / 2
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#ddd"/>'
            f'<text x="{left - 4}" y="{y(v) + 3:.1f}" text-anchor="end" font-size="9">'
            f"{escape(fmt.number(v, decimals, lang))}</text>"
        )
    step = max(1, len(periods) // 6)
    for i, period in enumerate(periods):
        if i % step == 0 or i == len(periods) - 1:
            out.append(
                f'<text x="{x(period):.1f}" y="{height - bottom + 13}" text-anchor="middle" font-size="8">'
                f"{escape(fmt.period(period, lang))}</text>"
            )
    return out


def line_chart(
    series: list[dict], unit: str, lang: str = "it", width: int = 360, height: int = 150, title: str = ""
) -> str:
    """``series``: [{"name", "points": [{"period", "value"}]}]; the first is the area, the others references."""
    periods = sorted({p["period"] for s in series for p in s["points"]})
    values = [p["value"] for s in series for p in s["points"] if p["value"] is not None]
    if not periods or not values:
        return ""
    left, right, top, bottom = 58, 10, 10, 34
    lo, hi = min(values), max(values)
    if lo == hi:
        lo, hi = lo - (abs(lo) or 1) * 0.1, hi + (abs(hi) or 1) * 0.1
    pad = (hi - lo) * 0.08
    lo, hi = lo - pad, hi + pad
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(period):
        i = periods.index(period)
        return left + (plot_w * i / (len(periods) - 1) if len(periods) > 1 else plot_w / 2)

    def y(value):
        return top + plot_h * (1 - (value - lo) / (hi - lo))

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">'
    ]
    out += _axes(periods, lo, hi, x, y, unit, lang, (left, right, width, height, bottom))
    for n, s in enumerate(series):
        pts = [(x(p["period"]), y(p["value"])) for p in s["points"] if p["value"] is not None]
        if not pts:
            continue
        colour, dash = COLOURS[n % 3], DASHES[n % 3]
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in pts)
        out.append(
            f'<polyline class="series" data-name="{escape(s["name"])}" points="{path}" fill="none" '
            f'stroke="{colour}" stroke-width="{2 if n == 0 else 1.3}"'
            + (f' stroke-dasharray="{dash}"' if dash else "")
            + "/>"
        )
        if n == 0:
            out.extend(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.2" fill="{colour}"/>' for px, py in pts)
        lx = left + 4 + n * (plot_w / 3)
        out.append(
            f'<line x1="{lx:.1f}" x2="{lx + 14:.1f}" y1="{height - 6}" y2="{height - 6}" stroke="{colour}" '
            f'stroke-width="2"' + (f' stroke-dasharray="{dash}"' if dash else "") + "/>"
            f'<text x="{lx + 17:.1f}" y="{height - 3}" font-size="8">{escape(s["name"][:28])}</text>'
        )
    out.append("</svg>")
    return "".join(out)
