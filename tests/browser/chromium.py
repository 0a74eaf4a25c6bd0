"""Headless Chromium for the browser tests: print to A4 PDF, dump the DOM, run axe-core.

Debian's ``/usr/bin/chromium`` (or ``CASECHECK_CHROMIUM``) is driven by its own headless flags,
each run with a fresh profile directory and no network beyond the file it opens. axe-core comes
from npm (``.ci/run`` installs it into ``tests/browser/node_modules``, git-ignored).

Without Chromium or axe-core the tests are skipped with a reason saying so, except under CI
(``CI=true``), where they fail instead: CI must never pass without having run them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MARKER = "AXE-RESULTS:"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def _missing(what: str) -> None:
    message = (f"{what}; the browser tests did not run (.ci/run installs it: apt-get install "
               "chromium; npm install axe-core into tests/browser/node_modules)")
    if _in_ci():
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


def chromium() -> str:
    found = os.environ.get("CASECHECK_CHROMIUM") or shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if not found:
        _missing("Chromium not found (/usr/bin/chromium)")
    return str(found)


def axe_source() -> str:
    if not AXE.exists():
        _missing(f"axe-core not installed ({AXE.relative_to(HERE.parent.parent)} missing)")
    return AXE.read_text(encoding="utf-8")


def run(args: list[str], timeout: int = 120) -> subprocess.CompletedProcess[str]:
    exe = chromium()
    with tempfile.TemporaryDirectory(prefix="casecheck-chromium-") as profile:
        return subprocess.run([exe, *FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=timeout, check=False)


def print_pdf(html_file: Path, pdf: Path) -> Path:
    done = run(["--no-pdf-header-footer", "--virtual-time-budget=5000",
                f"--print-to-pdf={pdf}", html_file.resolve().as_uri()])
    assert pdf.exists() and pdf.stat().st_size > 0, done.stderr[-2000:]
    return pdf


def screenshot(html_file: Path, png: Path, width: int = 900, height: int = 1400) -> Path:
    run([f"--screenshot={png}", f"--window-size={width},{height}", "--hide-scrollbars",
         html_file.resolve().as_uri()])
    assert png.exists(), png
    return png


def dump_dom(html_file: Path, budget_ms: int = 20000) -> str:
    done = run([f"--virtual-time-budget={budget_ms}", "--dump-dom", html_file.resolve().as_uri()])
    return done.stdout


def pdf_pages(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(str(pdf)).pages)


def pdf_text(pdf: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(str(pdf)).pages)


def with_script(html: str, script: str) -> str:
    """The document with a script added at the end of its body."""
    cut = html.rfind("</body>")
    return html[:cut] + f"<script>{script}</script>" + html[cut:]


class _Pre(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.inside = self.inside or ("id", "axe-results") in attrs

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self.inside = False

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.text.append(data)


def axe_violations(html: str, workdir: Path) -> list[dict[str, object]]:
    """Run axe-core (every rule but the experimental ones) in headless Chromium; its
    violations, each ``{id, impact, help, nodes: [target, ...]}``."""
    runner = f"""
    window.addEventListener("load", function () {{
      axe.run(document, {{resultTypes: ["violations"]}}).then(function (r) {{
        var out = r.violations.map(function (v) {{
          return {{id: v.id, impact: v.impact, help: v.help,
                   nodes: v.nodes.map(function (n) {{ return n.target.join(" "); }})}};
        }});
        var pre = document.createElement("pre");
        pre.id = "axe-results";
        pre.textContent = {json.dumps(MARKER)} + JSON.stringify(out);
        document.body.appendChild(pre);
      }}, function (e) {{
        var pre = document.createElement("pre");
        pre.id = "axe-results";
        pre.textContent = {json.dumps(MARKER)} + JSON.stringify([{{id: "axe-error",
          help: String(e)}}]);
        document.body.appendChild(pre);
      }});
    }});
    """
    cut = html.rfind("</body>")
    page = (html[:cut] + f"<script>{axe_source()}</script><script>{runner}</script>"
            + html[cut:])
    target = workdir / "axe-page.html"
    target.write_text(page, encoding="utf-8")
    dom = dump_dom(target)
    parser = _Pre()
    parser.feed(dom)
    text = "".join(parser.text)
    assert text.startswith(MARKER), f"axe did not report (Chromium output: {dom[-500:]!r})"
    return json.loads(text[len(MARKER):])
