// Checks a neardup HTML report in headless Chromium, as an editor would use it:
//   - the page loads with no network request and no script error; its script runs (the
//     Content-Security-Policy hash matches);
//   - clusters and their members are there, largest first, the known pair 47093/47088 together
//     with "대통령" marked as inserted;
//   - a document whose title and id are markup shows them as text and adds no element;
//   - typing in the search box narrows the visible clusters; the size and similarity filters work;
//   - a screenshot of the page is saved;
//   - at a phone's width (420 px) nothing runs off the side of the page.
// With STORIES.html (a report with --stories and --report-fields), also:
//   - the stories come first, 47091's story holds 47091, 47090, 47086, 47083 and 47082, and
//     47081's holds 47081 and 47077;
//   - the extra fields show as text (a value that is markup adds no element), a field no
//     document has is warned of;
//   - search narrows the stories too; expand all opens them; no overflow at 420 px.
//
//   node report_browser_test.js REPORT.html SCREENSHOT.png PROFILE_DIR [STORIES.html OUT_DIR]
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const [reportPath, screenshotPath, profileDir, storiesPath, outDir] = process.argv.slice(2);
if (!reportPath || !screenshotPath || !profileDir || (storiesPath && !outDir)) {
  console.error('usage: node report_browser_test.js REPORT.html SCREENSHOT.png PROFILE_DIR ' +
                '[STORIES.html OUT_DIR]');
  process.exit(2);
}

let passed = 0;
let failed = 0;
function check(ok, what, detail) {
  if (ok) {
    passed++;
    console.log(`ok   ${what}`);
  } else {
    failed++;
    console.log(`FAIL ${what}${detail === undefined ? '' : ': ' + JSON.stringify(detail)}`);
  }
}

async function visibleClusters(page) {
  return page.$$eval('details.cl', (cs) =>
    cs.filter((c) => c.getBoundingClientRect().height > 0).map((c) => ({
      id: c.id,
      size: +c.getAttribute('data-size'),
      text: c.textContent,
    })));
}

// At a phone's width, with every block open: how far the page reaches past the window (0 when
// nothing runs off the side), and a screenshot.
async function phoneOverflow(page, shot) {
  await page.setViewportSize({ width: 420, height: 900 });
  await page.click('#expand');
  await page.evaluate(() => window.scrollTo(0, 0));
  const over = await page.evaluate(() =>
    document.documentElement.scrollWidth - document.documentElement.clientWidth);
  await page.screenshot({ path: shot, fullPage: false });
  await page.click('#collapse');
  await page.setViewportSize({ width: 1280, height: 900 });
  return over;
}

async function checkStories(page, url) {
  await page.goto(url, { waitUntil: 'load' });
  check(await page.evaluate(() => document.documentElement.classList.contains('js')),
    'stories: the inline script ran (CSP hash matches)');
  check(await page.evaluate(() => window.__pwned === undefined), 'stories: no injected script ran');
  check(await page.evaluate(() => {
    const s = document.getElementById('stories'), c = document.getElementById('clusters');
    return !!s && !!c && (s.compareDocumentPosition(c) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
  }), 'stories: the stories section comes before the clusters');
  const stories = await page.$$eval('details.st', (ss) => ss.map((s) => ({
    story: s.getAttribute('data-story'),
    docs: +s.getAttribute('data-size'),
    ids: Array.from(s.querySelectorAll('td.id')).map((td) => td.firstChild.textContent.trim()),
    headline: s.querySelector('summary .rt').textContent,
  })));
  check(stories.length >= 2 && stories.every((s, i) => i === 0 || stories[i - 1].docs >= s.docs),
    'stories: several, most documents first', stories.map((s) => s.docs));
  const same = (a, b) => a.length === b.length && [...a].sort().join() === [...b].sort().join();
  const hong = stories.find((s) => s.story === '47091');
  check(!!hong && same(hong.ids, ['47091', '47090', '47086', '47083', '47082']),
    'stories: 47091, 47090, 47086, 47083 and 47082 are one story', hong);
  const lee = stories.find((s) => s.story === '47081');
  check(!!lee && same(lee.ids, ['47081', '47077']), 'stories: 47081 and 47077 are one story', lee);
  check(!!hong && hong.headline.includes('홍장원'),
    'stories: headed by the first document\'s title');

  // Extra fields: labelled, markup shown as text, the missing one warned of.
  check(await page.$$eval('.fk', (xs) => xs.some((x) => x.textContent === 'author')),
    'fields: the author field is shown');
  check(await page.evaluate(() => document.getElementById('injected-press') === null),
    'fields: markup in a field value adds no element');
  const press = await page.$$eval('.fv', (xs) => xs.map((x) => x.textContent));
  check(press.some((t) => t.includes('<i id="injected-press">통신</i><script>')),
    'fields: a markup value is shown as text');
  check(await page.$$eval('script', (xs) => xs.length) === 1, 'fields: one <script> element');
  const warning = await page.textContent('#fields-missing');
  check(/nope/.test(warning) && !/author/.test(warning),
    'fields: a field no document has is warned of', warning);

  // Search narrows the stories; the count follows.
  const total = stories.length;
  await page.fill('#q', '47077');
  await page.waitForTimeout(400);
  const shown = await page.$$eval('details.st', (ss) =>
    ss.filter((s) => s.getBoundingClientRect().height > 0)
      .map((s) => s.getAttribute('data-story')));
  check(shown.length === 1 && shown[0] === '47081', 'stories: search by id finds its story', shown);
  check(await page.textContent('#sshown') === '1', 'stories: the count follows the search');
  await page.fill('#q', '');
  await page.waitForTimeout(400);
  check(await page.$$eval('details.st:not(.gone)', (ss) => ss.length) === total,
    'stories: clearing the search shows all again');
  await page.click('#expand');
  check(await page.$$eval('details.st', (ss) => ss.every((s) => s.open)),
    'stories: expand all opens them');
  await page.click('#collapse');
  const over = await phoneOverflow(page, path.join(outDir, 'stories-report-420.png'));
  check(over <= 0, 'stories: nothing runs off the side at 420 px', over);
}

async function main() {
  fs.rmSync(profileDir, { recursive: true, force: true });
  fs.mkdirSync(profileDir, { recursive: true });
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: process.env.NEARDUP_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
  });
  const problems = [];
  const requests = [];
  // Nothing may leave the file: every request other than the report itself is refused.
  const reportUrl = 'file://' + path.resolve(reportPath);
  const storiesUrl = storiesPath ? 'file://' + path.resolve(storiesPath) : null;
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url === reportUrl || url === storiesUrl) return route.continue();
    requests.push(url);
    return route.abort();
  });
  const page = context.pages()[0] || await context.newPage();
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content.Security.Policy/i.test(m.text())) {
      problems.push('console: ' + m.text());
    }
  });
  await page.goto(reportUrl, { waitUntil: 'load' });

  check(await page.evaluate(() => document.documentElement.classList.contains('js')),
    'the inline script ran (CSP hash matches)');
  check(await page.evaluate(() => window.__pwned === undefined), 'no injected script ran');

  // Clusters and members.
  const clusters = await page.$$eval('details.cl', (cs) => cs.map((c) => ({
    size: +c.getAttribute('data-size'),
    members: c.querySelectorAll('tr.mem').length,
    ids: Array.from(c.querySelectorAll('td.id')).map((td) => td.firstChild.textContent.trim()),
    reps: c.querySelectorAll('tr.rep').length,
  })));
  check(clusters.length >= 3, 'several clusters are shown', clusters.length);
  check(clusters.every((c) => c.members >= 2 && c.members === c.size && c.reps === 1),
    'every cluster lists its representative and all its members');
  check(clusters.every((c, i) => i === 0 || clusters[i - 1].size >= c.size),
    'clusters are ordered largest first', clusters.map((c) => c.size));
  const pair = clusters.find((c) => c.ids.includes('47093') && c.ids.includes('47088'));
  check(!!pair, '47093 and 47088 are in one cluster');
  const insText = await page.$$eval('ins', (xs) => xs.map((x) => x.textContent));
  check(insText.includes('대통령'), '"대통령" is marked as inserted');
  const summary = await page.textContent('#summary');
  check(/Documents/.test(summary) && /Exact duplicates/.test(summary) &&
        /Near duplicates/.test(summary) && /threshold/.test(summary) &&
        /2025-02-04 12:00:00 UTC/.test(summary), 'the summary shows counts, parameters and time');
  check(await page.$$eval('svg', (s) => s.length) === 2 &&
        await page.$$eval('svg rect.bar', (r) => r.length) > 0, 'two charts with bars');

  // Markup in a title or id is text.
  check(await page.evaluate(() => document.getElementById('injected') === null &&
                                  document.getElementById('injected-id') === null),
    'markup in a title or id adds no element');
  check(await page.$$eval('img', (xs) => xs.length) === 0, 'no <img> element');
  check(await page.$$eval('script', (xs) => xs.length) === 1, 'one <script> element (ours)');
  const markupRows = await page.$$eval('tr.mem', (rows) => rows.map((r) => r.textContent)
    .filter((t) => t.includes('markup-')));
  check(markupRows.length === 2 && markupRows.every((t) =>
    t.includes('<b id="injected">굵게</b>') && t.includes('<script>window.__pwned=2</script>') &&
    t.includes('& "큰따옴표" \'작은따옴표\'')), 'the markup title is shown as text', markupRows);
  check(markupRows.some((t) => t.includes('markup-2<i id="injected-id">')),
    'the markup id is shown as text');
  const allowed = new Set(['TR', 'TD', 'DIV', 'SPAN', 'I', 'INS', 'DEL']);
  const tags = await page.$$eval('table.m tbody *', (xs) => Array.from(new Set(xs.map((x) => x.tagName))));
  check(tags.every((t) => allowed.has(t)), 'member rows hold only the report\'s own elements', tags);

  // Search narrows the list.
  const total = (await visibleClusters(page)).length;
  await page.fill('#q', '대통령');
  await page.waitForTimeout(400);
  let visible = await visibleClusters(page);
  check(visible.length >= 1 && visible.length < total, 'typing "대통령" narrows the clusters',
    [visible.length, total]);
  check(visible.every((c) => c.text.includes('대통령')), 'every visible cluster contains "대통령"');
  check(await page.$$eval('tr.hit', (xs) => xs.length) >= 1, 'matching members are highlighted');
  check(await page.textContent('#shown') === String(visible.length), 'the count follows the search');
  await page.fill('#q', '47088');
  await page.waitForTimeout(400);
  visible = await visibleClusters(page);
  check(visible.length === 1 && visible[0].text.includes('47093'), 'search by id finds its cluster');
  await page.fill('#q', 'no such text anywhere');
  await page.waitForTimeout(400);
  check((await visibleClusters(page)).length === 0 && await page.isVisible('#none'),
    'a search without a match shows none and says so');
  await page.fill('#q', '');
  await page.waitForTimeout(400);
  check((await visibleClusters(page)).length === total, 'clearing the search shows all again');

  // Filters.
  const largest = Math.max(...clusters.map((c) => c.size));
  await page.fill('#minsize', String(largest));
  await page.waitForTimeout(400);
  visible = await visibleClusters(page);
  check(visible.length >= 1 && visible.every((c) => c.size >= largest),
    'min size keeps only the largest clusters', visible.map((c) => c.size));
  await page.fill('#minsize', '2');
  await page.$eval('#minsim', (el) => { el.value = '0.99'; el.dispatchEvent(new Event('input')); });
  await page.waitForTimeout(400);
  const sims = await page.$$eval('details.cl:not(.gone) tr.mem:not(.rep):not(.off)',
    (rows) => rows.map((r) => +r.getAttribute('data-sim')));
  check(sims.every((s) => s >= 0.99), 'min similarity hides less similar members', sims);
  check((await visibleClusters(page)).length < total, 'min similarity hides clusters');
  await page.$eval('#minsim', (el) => { el.value = '0'; el.dispatchEvent(new Event('input')); });
  await page.waitForTimeout(400);

  // Expand all, then a screenshot of the first screens with a few clusters open.
  await page.click('#expand');
  check(await page.$$eval('details.cl', (cs) => cs.every((c) => c.open)), 'expand all opens all');
  await page.click('#collapse');
  await page.$$eval('details.cl', (cs) => cs.slice(0, 4).forEach((c) => { c.open = true; }));
  await page.setViewportSize({ width: 1280, height: 2000 });
  await page.screenshot({ path: screenshotPath, fullPage: false });
  check(fs.statSync(screenshotPath).size > 10000, 'screenshot saved', screenshotPath);
  if (outDir) {
    const over = await phoneOverflow(page, path.join(outDir, 'sample-report-420.png'));
    check(over <= 0, 'nothing runs off the side at 420 px', over);
  }
  if (storiesUrl) await checkStories(page, storiesUrl);

  check(requests.length === 0, 'no network request', requests);
  check(problems.length === 0, 'no script error or policy violation', problems);
  await context.close();
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(1);
});
