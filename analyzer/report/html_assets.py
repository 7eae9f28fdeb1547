"""The HTML report's inline stylesheet and script, and the Content-Security-Policy that admits them.

Both are constants, so the report is byte-identical for the same data; the policy allows exactly
these two blocks by hash and nothing else (no network, no other script, no inline handlers).
The script only shows the controls, hides and shows what the server already rendered: it never
builds markup from data.
"""

from __future__ import annotations

import base64
import hashlib

STYLE = """
:root { color-scheme: light dark; --fg: #1d2330; --muted: #5b6475; --bg: #fff; --panel: #f5f7fa;
  --line: #d9dee7; --code: #eef1f5; --error: #b3261e; --warning: #8a5a00; --info: #1f5fa8;
  --error-bg: #fdecea; --warning-bg: #fff4dc; --info-bg: #e8f0fb; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6e9ef; --muted: #a3abbb; --bg: #15181e; --panel: #1e232b; --line: #353c48;
    --code: #262c36; --error: #ff8a80; --warning: #ffcc66; --info: #8ab4f8;
    --error-bg: #3a1f1e; --warning-bg: #372c14; --info-bg: #1c2a40; }
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; }
body { margin: 0 auto; max-width: 80rem; padding: 1rem 1.5rem 3rem; color: var(--fg);
  background: var(--bg); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
h1 { font-size: 1.6rem; margin: 0.5rem 0 0.25rem; }
h2 { font-size: 1.3rem; margin: 2rem 0 0.5rem; padding-top: 1rem;
  border-top: 2px solid var(--line); }
h3 { font-size: 1.1rem; margin: 1.5rem 0 0.5rem; }
h4 { font-size: 1rem; margin: 0 0 0.5rem; }
code, pre { font: 0.86em/1.45 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
code { background: var(--code); padding: 0.05em 0.3em; border-radius: 3px;
  overflow-wrap: anywhere; }
pre { background: var(--code); padding: 0.6rem 0.8rem; overflow-x: auto; margin: 0.25rem 0 0;
  border-radius: 4px; }
pre code { padding: 0; background: none; }
.meta, .muted { color: var(--muted); }
main > section:first-child > h2 { border-top: none; padding-top: 0; }
.toolbar { position: sticky; top: 0; z-index: 1; background: var(--bg); padding: 0.5rem 0;
  border-bottom: 1px solid var(--line); display: flex; flex-wrap: wrap; gap: 1rem;
  align-items: center; }
fieldset { border: 1px solid var(--line); border-radius: 4px; margin: 0; padding: 0.2rem 0.8rem; }
legend { padding: 0 0.3rem; color: var(--muted); font-size: 0.9em; }
fieldset label { margin-right: 1rem; white-space: nowrap; cursor: pointer; }
dl.identity { display: grid; grid-template-columns: max-content 1fr; gap: 0.15rem 1rem;
  margin: 0.5rem 0; }
dl.identity dt, .finding dt { color: var(--muted); }
dl.identity dd, .finding dd { margin: 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(8.5rem, 1fr));
  gap: 0.6rem; margin: 0.75rem 0; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 6px;
  padding: 0.5rem 0.75rem; }
.card .n { display: block; font-size: 1.6rem; font-weight: 600; }
.card .label { color: var(--muted); font-size: 0.9em; }
.card.error.hot { background: var(--error-bg); border-color: var(--error); }
.card.warning.hot { background: var(--warning-bg); border-color: var(--warning); }
.note { background: var(--warning-bg); border-left: 4px solid var(--warning);
  padding: 0.4rem 0.75rem; }
.finding { border: 1px solid var(--line); border-left: 6px solid var(--line); border-radius: 6px;
  padding: 0.75rem 1rem; margin: 0.75rem 0; background: var(--bg); }
.finding.error { border-left-color: var(--error); }
.finding.warning { border-left-color: var(--warning); }
.finding.info { border-left-color: var(--info); }
.finding dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.15rem 1rem;
  margin: 0.5rem 0; }
.badge { display: inline-block; border-radius: 3px; padding: 0 0.4em; font-size: 0.8em;
  font-weight: 700; text-transform: uppercase; letter-spacing: 0.03em; vertical-align: 0.1em; }
.badge.error { color: var(--error); background: var(--error-bg); }
.badge.warning { color: var(--warning); background: var(--warning-bg); }
.badge.info { color: var(--info); background: var(--info-bg); }
.missing { color: var(--error); font-weight: 600; }
ol.chain { list-style: none; margin: 0.25rem 0 0.5rem; padding: 0; }
ol.chain li { position: relative; padding: 0.1rem 0 0.1rem 1.4rem; }
ol.chain li::before { content: "\\2193"; position: absolute; left: 0.3rem; color: var(--muted); }
ol.chain li:first-child::before { content: "\\25CF"; }
ol.chain .kind { display: inline-block; min-width: 7.5rem; color: var(--muted); font-size: 0.9em; }
ol.chain .from { color: var(--muted); font-size: 0.9em; }
figure { margin: 0.5rem 0 0; }
figcaption { color: var(--muted); font-size: 0.9em; }
.search { margin: 0.5rem 0; }
.search input { font: inherit; padding: 0.2rem 0.4rem; min-width: 20rem; max-width: 100%; }
details.attribution { margin: 0.4rem 0; }
details.attribution > summary { cursor: pointer; font-weight: 600; padding: 0.2rem 0; }
table { border-collapse: collapse; width: 100%; margin: 0.25rem 0 0.75rem; font-size: 0.92em; }
th, td { text-align: left; vertical-align: top; padding: 0.25rem 0.5rem;
  border-bottom: 1px solid var(--line); }
thead th { background: var(--panel); }
tbody th { font-weight: normal; }
td code { overflow-wrap: break-word; }
tbody:nth-of-type(even) { background: var(--panel); }
.unattributed { color: var(--error); font-weight: 600; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  .toolbar, .search, .js-only { display: none !important; }
  h2 { break-before: page; }
  h2:first-of-type { break-before: auto; }
  .finding, tbody, figure, .card { break-inside: avoid; }
  pre { white-space: pre-wrap; }
}
""".strip()

SCRIPT = """
(function () {
  "use strict";
  function all(selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  }
  function applySeverity() {
    var shown = {};
    all("input[data-severity]").forEach(function (box) {
      shown[box.getAttribute("data-severity")] = box.checked;
    });
    all("[data-findings]").forEach(function (list) {
      var items = all(".finding", list);
      var visible = 0;
      items.forEach(function (item) {
        item.hidden = !shown[item.getAttribute("data-severity")];
        visible += item.hidden ? 0 : 1;
      });
      var status = list.querySelector(".filter-status");
      status.textContent = visible === items.length ? "" :
        "Showing " + visible + " of " + items.length + " findings (severity filter).";
    });
  }
  function applySearch(input) {
    var query = input.value.trim().toLowerCase();
    var scope = document.getElementById(input.getAttribute("data-search"));
    all("details.attribution", scope).forEach(function (block) {
      var groups = all("tbody", block);
      var visible = 0;
      groups.forEach(function (group) {
        var match = query === "" || group.textContent.toLowerCase().indexOf(query) !== -1;
        group.hidden = !match;
        visible += match ? 1 : 0;
      });
      block.querySelector(".count").textContent =
        query === "" ? String(groups.length) : visible + " of " + groups.length + " match";
      if (query !== "") {
        block.open = visible > 0;
      }
    });
  }
  all(".js-only").forEach(function (element) {
    element.hidden = false;
  });
  all("input[data-severity]").forEach(function (box) {
    box.addEventListener("change", applySeverity);
  });
  all("input[data-search]").forEach(function (input) {
    input.addEventListener("input", function () {
      applySearch(input);
    });
    applySearch(input);
  });
  window.addEventListener("beforeprint", function () {
    all("details.attribution").forEach(function (block) {
      block.open = true;
    });
  });
  applySeverity();
})();
""".strip()


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


def content_security_policy() -> str:
    """Nothing but the inline style and script below; no network at all."""
    return (
        f"default-src 'none'; style-src '{_sha256(STYLE)}'; script-src '{_sha256(SCRIPT)}'; "
        "base-uri 'none'; form-action 'none'"
    )
