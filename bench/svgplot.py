"""Minimal line charts as standalone SVG (no JavaScript, no fonts to fetch): what BENCHMARKS.md's scaling curves use.

    line_chart(series, title=..., xlabel=..., ylabel=..., logx=True, logy=True) -> str

series maps a label to a list of (x, y[, y_low, y_high]) points; the optional low/high draw a whisker (e.g. the
min and max of the repetitions around their median). Pure Python, so the curves can be redrawn from the JSON of
a run with nothing installed (`python3 bench/scaling.py --replot out/bench/scaling/scaling.json`).
"""
import math
from html import escape

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]
MARKERS = ["circle", "square", "diamond", "triangle"]


def _ticks(lo, hi, log):
    """Tick values covering [lo, hi]: powers of 10 (with 2 and 5 between when the range is short) on a log axis,
    1-2-5 steps on a linear one."""
    if log:
        a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
        mults = (1, 2, 5) if b - a <= 3 else (1,)
        ticks = [m * 10 ** e for e in range(a, b + 1) for m in mults]
        return [t for t in ticks if lo / 1.001 <= t <= hi * 1.001] or [lo, hi]
    span = hi - lo or abs(hi) or 1.0
    raw = span / 5
    mag = 10 ** math.floor(math.log10(raw))
    step = min((s * mag for s in (1, 2, 5, 10) if s * mag >= raw), default=raw)
    start = math.floor(lo / step) * step
    return [start + i * step for i in range(int((hi - start) / step) + 2) if start + i * step <= hi + step * 1e-9]


def _fmt(v):
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1e6 and a == int(a) and int(a) % 1_000_000 == 0:
        return f"{int(v) // 1_000_000}M"
    if a >= 1e3 and a == int(a) and int(a) % 1000 == 0:
        return f"{int(v) // 1000}k"
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 1:
        return f"{v:g}"
    return f"{v:.2g}"


def _marker(kind, x, y, color):
    r = 3.5
    if kind == "square":
        return f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:.1f}" height="{2 * r:.1f}" fill="{color}"/>'
    if kind == "diamond":
        return (f'<polygon points="{x:.1f},{y - r - 1:.1f} {x + r + 1:.1f},{y:.1f} {x:.1f},{y + r + 1:.1f} '
                f'{x - r - 1:.1f},{y:.1f}" fill="{color}"/>')
    if kind == "triangle":
        return (f'<polygon points="{x:.1f},{y - r - 1:.1f} {x + r + 1:.1f},{y + r:.1f} {x - r - 1:.1f},{y + r:.1f}" '
                f'fill="{color}"/>')
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{color}"/>'


def line_chart(series, title, xlabel, ylabel, logx=True, logy=True, width=640, height=400, note=""):
    pts = [p for s in series.values() for p in s if p[1] is not None and p[1] > 0]
    if not pts:
        raise ValueError("line_chart: no positive points to draw")
    xs = [p[0] for p in pts]
    ys = [v for p in pts for v in ([p[1]] + [q for q in p[2:4] if q is not None and q > 0])]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    if logx:
        x0, x1 = x0 / 1.3, x1 * 1.3
    if logy:
        y0, y1 = y0 / 1.5, y1 * 1.5
    else:
        y0, y1 = 0, y1 * 1.1
    if x0 == x1:
        x0, x1 = x0 / 2, x1 * 2
    left, right, top, bottom = 72, 190, 36, 52
    pw, ph = width - left - right, height - top - bottom

    def fx(v):
        t = (math.log10(v) - math.log10(x0)) / (math.log10(x1) - math.log10(x0)) if logx else (v - x0) / (x1 - x0)
        return left + t * pw

    def fy(v):
        t = (math.log10(v) - math.log10(y0)) / (math.log10(y1) - math.log10(y0)) if logy else (v - y0) / (y1 - y0)
        return top + ph - t * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="20" font-size="13" font-weight="bold">{escape(title)}</text>']
    for t in _ticks(y0, y1, logy):
        y = fy(t)
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e4e4e4"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(t)}</text>')
    for t in sorted(set(xs)) if logx else _ticks(x0, x1, False):
        x = fx(t)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + ph}" stroke="#f0f0f0"/>')
        out.append(f'<text x="{x:.1f}" y="{top + ph + 16}" text-anchor="middle">{_fmt(t)}</text>')
    out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#888"/>')
    out.append(f'<text x="{left + pw / 2:.1f}" y="{height - 14}" text-anchor="middle">{escape(xlabel)}'
               f'{" (log scale)" if logx else ""}</text>')
    out.append(f'<text transform="translate(16,{top + ph / 2:.1f}) rotate(-90)" text-anchor="middle">'
               f'{escape(ylabel)}{" (log scale)" if logy else ""}</text>')
    for i, (label, s) in enumerate(series.items()):
        color, marker = PALETTE[i % len(PALETTE)], MARKERS[i % len(MARKERS)]
        s = sorted(p for p in s if p[1] is not None and p[1] > 0)
        if len(s) > 1:
            path = " ".join(f"{fx(p[0]):.1f},{fy(p[1]):.1f}" for p in s)
            out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="1.8"/>')
        for p in s:
            if len(p) >= 4 and p[2] and p[3] and p[2] > 0:
                out.append(f'<line x1="{fx(p[0]):.1f}" x2="{fx(p[0]):.1f}" y1="{fy(p[2]):.1f}" y2="{fy(p[3]):.1f}" '
                           f'stroke="{color}" stroke-width="1"/>')
            out.append(_marker(marker, fx(p[0]), fy(p[1]), color))
        ly = top + 14 + i * 18
        out.append(f'<line x1="{left + pw + 12}" x2="{left + pw + 32}" y1="{ly - 4}" y2="{ly - 4}" stroke="{color}" '
                   f'stroke-width="1.8"/>')
        out.append(_marker(marker, left + pw + 22, ly - 4, color))
        out.append(f'<text x="{left + pw + 38}" y="{ly}">{escape(label)}</text>')
    if note:
        out.append(f'<text x="{left + pw + 12}" y="{top + ph}" font-size="9" fill="#555">{escape(note)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
