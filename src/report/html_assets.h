// report/html_assets.h (private): the report page's style sheet and its one script, kept apart
// from the code that writes the page. The script's SHA-256 goes into the page's
// Content-Security-Policy, so any change to it is allowed by construction.
#pragma once

#include <string_view>

namespace neardup::report_internal {

// The page's script: search by text or id, filters by size and similarity, expand/collapse, over
// the clusters (details.cl) and, when the page has them, the stories (details.st).
// It only reads textContent and toggles classes: corpus text never becomes markup.
inline constexpr std::string_view kScript = R"JS(
(function () {
  'use strict';
  var q = document.getElementById('q');
  var minSize = document.getElementById('minsize');
  var minSim = document.getElementById('minsim');
  var minSimOut = document.getElementById('minsimv');
  var shownOut = document.getElementById('shown');
  var sShownOut = document.getElementById('sshown');
  var clusters = Array.prototype.slice.call(document.querySelectorAll('details.cl'));
  var rowsOf = clusters.map(function (c) { return c.querySelectorAll('tr.mem'); });
  var stories = Array.prototype.slice.call(document.querySelectorAll('details.st'));
  var storyRowsOf = stories.map(function (s) { return s.querySelectorAll('tr.mem'); });
  var index = null, storyIndex = null;
  function norm(s) {
    s = s.toLowerCase();
    return s.normalize ? s.normalize('NFKC') : s;
  }
  // What a member row is searched by: its id, title, body and extra field values, not the
  // badges, the field names, the similarity or the text marked as only in the representative
  // (<del>).
  function ownText(node) {
    if (node.nodeType === 3) return node.nodeValue;
    if (node.nodeName === 'DEL' || (node.classList && (node.classList.contains('badge') ||
                                                       node.classList.contains('fk')))) {
      return '';
    }
    var s = '';
    for (var c = node.firstChild; c; c = c.nextSibling) s += ownText(c);
    return s;
  }
  function buildIndex(rowLists) {
    return rowLists.map(function (rows) {
      return Array.prototype.map.call(rows, function (r) {
        return norm(ownText(r.cells[0]) + '\n' + ownText(r.cells[2]));
      });
    });
  }
  // Hides the rows below the similarity and marks the rows that hold the term; returns whether
  // any row did.
  function markRows(rows, rowIndex, term, sim) {
    var hit = false;
    for (var j = 0; j < rows.length; j++) {
      var r = rows[j];
      var rep = r.classList.contains('rep');
      r.classList.toggle('off', !(rep || +r.getAttribute('data-sim') >= sim));
      var h = !!term && rowIndex[j].indexOf(term) >= 0;
      r.classList.toggle('hit', h);
      if (h) hit = true;
    }
    return hit;
  }
  // Stories stay listed whatever the similarity (a story's groups may all be single documents).
  function applyStories(term, size, sim) {
    if (term && !storyIndex) storyIndex = buildIndex(storyRowsOf);
    var shown = 0, opened = 0;
    for (var i = 0; i < stories.length; i++) {
      var s = stories[i];
      var hit = markRows(storyRowsOf[i], storyIndex ? storyIndex[i] : [], term, sim);
      var show = +s.getAttribute('data-size') >= size && (!term || hit);
      s.classList.toggle('gone', !show);
      if (show) {
        shown++;
        if (term && opened < 25) { s.open = true; opened++; }
      }
    }
    if (sShownOut) sShownOut.textContent = shown.toLocaleString('en-US');
    var none = document.getElementById('snone');
    if (none) none.classList.toggle('gone', shown > 0 || stories.length === 0);
  }
  var timer = 0;
  function apply() {
    timer = 0;
    var term = norm(q.value.trim());
    var size = parseInt(minSize.value, 10) || 0;
    var sim = parseFloat(minSim.value) || 0;
    minSimOut.textContent = sim.toFixed(2);
    if (term && !index) index = buildIndex(rowsOf);
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
    applyStories(term, size, sim);
  }
  function later() { if (timer) clearTimeout(timer); timer = setTimeout(apply, 120); }
  q.addEventListener('input', later);
  minSize.addEventListener('input', later);
  minSim.addEventListener('input', later);
  var blocks = clusters.concat(stories);
  document.getElementById('expand').addEventListener('click', function () {
    blocks.forEach(function (c) { if (!c.classList.contains('gone')) c.open = true; });
  });
  document.getElementById('collapse').addEventListener('click', function () {
    blocks.forEach(function (c) { c.open = false; });
  });
  document.documentElement.classList.add('js');
})();
)JS";

inline constexpr std::string_view kStyle = R"CSS(
:root{--fg:#1c2128;--muted:#5d6873;--line:#dde2e7;--bg:#f5f6f8;--card:#fff;--acc:#1f5fbf;
--ins:#d3f3da;--insfg:#0a5a1f;--del:#fde2e1;--delfg:#9b1c1c;--hit:#fff3bf;
--cjk:"Noto Sans CJK KR","Apple SD Gothic Neo","Malgun Gothic","Nanum Gothic",sans-serif}
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
details.cl,details.st{background:var(--card);border:1px solid var(--line);border-radius:8px;margin:8px 0}
details.st{border-left:4px solid var(--acc)}
details.cl>summary,details.st>summary{cursor:pointer;padding:9px 14px;display:flex;gap:14px;align-items:baseline;list-style-position:outside}
details.cl>summary::-webkit-details-marker,details.st>summary::-webkit-details-marker{color:var(--muted)}
details.cl[open]>summary,details.st[open]>summary{border-bottom:1px solid var(--line)}
.grp+.grp{border-top:2px solid var(--line)}
.gh{margin:0;padding:6px 14px;display:flex;gap:14px;align-items:baseline;background:#fafbfc;font-size:.9em}
.gh .rank{min-width:4.5em}
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
margin-left:4px;font-family:var(--cjk);white-space:nowrap}
.badge.same{background:#e6f4ea;color:#1d6b35}.badge.miss{background:#fde2e1;color:#9b1c1c}
.t{font-weight:600}.b{color:var(--muted);font-size:.88em;margin-top:2px}
ins{background:var(--ins);color:var(--insfg);text-decoration:none;border-radius:2px}
del{background:var(--del);color:var(--delfg);text-decoration:line-through;border-radius:2px}
.more{color:var(--muted);font-size:.88em;padding:6px 14px;margin:0;border-top:1px solid var(--line)}
tr.off{display:none}tr.hit td{background:var(--hit)}.gone{display:none}
.legend{color:var(--muted);font-size:.85em}
.note.warn{background:#fde2e1;border-color:#f1a9a7}
.fx{display:flex;flex-wrap:wrap;gap:0 14px;margin-top:3px;font-size:.84em;font-family:var(--cjk)}
.fk{color:var(--muted);font-size:.9em;margin-right:3px}
footer{color:var(--muted);font-size:.82em;margin-top:30px}
@media (max-width:600px){
main{padding:14px 10px 40px}
.tools{position:static}
.cards{grid-template-columns:repeat(2,minmax(0,1fr))}
table.kv,table.kv tbody,table.kv tr,table.kv th,table.kv td{display:block}
table.kv th{white-space:normal;padding-bottom:0}table.kv td{border-top:0}
.tools input[type=search]{flex:1 1 100%}
details.cl>summary,details.st>summary,.gh{flex-wrap:wrap;gap:2px 10px;padding:8px 10px}
.rt{flex:1 1 100%}
table.m,table.m tbody,table.m tr,table.m td{display:block;width:auto}
table.m thead{display:none}
table.m tr{border-top:1px solid var(--line);padding:6px 10px}
table.m tr.off{display:none}
table.m td{border-top:0;padding:1px 0}
tr.rep td.s{display:none}
td.s .meter{display:inline-block;margin:0 0 0 8px;vertical-align:middle}
td.s .why{display:inline;margin-left:8px}
}
)CSS";

}  // namespace neardup::report_internal
