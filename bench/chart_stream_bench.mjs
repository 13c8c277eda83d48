// bench/chart_stream_bench.mjs: does the page keep up with a chart that
// add_rows streams onto? Serves tests/apps/chart_app.cc, whose run appends
// "Rows to append" rows to its live chart at "Appends per second"; in
// Chromium it records, at every animation frame, how many points the live
// chart's figure says it draws. For each rate it prints the rate the page
// drew at (points over the time from the first to the last change, beside
// the rate the app appended at: the baseline of the same run), how many
// updates per second the page drew, the longest wait between two of them,
// and how long after the run finished the last points were drawn.
//
// Usage: node bench/chart_stream_bench.mjs --sluice build/bin/sluice
//          --app build/tests/chart_app.so [--rates 100,500,1000] [--seconds 3]
// (or ./run bench chart_stream)
import { launchChromium } from '../tests/web/chromium.mjs';
import { startSluice } from './sluice_server.mjs';

function parseArgs(argv) {
  const args = { rates: '100,500,1000', seconds: '3' };
  for (let i = 0; i < argv.length; i += 2) args[argv[i].replace(/^--/, '')] = argv[i + 1];
  if (!args.sluice || !args.app) {
    console.error('usage: node bench/chart_stream_bench.mjs --sluice SLUICE --app CHART_APP.so [--rates 100,500,1000] [--seconds 3]');
    process.exit(2);
  }
  return args;
}

async function setNumber(page, label, value) {
  const input = page.getByLabel(label, { exact: true });
  await input.fill(String(value));
  await input.press('Enter');
  await page.waitForFunction(() => document.body.dataset.running === 'false', null, { timeout: 120000 });
}

async function stream(page, rate, rows) {
  // Back to 10 points first (a run with no appends).
  await setNumber(page, 'Rows to append', 0);
  await setNumber(page, 'Appends per second', rate);
  await page.evaluate(() => {
    const seen = [];
    window.streamSeen = seen;
    // The live chart: "Line chart of y by x, N points"; the slot's chart of
    // the same name always has 5.
    const live = () =>
      [...document.querySelectorAll('figure.chart')].find((f) => {
        const name = f.getAttribute('aria-label') ?? '';
        return /^Line chart of y by x, [\d,]+ points$/.test(name) && name !== 'Line chart of y by x, 5 points';
      });
    let finishedAt = null;
    const watch = () => {
      const figure = live();
      const n = figure ? Number(figure.getAttribute('aria-label').match(/([\d,]+) points/)[1].replace(/,/g, '')) : 0;
      if (seen.length === 0 || seen.at(-1).n !== n) seen.push({ t: performance.now(), n });
      if (document.body.dataset.running === 'false' && finishedAt === null && seen.length > 1) finishedAt = performance.now();
      window.streamFinishedAt = finishedAt;
      if (!window.streamStop) requestAnimationFrame(watch);
    };
    window.streamStop = false;
    watch();
  });
  await setNumber(page, 'Rows to append', rows);
  await page.waitForFunction((n) => window.streamSeen.at(-1)?.n === n, rows + 10, { timeout: 120000 });
  return page.evaluate(() => {
    window.streamStop = true;
    return { seen: window.streamSeen, finishedAt: window.streamFinishedAt };
  });
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const sluice = await startSluice(args.sluice, args.app);
  const browser = await launchChromium();
  const rows = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    await page.goto(`http://127.0.0.1:${sluice.port}/`);
    await page.getByText('end of app', { exact: true }).waitFor({ timeout: 120000 });
    for (const rate of args.rates.split(',').map(Number)) {
      const count = Math.round(rate * Number(args.seconds));
      const { seen, finishedAt } = await stream(page, rate, count);
      const changes = seen.filter((s) => s.n > 10);
      const first = changes[0];
      const last = changes.at(-1);
      const span = (last.t - first.t) / 1000;
      let longest = 0;
      for (let i = 1; i < changes.length; i++) longest = Math.max(longest, changes[i].t - changes[i - 1].t);
      rows.push({
        appended: `${rate}/s`,
        drawn: `${((last.n - first.n) / span).toFixed(0)}/s`,
        ratio: `${((last.n - first.n) / span / rate).toFixed(2)}x`,
        updates: `${(changes.length / span).toFixed(1)}/s`,
        longestGap: `${longest.toFixed(0)} ms`,
        lastAfterRunEnd: finishedAt ? `${Math.max(0, last.t - finishedAt).toFixed(0)} ms` : 'n/a',
      });
    }
  } finally {
    await browser.close();
    sluice.child.kill('SIGTERM');
  }
  console.log('chart_stream_bench: points a live chart draws per second in Chromium vs what add_rows appends');
  console.table(rows);
}

await main();
