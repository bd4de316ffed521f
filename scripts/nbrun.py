"""Executes musicrep notebooks headless with the GoNB kernel (called by scripts/run-notebooks.sh).

For each notebook, in order: execute every cell with nbclient (stopping at the first cell error: no
allow_errors), then write the executed notebook and an offline HTML rendering (template musicrep_offline: the
`lab` template with CSS embedded and no CDN scripts) to the output folder. On a failing cell the notebook
executed so far is still written (for inspection) and the run stops with exit status 1, printing the cell's
source and its outputs as text -- GoNB reports compile errors only as a text/html output, which is converted
to text here. An HTML rendering that references a remote script/stylesheet also fails the run.

Every code cell must also produce the outputs its metadata expects (`musicrep.outputs`, or
`musicrep.outputs_small` when MUSICREP_NB_SMALL=1): the same displays (html, markdown, png, ...) in the same
order, and the same streams (stdout, stderr; their order among the displays is not fixed, since GoNB sends printed
text and displays through different pipes). A lost display fails the run. `--record` writes the outputs of a
passing run into the source notebooks' metadata instead of checking them (look at the run's HTML first).
"""

from __future__ import annotations

import argparse
import html
import os
import re
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbconvert import HTMLExporter

TEMPLATE_DIR = Path(__file__).resolve().parent / "nbconvert"
TEMPLATE_NAME = "musicrep_offline"

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
# Remote resources an HTML rendering must not load: <script src=http(s)://...>, <link href=//...>,
# ES-module import("https://...") and CSS @import url(https://...).
REMOTE_REFS = re.compile(
    r"""<script\b[^>]*\bsrc\s*=\s*["']?(?:https?:)?//[^"'\s>]+"""
    r"""|<link\b[^>]*\bhref\s*=\s*["']?(?:https?:)?//[^"'\s>]+"""
    r"""|\bimport\s*\(\s*["'](?:https?:)?//[^"']+"""
    r"""|@import\s+(?:url\()?\s*["']?(?:https?:)?//[^"')\s]+""",
    re.IGNORECASE,
)


class _TextOfHTML(HTMLParser):
    """Visible text of an HTML fragment (drops <style>/<script>, keeps line structure of block elements)."""

    BLOCK = {"div", "p", "pre", "br", "tr", "li", "table", "h1", "h2", "h3", "h4", "section"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._skip += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append("\t")

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip = max(0, self._skip - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)

    @classmethod
    def text(cls, fragment: str) -> str:
        p = cls()
        p.feed(fragment)
        p.close()
        lines = [ln.rstrip() for ln in "".join(p.parts).splitlines()]
        return "\n".join(ln for ln in lines if ln.strip())


def _joined(v) -> str:
    return "".join(v) if isinstance(v, list) else str(v)


def output_text(out, limit: int = 60) -> str:
    """A cell output as plain text, for failure messages."""
    kind = out.get("output_type")
    if kind == "stream":
        text = f"[{out.get('name', 'stream')}]\n" + _joined(out.get("text", ""))
    elif kind == "error":
        tb = "\n".join(out.get("traceback") or [])
        text = f"[error] {out.get('ename', '')}: {out.get('evalue', '')}\n{tb}"
    else:
        data = out.get("data", {})
        if "text/html" in data:
            text = "[text/html]\n" + _TextOfHTML.text(_joined(data["text/html"]))
        elif "text/plain" in data:
            text = "[text/plain]\n" + _joined(data["text/plain"])
        else:
            text = f"[{kind}: {', '.join(sorted(data))}]"
    lines = ANSI.sub("", text).rstrip().splitlines()
    if len(lines) > limit:
        lines = lines[:limit] + [f"... ({len(lines) - limit} more lines)"]
    return "\n".join(lines)


def describe_failure(nb_name: str, nb, index: int | None, reason: str) -> str:
    out = [f"FAILED {nb_name}: {reason}"]
    if index is None:
        return "\n".join(out)
    cell = nb.cells[index]
    code_no = sum(1 for c in nb.cells[: index + 1] if c.cell_type == "code")
    out.append(f"--- cell {index + 1} of {len(nb.cells)} (code cell #{code_no}), source:")
    src = cell.source.splitlines()
    out += ["    " + s for s in src[:25]] + (["    ..."] if len(src) > 25 else [])
    outputs = []  # consecutive stream outputs of the same stream merged (GoNB sends panics in pieces)
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream" and outputs and outputs[-1].get("output_type") == "stream" \
                and outputs[-1].get("name") == o.get("name"):
            outputs[-1] = {**outputs[-1], "text": _joined(outputs[-1]["text"]) + _joined(o.get("text", ""))}
        else:
            outputs.append(o)
    out.append(f"--- its outputs ({len(outputs)}):" if outputs else "--- no outputs")
    for o in outputs:
        out += ["    " + s for s in output_text(o).splitlines()]
    return "\n".join(out)


STREAMS = ("stdout", "stderr")
# Display MIME types by preference: an output's kind is the first of these it carries.
MIME_KINDS = [("text/html", "html"), ("text/markdown", "markdown"), ("image/svg+xml", "svg"), ("image/png", "png"),
              ("image/jpeg", "jpeg"), ("application/json", "json"), ("text/plain", "text")]


def output_kinds(cell) -> list[str]:
    """The kinds of a cell's outputs, in order: stdout/stderr (consecutive pieces of one stream count once),
    error, or the display's main MIME type (html, markdown, svg, png, ...)."""
    kinds: list[str] = []
    for o in cell.get("outputs", []):
        t = o.get("output_type")
        if t == "stream":
            k = o.get("name", "stdout")
            if kinds and kinds[-1] == k:
                continue
        elif t == "error":
            k = "error"
        else:
            data = o.get("data", {})
            k = next((kind for mime, kind in MIME_KINDS if mime in data), "other")
        kinds.append(k)
    return kinds


def expected_kinds(cell, small: bool) -> list[str] | None:
    meta = cell.get("metadata", {}).get("musicrep", {})
    if small and "outputs_small" in meta:
        return list(meta["outputs_small"])
    return list(meta["outputs"]) if "outputs" in meta else None


def kinds_match(got: list[str], want: list[str]) -> bool:
    """Displays equal and in order; the same set of streams (where they fall among the displays is not fixed)."""
    displays = lambda ks: [k for k in ks if k not in STREAMS]  # noqa: E731
    streams = lambda ks: sorted({k for k in ks if k in STREAMS})  # noqa: E731
    return displays(got) == displays(want) and streams(got) == streams(want)


def check_outputs(nb, small: bool) -> list[str]:
    """Problems with the cells' outputs against their metadata, one line each."""
    problems = []
    code_no = 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        code_no += 1
        got, want = output_kinds(cell), expected_kinds(cell, small)
        where = f"cell {i + 1} (code cell #{code_no})"
        if want is None:
            problems.append(f"{where}: no expected outputs in its metadata (musicrep.outputs); it produced "
                            f"{got or 'none'} (record them with scripts/nbrun.py --record)")
        elif not kinds_match(got, want):
            problems.append(f"{where}: expected outputs {want or 'none'}, got {got or 'none'}"
                            + (" -- a display is missing" if len(got) < len(want) else ""))
    return problems


def record_outputs(path: Path, executed, small: bool) -> int:
    """Writes the executed cells' output kinds into the source notebook's metadata; returns the cells changed."""
    src = nbformat.read(path, as_version=4)
    key = "outputs_small" if small else "outputs"
    changed = 0
    for cell, done in zip(src.cells, executed.cells):
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.setdefault("musicrep", {})
        before = dict(meta)
        got = output_kinds(done)
        meta[key] = got
        if "outputs" not in meta:
            meta["outputs"] = got
        if meta.get("outputs_small") == meta.get("outputs"):
            meta.pop("outputs_small", None)
        changed += meta != before
    nbformat.write(src, path)
    return changed


def render_html(nb, name: str, html_path: Path) -> list[str]:
    exporter = HTMLExporter(
        extra_template_basedirs=[str(TEMPLATE_DIR)], template_name=TEMPLATE_NAME, embed_images=True
    )
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": name}})
    html_path.write_text(body, encoding="utf-8")
    return sorted({m.group(0)[:160] for m in REMOTE_REFS.finditer(body)})


def run_one(path: Path, args) -> bool:
    nb = nbformat.read(path, as_version=4)
    name = path.stem
    current: dict[str, int | None] = {"index": None}
    started: dict[int, float] = {}
    seconds: dict[int, float] = {}

    def on_start(cell, cell_index, **_):
        current["index"] = cell_index
        started[cell_index] = time.monotonic()

    def on_executed(cell, cell_index, **_):
        seconds[cell_index] = time.monotonic() - started.get(cell_index, time.monotonic())

    client = NotebookClient(
        nb,
        kernel_name=args.kernel,
        timeout=args.timeout,
        startup_timeout=args.startup_timeout,
        allow_errors=False,
        record_timing=True,  # execution timestamps in the cells' metadata
        resources={"metadata": {"path": str(path.parent.resolve())}},
        on_cell_start=on_start,
        on_cell_executed=on_executed,
    )
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    nb_out, html_out = out_dir / f"{name}.ipynb", out_dir / f"{name}.html"
    kernel_log = out_dir / f"{name}.kernel.log"
    t0 = time.monotonic()
    failure, cell_error = None, False
    try:
        # The kernel's own stdout/stderr (GoNB's klog lines) go to a log file, not to the console.
        with open(kernel_log, "wb") as log:
            client.execute(stdout=log, stderr=log)
    except CellExecutionError as e:
        reason = f"cell raised {e.ename or 'an error'}" + (f": {e.evalue}" if e.evalue else "")
        failure, cell_error = describe_failure(path.name, nb, current["index"], reason.strip()), True
    except CellTimeoutError:
        failure = describe_failure(path.name, nb, current["index"], f"cell timed out after {args.timeout} s "
                                   "(MUSICREP_NB_TIMEOUT)")
    except DeadKernelError as e:
        failure = describe_failure(path.name, nb, current["index"], f"kernel died: {e}")
    except Exception as e:  # kernel failed to start, missing kernel spec, ...
        failure = describe_failure(path.name, nb, current["index"], f"{type(e).__name__}: {e}")
    wall = time.monotonic() - t0

    nbformat.write(nb, nb_out)
    remote = render_html(nb, name, html_out)

    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    slow = [(i + 1, s) for i, s in sorted(seconds.items()) if s >= 1.0]
    if failure:
        print(failure, file=sys.stderr, flush=True)
        if not cell_error:  # the kernel did not start, died or hung: its log says why
            tail = ANSI.sub("", kernel_log.read_text(errors="replace")).splitlines()[-20:]
            print(f"--- last lines of the kernel log {kernel_log}:", file=sys.stderr)
            print("\n".join("    " + ln for ln in tail), file=sys.stderr)
        print(f"       kernel log: {kernel_log}", file=sys.stderr)
        print(f"       executed so far: {nb_out}, {html_out}", file=sys.stderr)
        print(f"FAIL   {path.name}  {wall:.1f} s", flush=True)
        return False
    if remote:
        print(f"FAILED {path.name}: {html_out} references remote resources (render offline, no CDN scripts):",
              file=sys.stderr)
        for r in remote:
            print(f"    {r}", file=sys.stderr)
        print(f"FAIL   {path.name}  {wall:.1f} s", flush=True)
        return False
    small = os.environ.get("MUSICREP_NB_SMALL", "").strip().lower() in ("1", "true", "yes")
    if args.record:
        n = record_outputs(path, nb, small)
        print(f"RECORD {path.name}: outputs of {n} cell(s) changed in its metadata"
              f" ({'outputs_small' if small else 'outputs'})", flush=True)
    else:
        problems = check_outputs(nb, small)
        if problems:
            print(f"FAILED {path.name}: outputs differ from the cells' expected outputs (metadata musicrep.outputs"
                  f"{'_small' if small else ''}); executed notebook: {nb_out}", file=sys.stderr)
            for p in problems:
                print(f"    {p}", file=sys.stderr)
            print(f"FAIL   {path.name}  {wall:.1f} s", flush=True)
            return False
    slow_txt = ", ".join(f"cell {i}: {s:.1f} s" for i, s in slow)
    print(f"PASS   {path.name}  {wall:.1f} s  ({len(code_cells)} code cells{'; ' + slow_txt if slow else ''})",
          flush=True)
    return True


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="+", type=Path)
    ap.add_argument("--out-dir", default="out/notebooks")
    ap.add_argument("--kernel", default="gonb")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    ap.add_argument("--startup-timeout", type=int, default=120, help="seconds for the kernel to start")
    ap.add_argument("--record", action="store_true",
                    help="write each code cell's output kinds into the source notebook's metadata instead of checking")
    args = ap.parse_args()

    t0 = time.monotonic()
    for path in args.notebooks:
        print(f"RUN    {os.path.relpath(path)}", flush=True)
        if not run_one(path, args):
            print(f"notebooks: FAILED at {os.path.relpath(path)} after {time.monotonic() - t0:.1f} s", file=sys.stderr)
            return 1
    print(f"notebooks: {len(args.notebooks)} passed in {time.monotonic() - t0:.1f} s; outputs in {args.out_dir}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
