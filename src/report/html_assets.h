// report/html_assets.h (private): the report page's style sheet and its one script, kept apart
// from the code that writes the page. The script's SHA-256 goes into the page's
// Content-Security-Policy, so any change to it is allowed by construction.
#pragma once

#include <string_view>

namespace neardup::report_internal {

// The page's script: search by text or id, filters by size and similarity, expand/collapse.
// It only reads textContent and toggles classes: corpus text never becomes markup.
inline constexpr std::string_view kScript = R"JS(
(function () {
  'use strict';
  var q = document.getElementById('q');
  var minSize = document.getElementById('minsize');
  var minSim = document.getElementById('minsim');
  var minSimOut = document.getElementById('minsimv');
  var shownOut = document.getElementById('shown');
  var clusters = Array.prototype.slice.call(document.querySelectorAll('details.cl'));
  var rowsOf = clusters.map(function (c) { return c.querySelectorAll('tr.mem'); });
  var index = null;
  function norm(s) {
    s = s.toLowerCase();
    return s.normalize ? s.normalize('NFKC') : s;
  }
  // What a member row is searched by: its id, title and body, not the badges, the similarity
  // or the text marked as only in the representative (<del>).
  function ownText(node) {
    if (node.nodeType === 3) return node.nodeValue;
    if (node.nodeName === 'DEL' || (node.classList && node.classList.contains('badge'))) return '';
    var s = '';
    for (var c = node.firstChild; c; c = c.nextSibling) s += ownText(c);
    return s;
  }
  function buildIndex() {
    index = rowsOf.map(function (rows) {
      return Array.prototype.map.call(rows, function (r) {
        return norm(ownText(r.cells[0]) + '\n' + ownText(r.cells[2]));
      });
    });
  }
  var timer = 0;
  function apply() {
    timer = 0;
    var term = norm(q.value.trim());
    var size = parseInt(minSize.value, 10) || 0;
    var sim = parseFloat(minSim.value) || 0;
    minSimOut.textContent = sim.toFixed(2);
    if (term && !index) buildIndex();
    var shown = 0, opened = 0;
    for (var i = 0; i < clusters.length; i++) {
      var c = clusters[i], rows = rowsOf[i];
      var ok = +c.getAttribute('data-size') >= size;
      var anySim = false, hit = false;
      for (var j = 0; j < rows.length; j++) {
        var r = rows[j];
        var rep = r.classList.contains('rep');
        var simOk = rep || +r.getAttribute('data-sim') >= sim;
        r.classList.toggle('off', !simOk);
        if (simOk && !rep) anySim = true;
        var h = !!term && index[i][j].indexOf(term) >= 0;
        r.classList.toggle('hit', h);
        if (h) hit = true;
      }
      var show = ok && anySim && (!term || hit);
      c.classList.toggle('gone', !show);
      if (show) {
        shown++;
        if (term && opened < 25) { c.open = true; opened++; }
      }
    }
    shownOut.textContent = shown.toLocaleString('en-US');
    document.getElementById('none').classList.toggle('gone', shown > 0);
  }
  function later() { if (timer) clearTimeout(timer); timer = setTimeout(apply, 120); }
  q.addEventListener('input', later);
  minSize.addEventListener('input', later);
  minSim.addEventListener('input', later);
  document.getElementById('expand').addEventListener('click', function () {
    clusters.forEach(function (c) { if (!c.classList.contains('gone')) c.open = true; });
  });
  document.getElementById('collapse').addEventListener('click', function () {
    clusters.forEach(function (c) { c.open = false; });
  });
  document.documentElement.classList.add('js');
})();
)JS";

inline constexpr std::string_view kStyle = R"CSS(
:root{--fg:#1c2128;--muted:#5d6873;--line:#dde2e7;--bg:#f5f6f8;--card:#fff;--acc:#1f5fbf;
--ins:#d3f3da;--insfg:#0a5a1f;--del:#fde2e1;--delfg:#9b1c1c;--hit:#fff3bf}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);line-height:1.5;font-size:15px;
font-family:"Noto Sans CJK KR","Noto Sans KR","Apple SD Gothic Neo","Malgun Gothic","Nanum Gothic",
"Segoe UI",system-ui,sans-serif;word-break:keep-all;overflow-wrap:anywhere}
main{max-width:1180px;margin:0 auto;padding:24px 20px 60px}
h1{font-size:1.5em;margin:0 0 4px}h2{font-size:1.15em;margin:28px 0 10px}
.sub{color:var(--muted);margin:0 0 18px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:10px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px}
.card .k{color:var(--muted);font-size:.85em}.card .v{font-size:1.55em;font-weight:700}
.card .d{color:var(--muted);font-size:.82em}
table.kv{border-collapse:collapse;background:var(--card);border:1px solid var(--line);
border-radius:8px;margin-top:10px;font-size:.9em}
table.kv th,table.kv td{text-align:left;padding:4px 12px;border-top:1px solid var(--line);vertical-align:top}
table.kv tr:first-child th,table.kv tr:first-child td{border-top:0}
table.kv th{color:var(--muted);font-weight:500;white-space:nowrap}
code{font-family:"Noto Sans Mono CJK KR","D2Coding",ui-monospace,monospace;font-size:.92em}
.charts{display:flex;flex-wrap:wrap;gap:12px}
figure.chart{margin:0;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:6px}
figure.chart svg{display:block;max-width:100%;height:auto;font-family:inherit}
.bar{fill:#4a7fd0}.sim .bar{fill:#2f9e72}.grid{stroke:#eef0f3}.axis{stroke:#99a3ad}
.ax{font-size:11px;fill:var(--muted)}.bv{font-size:10px;fill:var(--fg)}.ct{font-size:13px;font-weight:600;fill:var(--fg)}
.tools{position:sticky;top:0;z-index:2;background:var(--bg);padding:10px 0;display:flex;flex-wrap:wrap;
gap:10px 18px;align-items:center;border-bottom:1px solid var(--line)}
.tools input[type=search]{flex:1 1 280px;font:inherit;padding:6px 10px;border:1px solid #b9c2cc;border-radius:6px}
.tools input[type=number]{width:5em;font:inherit;padding:4px 6px}
.tools label{white-space:nowrap;color:var(--muted)}
.tools button{font:inherit;padding:4px 10px;border:1px solid #b9c2cc;border-radius:6px;background:#fff;cursor:pointer}
.count{color:var(--muted);white-space:nowrap}
.note{background:#fff8e1;border:1px solid #f0d890;border-radius:8px;padding:8px 12px;margin:12px 0}
details.cl{background:var(--card);border:1px solid var(--line);border-radius:8px;margin:8px 0}
details.cl>summary{cursor:pointer;padding:9px 14px;display:flex;gap:14px;align-items:baseline;list-style-position:outside}
details.cl>summary::-webkit-details-marker{color:var(--muted)}
details.cl[open]>summary{border-bottom:1px solid var(--line)}
.rank{color:var(--muted);font-variant-numeric:tabular-nums;min-width:3em}
.size{font-weight:700;white-space:nowrap}.minsim{color:var(--muted);white-space:nowrap;font-size:.9em}
.rt{flex:1;min-width:0}
table.m{width:100%;border-collapse:collapse}
table.m th{font-size:.8em;color:var(--muted);font-weight:500;text-align:left;padding:6px 14px}
table.m td{border-top:1px solid var(--line);padding:7px 14px;vertical-align:top}
td.id{width:13em;font-family:"Noto Sans Mono CJK KR",ui-monospace,monospace;font-size:.86em;overflow-wrap:anywhere}
td.s{width:7.5em;white-space:nowrap;font-variant-numeric:tabular-nums}
.meter{display:block;height:4px;background:#e6e9ed;border-radius:2px;margin-top:4px;width:5.5em}
.meter i{display:block;height:4px;background:#2f9e72;border-radius:2px}
.why{display:block;font-size:.8em;color:#56606b;margin-top:2px}
tr.rep{background:#f3f7fd}
.badge{display:inline-block;font-size:.72em;padding:0 6px;border-radius:9px;background:#e1eafa;color:#1f4f9a;
margin-left:4px;font-family:"Noto Sans CJK KR",sans-serif;white-space:nowrap}
.badge.same{background:#e6f4ea;color:#1d6b35}.badge.miss{background:#fde2e1;color:#9b1c1c}
.t{font-weight:600}.b{color:var(--muted);font-size:.88em;margin-top:2px}
ins{background:var(--ins);color:var(--insfg);text-decoration:none;border-radius:2px}
del{background:var(--del);color:var(--delfg);text-decoration:line-through;border-radius:2px}
.more{color:var(--muted);font-size:.88em;padding:6px 14px;margin:0;border-top:1px solid var(--line)}
tr.off{display:none}tr.hit td{background:var(--hit)}.gone{display:none}
.legend{color:var(--muted);font-size:.85em}
footer{color:var(--muted);font-size:.82em;margin-top:30px}
)CSS";

}  // namespace neardup::report_internal
