import Foundation

/// The site's frame, style sheet and script: one local file each, nothing from the network.
enum SiteAssets {
    /// A page: the frame around `body`, its title escaped. Scripts and styles are the site's own files only
    /// (the content security policy forbids inline scripts, so even unescaped text could not run).
    static func page(title: String, body: String, script: Bool = false) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'">
        <meta name="generator" content="lgreg site">
        <title>\(HTML.escape(title))</title>
        <link rel="stylesheet" href="site.css">
        \(script ? "<script src=\"site.js\" defer></script>\n" : "")</head>
        <body>
        <header class="top"><a class="home" href="index.html">lgreg registry</a></header>
        <main>
        \(body)
        </main>
        <footer>Written by <code>lgreg site</code> from the store: the same store gives the same pages. \
        Times are those the store recorded.</footer>
        </body>
        </html>

        """
    }

    static let css = """
        :root { --fg: #1d2330; --muted: #5b6475; --line: #d9dde5; --bg: #fff; --band: #f5f7fa; --accent: #1f5fbf;
          --ok: #1e7b34; --bad: #b3261e; --warn: #9a5b00; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif;
          color: var(--fg); background: var(--bg); }
        header.top { background: #16213a; padding: 0.6rem 1.5rem; }
        header.top a.home { color: #fff; font-weight: 600; text-decoration: none; letter-spacing: 0.02em; }
        main { max-width: 1240px; margin: 0 auto; padding: 1rem 1.5rem 2rem; }
        footer { max-width: 1240px; margin: 0 auto; padding: 1rem 1.5rem 2rem; color: var(--muted); font-size: 13px;
          border-top: 1px solid var(--line); }
        h1 { font-size: 1.6rem; margin: 0.8rem 0 0.2rem; word-break: break-word; }
        h2 { font-size: 1.2rem; margin: 1.8rem 0 0.6rem; padding-bottom: 0.2rem; border-bottom: 1px solid var(--line); }
        a { color: var(--accent); }
        code, pre, .digest { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; }
        .subtitle { color: var(--muted); margin: 0 0 1rem; }
        .intro { color: var(--muted); margin: 0 0 1rem; }
        .digest { word-break: break-all; }
        .note { color: var(--muted); font-size: 13px; margin: 0.3rem 0; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1.2rem; margin: 0; }
        dl.facts dt { color: var(--muted); }
        dl.facts dd { margin: 0; white-space: pre-wrap; word-break: break-word; }
        .table-wrap { overflow-x: auto; }
        table { border-collapse: collapse; width: 100%; font-size: 14px; }
        th, td { padding: 0.35rem 0.6rem; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
        #digest-table td { overflow-wrap: anywhere; }
        td.entry a, td .mono { white-space: nowrap; }
        .mono { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; }
        thead th { background: var(--band); font-weight: 600; white-space: nowrap; }
        th.num { text-align: right; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        tbody tr:hover { background: #f0f4fb; }
        th button { font: inherit; font-weight: 600; color: inherit; background: none; border: 0; padding: 0; cursor: pointer; }
        th button::after { content: " \\2195"; color: #9aa3b2; }
        th[aria-sort="ascending"] button::after { content: " \\2191"; color: var(--fg); }
        th[aria-sort="descending"] button::after { content: " \\2193"; color: var(--fg); }
        .controls { display: flex; gap: 1rem; align-items: center; margin: 1rem 0 0.6rem; flex-wrap: wrap; }
        .controls input { font: inherit; padding: 0.4rem 0.6rem; width: min(28rem, 100%); border: 1px solid #b8c0cc;
          border-radius: 4px; }
        .badge { display: inline-block; padding: 0 0.45rem; border-radius: 3px; font-size: 12px; font-weight: 600;
          border: 1px solid currentColor; white-space: nowrap; }
        .badge.ok { color: var(--ok); } .badge.mismatch, .badge.damaged { color: var(--bad); }
        .badge.cannot-verify { color: var(--warn); } .badge.never { color: var(--muted); }
        .kind { color: var(--muted); white-space: nowrap; }
        .small { font-size: 12px; color: var(--muted); }
        .nowrap { white-space: nowrap; }
        ul.tree, ul.tree ul { list-style: none; margin: 0; padding-left: 1.3rem; }
        ul.tree { padding-left: 0; }
        ul.tree li { position: relative; padding-left: 0.9rem; }
        ul.tree li::before { content: ""; position: absolute; left: 0; top: 0.75em; width: 0.6rem; border-top: 1px solid #9aa3b2; }
        ul.tree li.here > span.node { font-weight: 700; }
        .plot svg { max-width: 100%; height: auto; border: 1px solid var(--line); background: #fff; }
        pre { background: var(--band); border: 1px solid var(--line); padding: 0.7rem 0.9rem; overflow-x: auto;
          white-space: pre-wrap; word-break: break-word; }
        details summary { cursor: pointer; color: var(--accent); margin: 0.4rem 0; }
        ul.checks { margin: 0.4rem 0; padding-left: 1.2rem; font-size: 13px; }

        """

    /// The index's filter and sortable columns.
    static let script = """
        // lgreg site: the index's filter box and sortable columns (no library, nothing from the network).
        "use strict";
        document.addEventListener("DOMContentLoaded", function () {
          var table = document.getElementById("entries");
          var filter = document.getElementById("filter");
          if (!table || !filter) { return; }
          var body = table.tBodies[0];
          var rows = Array.prototype.slice.call(body.rows);
          var shown = document.getElementById("shown");
          filter.addEventListener("input", function () {
            var words = filter.value.toLowerCase().split(/\\s+/).filter(function (w) { return w.length > 0; });
            var count = 0;
            rows.forEach(function (row) {
              var text = row.getAttribute("data-search") || "";
              var match = words.every(function (w) { return text.indexOf(w) >= 0; });
              row.hidden = !match;
              if (match) { count += 1; }
            });
            shown.textContent = String(count);
          });
          var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
          headers.forEach(function (th, column) {
            var button = th.querySelector("button");
            if (!button) { return; }
            button.addEventListener("click", function () {
              var descending = th.getAttribute("aria-sort") === "ascending";
              headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
              th.setAttribute("aria-sort", descending ? "descending" : "ascending");
              var numeric = th.getAttribute("data-type") === "number";
              function key(row) {
                var cell = row.cells[column];
                var value = cell.getAttribute("data-value");
                if (value === null) { value = cell.textContent.trim(); }
                return numeric ? (value === "" ? -Infinity : parseFloat(value)) : value.toLowerCase();
              }
              rows.sort(function (a, b) {
                var x = key(a), y = key(b);
                var order = x < y ? -1 : x > y ? 1 : 0;
                return descending ? -order : order;
              });
              rows.forEach(function (row) { body.appendChild(row); });
            });
          });
        });

        """
}
