// st::dataframe as a viewer gets it: headless Debian chromium (playwright-
// core, as tests/web/browser_test.mjs drives it) on a real `sluice serve`
// on loopback at --sandbox strict, showing bench/grid_bench_app.cc's frame
// of 10 million rows x 4 double columns (one st::cache_data entry, so every
// session maps the same columns).
//
//   node bench/grid_bench.mjs --sluice build/bin/sluice \
//        --app build/bench/grid_bench_app.so [--runs 9] [--jumps 9]
//        [--sessions 10] [--rows N] [--sandbox strict]
//
// It prints, each as p50 of its runs (and every run):
//   - run end -> first rows painted: a fresh tab opens the app; from the run's
//     end (the page's "finished" mark) to the first frame whose grid shows
//     row 0's cells (negative: the rows were painted before the run ended);
//     and from the tab's navigation start, for scale;
//   - bytes the page received over its WebSocket until then;
//   - jump to row 9,000,000 (then 9,010,000, ...: windows not held yet) ->
//     the frame where that row's cells are painted;
//   - sort by a column (a click on its header) -> the frame where the first
//     row is the smallest value; meanwhile three other sessions press Rerun
//     in a loop: their rerun p99 during the sort, beside their p99 idle;
//   - memory: --sessions tabs showing the frame; the PSS (/proc/PID/
//     smaps_rollup) of their workers and of the cache keeper, beside the
//     frame's size.
// --rows N sets GRID_BENCH_ROWS for the server (a quicker look; the jumps
// then go to 90% of N).
//
// A benchmark, not a test: it asserts nothing about time. This machine is
// shared and noisy; compare rows of one run.
import fs from 'node:fs';

import { launchChromium } from '../tests/web/chromium.mjs';
import { startSluice } from './sluice_server.mjs';

function parseArgs(argv) {
  const args = { runs: '9', jumps: '9', sessions: '10', rows: '10000000', sandbox: 'strict' };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    if (!(name in args) && name !== 'sluice' && name !== 'app') throw new Error(`unknown option ${argv[i]}`);
    args[name] = argv[i + 1];
  }
  if (!args.sluice || !args.app) {
    console.error(
      'usage: node bench/grid_bench.mjs --sluice SLUICE --app GRID_BENCH_APP.so ' +
        '[--runs 9] [--jumps 9] [--sessions 10] [--rows 10000000] [--sandbox strict]',
    );
    process.exit(2);
  }
  return args;
}

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : NaN;
};
const percentile = (xs, p) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN;
};
const ms = (x) => `${x.toFixed(1)} ms`;

// ---- the server ----

function startGridServer(args) {
  return startSluice(args.sluice, args.app, ['--sandbox', args.sandbox], { GRID_BENCH_ROWS: args.rows });
}

// Ends the server and waits for it (its log pipe is read until then).
function stopSluice(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 10000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

// Host pids of the workers the broker logged for sessions, in order.
function workerPids(output) {
  return [...output.matchAll(/"event":"session_started".*?"worker_pid":(\d+)/g)].map((m) => Number(m[1]));
}
function keeperPid(output) {
  return Number(output.match(/"event":"cache_keeper_started".*?"keeper_pid":(\d+)/)?.[1] ?? 0);
}
function pssKiB(pid) {
  try {
    return Number(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').match(/^Pss:\s+(\d+) kB/m)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

// ---- in the page ----

// Installed before any page script: marks when the run finished and when the
// grid first shows row 0, per animation frame (what the viewer sees).
function marks() {
  window.__grid = { finished: null, painted: null };
  new MutationObserver(() => {
    if (window.__grid.finished === null && document.body?.dataset.running === 'false' && document.body.dataset.runId) {
      window.__grid.finished = performance.now();
    }
  }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-running', 'data-run-id'] });
  const poll = () => {
    const cell = document.querySelector('[role=grid] tr[aria-rowindex="2"] td');
    if (cell && cell.textContent !== '') window.__grid.painted = performance.now();
    else requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
}

// Scrolls the grid so that `row` is near the top, and resolves to the time
// until its cells are in the DOM (drawn by the next paint).
function jumpTo(row) {
  return new Promise((resolve) => {
    const grid = document.querySelector('regular-table');
    const table = grid.querySelector('[role=grid]');
    const rows = Number(table.getAttribute('aria-rowcount')) - 1;
    const rowPx = table.tBodies[0].rows[0].getBoundingClientRect().height;
    const clipRows = (grid.clientHeight - table.tHead.offsetHeight) / rowPx;
    const shown = () => {
      const cell = table.querySelector(`tr[aria-rowindex="${row + 2}"] td`);
      return cell && cell.textContent !== '' && !cell.classList.contains('cell-pending');
    };
    // The DOM change that shows the row, which the next paint draws: an
    // animation-frame poll would add up to a frame of its own.
    const observer = new MutationObserver(() => {
      if (!shown()) return;
      observer.disconnect();
      resolve(performance.now() - start);
    });
    observer.observe(table, { subtree: true, childList: true, characterData: true, attributes: true });
    const start = performance.now();
    // Rounded down: at 10M rows the scroll range is capped near one pixel
    // a row, and a fraction rounded up lands on the row after `row`, which
    // then never shows (the jump waited forever).
    grid.scrollTop = Math.floor((row / Math.max(1, rows - clipRows)) * (grid.scrollHeight - grid.clientHeight));
  });
}

// Clicks header `name` and resolves to the time until a frame shows the
// first row of the ascending order with aria-sort set.
function sortBy([name, firstValue]) {
  return new Promise((resolve) => {
    const table = document.querySelector('[role=grid]');
    const th = [...table.tHead.rows[0].cells].find((cell) => cell.textContent.startsWith(`${name} `));
    const column = [...th.parentNode.cells].indexOf(th);
    const start = performance.now();
    th.click();
    const poll = () => {
      const row = table.querySelector('tr[aria-rowindex="2"]');
      if (th.getAttribute('aria-sort') === 'ascending' && row?.cells[column]?.textContent === firstValue) {
        resolve(performance.now() - start);
      } else {
        requestAnimationFrame(poll);
      }
    };
    requestAnimationFrame(poll);
  });
}

// ---- measurements ----

async function openApp(context, url, onBytes) {
  const page = await context.newPage();
  page.on('websocket', (ws) => ws.on('framereceived', (frame) => onBytes?.(frame.payload.length)));
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  return page;
}

async function firstPaint(browser, url, runs) {
  const context = await browser.newContext();
  await context.addInitScript(marks);
  const samples = { fromEnd: [], fromOpen: [], bytes: [] };
  // The first tab also fetches the grid's chunk; the others have it cached.
  for (let run = 0; run <= runs; run++) {
    let bytes = 0;
    let counting = true;
    const page = await openApp(context, url, (n) => {
      if (counting) bytes += n;
    });
    await page.waitForFunction(() => window.__grid.painted !== null && window.__grid.finished !== null, null, {
      timeout: 120000,
    });
    counting = false;
    const { finished, painted } = await page.evaluate(() => window.__grid);
    if (run > 0) {
      samples.fromEnd.push(painted - finished);
      samples.fromOpen.push(painted);
      samples.bytes.push(bytes);
    }
    await page.close();
  }
  await context.close();
  return samples;
}

async function jumps(page, rows, count) {
  const samples = [];
  const base = Math.floor(rows * 0.9);
  const step = Math.max(1000, Math.floor(rows / 1000));
  for (let j = 0; j < count; j++) samples.push(await page.evaluate(jumpTo, Math.min(rows - 30, base + j * step)));
  return samples;
}

// Other sessions press Rerun in a loop until `until` resolves; the time from
// each click to its run's counter, per rerun.
async function rerunLoop(page, until) {
  const samples = [];
  let done = false;
  until.then(() => {
    done = true;
  });
  while (!done) {
    const before = await page.getByText(/^runs: \d+$/).textContent();
    const start = Date.now();
    await page.getByRole('button', { name: 'Rerun' }).click();
    await page.waitForFunction((text) => {
      const shown = [...document.querySelectorAll('.text')].find((n) => n.textContent.startsWith('runs: '));
      return shown && shown.textContent !== text && document.body.dataset.running === 'false';
    }, before);
    samples.push(Date.now() - start);
  }
  return samples;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const rows = Number(args.rows);
  const sluice = await startGridServer(args);
  const url = `http://127.0.0.1:${sluice.port}/`;
  const browser = await launchChromium();
  const out = [];
  try {
    const paint = await firstPaint(browser, url, Number(args.runs));
    out.push(['run end -> first rows painted (p50)', ms(median(paint.fromEnd)), paint.fromEnd.map(ms).join(', ')]);
    out.push(['tab opened -> first rows painted (p50)', ms(median(paint.fromOpen)), '']);
    out.push(['bytes received until then (p50)', `${(median(paint.bytes) / 1024).toFixed(1)} KiB`, '']);

    const context = await browser.newContext();
    const page = await openApp(context, url);
    await page.getByRole('grid').locator('tr[aria-rowindex="2"] td').first().waitFor({ timeout: 120000 });
    const jumped = await jumps(page, rows, Number(args.jumps));
    out.push([`jump to row ${Math.floor(rows * 0.9).toLocaleString('en-US')} -> painted (p50)`, ms(median(jumped)), jumped.map(ms).join(', ')]);

    const others = [];
    for (let i = 0; i < 3; i++) {
      const other = await openApp(await browser.newContext(), url);
      await other.getByRole('button', { name: 'Rerun' }).waitFor({ timeout: 120000 });
      others.push(other);
    }
    const idle = (await Promise.all(others.map((p) => rerunLoop(p, new Promise((r) => setTimeout(r, 3000)))))).flat();
    out.push(['other sessions rerun p99, idle', ms(percentile(idle, 99)), `${idle.length} reruns`]);
    await page.evaluate(() => document.querySelector('regular-table').scrollTo(0, 0));
    let sorted;
    const sort = page.evaluate(sortBy, ['d', '1']);
    const during = await Promise.all(others.map((p) => rerunLoop(p, sort.then((t) => (sorted = t)))));
    out.push(['sort by a column (d, descending in the frame) -> painted', ms(sorted), '']);
    out.push(['other sessions rerun p99, during the sort', ms(percentile(during.flat(), 99)), `${during.flat().length} reruns`]);

    const before = workerPids(sluice.output()).length;
    const tabs = [];
    for (let i = 0; i < Number(args.sessions); i++) {
      const tab = await openApp(await browser.newContext(), url);
      await tab.getByRole('grid').locator('tr[aria-rowindex="2"] td').first().waitFor({ timeout: 120000 });
      tabs.push(tab);
    }
    const pids = workerPids(sluice.output()).slice(before);
    const pss = pids.map(pssKiB);
    const workersKiB = pss.reduce((sum, kib) => sum + kib, 0);
    const keeperKiB = pssKiB(keeperPid(sluice.output()));
    const frameMiB = (rows * 4 * 8) / 2 ** 20;
    out.push([`PSS of ${pids.length} sessions' workers + keeper`, `${((workersKiB + keeperKiB) / 1024).toFixed(0)} MiB`,
      `workers ${(workersKiB / 1024).toFixed(0)} MiB (${pss.filter((kib) => kib > 0).length} read), keeper ${(keeperKiB / 1024).toFixed(0)} MiB; frame ${frameMiB.toFixed(0)} MiB`]);
  } finally {
    await browser.close().catch(() => {});
    await stopSluice(sluice.child);
  }
  for (const [what, value, detail] of out) console.log(`${what.padEnd(50)} ${value.padStart(12)}   ${detail}`);
}

await main();
