// bench/chart_paint_bench.mjs (./run bench chart): st::line_chart in
// Chromium, on bench/chart_bench_app.cc, each figure beside a baseline of
// the same run.
// - A 10M-point chart (one series) and a 4 x 1M one: from the run's end
//   (the page's "finished" mark) to the chart painted (its data drawn and
//   a frame rendered), and the bytes the page received from the click to
//   then; beside them, 100k points with every one shipped to the page and
//   drawn by Vega-Lite (what Streamlit does for every chart).
// - Zoom: two drags on the 10M chart down to about 1/1000 of its range;
//   from the second drag's release to the worker's detail painted.
// - add_rows of 100 points every 10 ms for 20 s: the lag from a point's
//   append in the worker (its x is the wall-clock ms it was made at) to its
//   paint, p50/p99 in the first and the last 2 s.
//
// Usage: node bench/chart_paint_bench.mjs --sluice build/bin/sluice
//          --app build/bench/chart_bench_app.so [--runs 5]
import { launchChromium } from '../tests/web/chromium.mjs';
import { startSluice } from './sluice_server.mjs';

function parseArgs(argv) {
  const args = { runs: '5', seconds: '20' };
  for (let i = 0; i < argv.length; i += 2) args[argv[i].replace(/^--/, '')] = argv[i + 1];
  if (!args.sluice || !args.app) {
    console.error('usage: node bench/chart_paint_bench.mjs --sluice SLUICE --app CHART_BENCH_APP.so [--runs 5]');
    process.exit(2);
  }
  return args;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.round((p / 100) * (s.length - 1)))];
};
const ms = (v) => `${v.toFixed(1)} ms`;

async function openApp(browser, url) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  page.on('crash', () => console.error('chart_paint_bench: the page crashed'));
  page.on('pageerror', (err) => console.error(`chart_paint_bench: page error ${err.message}`));
  const traffic = { bytes: 0 };
  page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => (traffic.bytes += payload.length)));
  await page.goto(url);
  await page.getByText('end of app', { exact: true }).waitFor({ timeout: 120000 });
  return { page, traffic, context };
}

// Picks `name`; resolves with ms from the run's finished mark to the chart
// painted (`painted` is evaluated in the page each frame) and the bytes
// received since the click.
async function paintAfterRun(page, traffic, name, kind) {
  await page.evaluate((kind) => {
    // The page's CSP allows no eval: the test for "painted" is chosen by name.
    const isPainted =
      kind === 'vega'
        ? () => !!document.querySelector('.vega-embed canvas, .vega-embed svg .mark-line path')
        : () => {
            const figure = document.querySelector('figure.chart');
            return !!figure && Number(figure.dataset.points) > 0 && !!figure.querySelector('canvas');
          };
    // The run the click starts has another run id; a fast one can start
    // and finish between two animation frames.
    const runBefore = document.body.dataset.runId;
    window.benchMark = new Promise((resolve) => {
      let finishedAt = null;
      const tick = () => {
        const { running, runId } = document.body.dataset;
        if (runId !== runBefore && running === 'false' && finishedAt === null) finishedAt = performance.now();
        if (finishedAt !== null && isPainted()) {
          // The frame after the data is drawn is the one that shows it.
          requestAnimationFrame(() => resolve(performance.now() - finishedAt));
          return;
        }
        requestAnimationFrame(tick);
      };
      tick();
    });
  }, kind);
  const before = traffic.bytes;
  await page.getByRole('radio', { name, exact: true }).check();
  const elapsed = await page.evaluate(() => window.benchMark);
  return { elapsed, bytes: traffic.bytes - before };
}

async function chartPaint(browser, url, name, painted, runs) {
  const times = [];
  const bytes = [];
  for (let r = 0; r < runs; r++) {
    const { page, traffic, context } = await openApp(browser, url);
    const { elapsed, bytes: b } = await paintAfterRun(page, traffic, name, painted);
    times.push(elapsed);
    bytes.push(b);
    await context.close();
  }
  return { p50: median(times), bytes: median(bytes), all: times };
}

async function zoom(browser, url, runs) {
  const times = [];
  for (let r = 0; r < runs; r++) {
    const { page, traffic, context } = await openApp(browser, url);
    await paintAfterRun(page, traffic, '10M points', 'uplot');
    const over = page.locator('figure.chart .u-over');
    const drag = async (from, to) => {
      const box = await over.boundingBox();
      const draws = await page.evaluate(() => Number(document.querySelector('figure.chart').dataset.draws));
      await page.mouse.move(box.x + box.width * from, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * to, box.y + box.height / 2, { steps: 4 });
      const start = await page.evaluate(() => performance.now());
      await page.mouse.up();
      return page.evaluate(
        ([drawsBefore, t0]) =>
          new Promise((resolve) => {
            const tick = () => {
              const figure = document.querySelector('figure.chart');
              if (Number(figure.dataset.draws) > drawsBefore) requestAnimationFrame(() => resolve(performance.now() - t0));
              else requestAnimationFrame(tick);
            };
            tick();
          }),
        [draws, start],
      );
    };
    await drag(0.4, 0.42); // 1/50 of the range
    times.push(await drag(0.3, 0.35)); // 1/20 of that: 1/1000
    await context.close();
  }
  return { p50: median(times), all: times };
}

async function stream(browser, url, seconds) {
  const { page, context } = await openApp(browser, url);
  const runBefore = await page.evaluate(() => document.body.dataset.runId);
  await page.evaluate(() => {
    window.lags = [];
    let lastDraws = 0;
    const tick = () => {
      const figure = document.querySelector('figure.chart');
      if (figure && Number(figure.dataset.draws) !== lastDraws) {
        lastDraws = Number(figure.dataset.draws);
        const appended = Number(figure.dataset.lastX);
        // Painted in the next frame: its time is the paint's.
        requestAnimationFrame(() => window.lags.push({ t: Date.now(), lag: Date.now() - appended, points: Number(figure.dataset.points) }));
      }
      if (!window.stopLags) requestAnimationFrame(tick);
    };
    tick();
  });
  await page.getByRole('radio', { name: 'stream', exact: true }).check();
  await page.waitForFunction((before) => document.body.dataset.runId !== before && document.body.dataset.running === 'false', runBefore, {
    timeout: (seconds + 60) * 1000,
    polling: 200,
  });
  const lags = await page.evaluate(() => {
    window.stopLags = true;
    return window.lags;
  });
  await context.close();
  const t0 = lags[0].t;
  const t1 = lags.at(-1).t;
  const first = lags.filter((l) => l.t - t0 <= 2000).map((l) => l.lag);
  const last = lags.filter((l) => t1 - l.t <= 2000).map((l) => l.lag);
  return { first, last, draws: lags.length, points: lags.at(-1).points, span: (t1 - t0) / 1000 };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const sluice = await startSluice(args.sluice, args.app);
  const url = `http://127.0.0.1:${sluice.port}/`;
  const browser = await launchChromium();
  const runs = Number(args.runs);
  try {
    const big = await chartPaint(browser, url, '10M points', 'uplot', runs);
    const four = await chartPaint(browser, url, '4 x 1M points', 'uplot', runs);
    const shipped = await chartPaint(browser, url, '100k points, every one shipped', 'vega', runs);
    const zoomed = await zoom(browser, url, runs);
    const streamed = await stream(browser, url, Number(args.seconds));
    console.log(`chart_paint_bench: ${runs} runs each (p50), Chromium, loopback`);
    console.table([
      { chart: '10M points, 1 series', 'run end -> painted': ms(big.p50), bytes: `${(big.bytes / 1024).toFixed(0)} KiB`, runs: big.all.map((v) => v.toFixed(0)).join(' ') },
      { chart: '4 x 1M points', 'run end -> painted': ms(four.p50), bytes: `${(four.bytes / 1024).toFixed(0)} KiB`, runs: four.all.map((v) => v.toFixed(0)).join(' ') },
      { chart: 'baseline: 100k points, every one shipped (Vega-Lite)', 'run end -> painted': ms(shipped.p50), bytes: `${(shipped.bytes / 1024).toFixed(0)} KiB`, runs: shipped.all.map((v) => v.toFixed(0)).join(' ') },
      { chart: 'ratio 10M (ours) / 100k shipped', 'run end -> painted': `${(big.p50 / shipped.p50).toFixed(2)}x`, bytes: `${(big.bytes / shipped.bytes).toFixed(3)}x`, runs: '' },
      { chart: 'zoom 10M to 1/1000: release -> detail painted', 'run end -> painted': ms(zoomed.p50), bytes: '', runs: zoomed.all.map((v) => v.toFixed(0)).join(' ') },
    ]);
    console.log(`add_rows, 100 points every 10 ms for ${streamed.span.toFixed(1)} s: ${streamed.draws} draws, ${streamed.points} points drawn at the end`);
    console.table([
      { when: 'first 2 s', 'lag p50': ms(median(streamed.first)), 'lag p99': ms(percentile(streamed.first, 99)), draws: streamed.first.length },
      { when: 'last 2 s', 'lag p50': ms(median(streamed.last)), 'lag p99': ms(percentile(streamed.last, 99)), draws: streamed.last.length },
    ]);
  } catch (err) {
    console.error(`chart_paint_bench: ${err.stack}`);
    process.exitCode = 1;
  } finally {
    await browser.close();
    sluice.child.kill('SIGTERM');
  }
}

await main();
