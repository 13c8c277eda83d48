// bench/image_bench.mjs: how many frames per second does the page paint when
// a run pushes a changing 640 x 480 RGB frame through st::empty().image(...)
// in a loop? Serves bench/image_bench_app.cc. For PNG and JPEG it runs the
// app twice with the same --frames:
//   - "encode only" (the baseline of the same run): the app encodes each
//     frame with data/image_codec.h directly and shows nothing, so its loop
//     rate is what the app could produce, its per-frame time the encoder's,
//     and its byte count each frame's encoded size;
//   - "show": each frame goes through slot.image(st::Pixels{...}); the app
//     times the st::image call (encode inside it, the element hashed and
//     queued, a send when the stream interval has passed).
// In Chromium, during the "show" run, it counts:
//   - frames received: Blob URLs the image element made (one per update
//     the page got; the stream keeps only the latest unsent delta per
//     element, so frames the worker made between two sends never travel);
//   - frames painted: at each animation frame, whether the <img> shows a
//     frame it had not shown before (loaded: its load event fired for that
//     caption), so a frame replaced before it was drawn is not counted;
//   - the WebSocket bytes received during the run.
// It prints frames painted per second (over the span from the first to the
// last painted frame), frames skipped (made by the app, never painted),
// bytes per frame on the wire, and the app's own figures beside them.
//
// Usage: node bench/image_bench.mjs --sluice build/bin/sluice
//          --app build/bench/image_bench_app.so [--frames 300] [--formats PNG,JPEG] [--paced 30]
// (or ./run bench image)
import { launchChromium } from '../tests/web/chromium.mjs';
import { startSluice } from './sluice_server.mjs';

function parseArgs(argv) {
  const args = { frames: '300', formats: 'PNG,JPEG', paced: '30' };
  for (let i = 0; i < argv.length; i += 2) args[argv[i].replace(/^--/, '')] = argv[i + 1];
  if (!args.sluice || !args.app) {
    console.error('usage: node bench/image_bench.mjs --sluice SLUICE --app IMAGE_BENCH_APP.so [--frames 300] [--formats PNG,JPEG] [--paced 30]');
    process.exit(2);
  }
  return args;
}

// Runs before the page's own scripts: records every image Blob URL made and
// every <img> load (the caption it loaded for).
function marks() {
  window.imageMarks = { blobs: [], loaded: null, painted: [], recording: false };
  const create = URL.createObjectURL.bind(URL);
  URL.createObjectURL = (blob) => {
    if (window.imageMarks.recording && blob?.type?.startsWith('image/')) {
      window.imageMarks.blobs.push({ t: performance.now(), size: blob.size });
    }
    return create(blob);
  };
  document.addEventListener(
    'load',
    (event) => {
      if (event.target instanceof HTMLImageElement) window.imageMarks.loaded = event.target.alt;
    },
    true,
  );
  let last = null;
  const watch = (t) => {
    const m = window.imageMarks;
    if (m.recording && m.loaded !== null && m.loaded !== last) {
      last = m.loaded;
      m.painted.push({ t, caption: last });
    }
    requestAnimationFrame(watch);
  };
  requestAnimationFrame(watch);
}

async function waitIdle(page) {
  await page.waitForFunction(() => document.body.dataset.running === 'false', null, { timeout: 300000 });
}

async function pick(page, group, name) {
  await page.getByRole('radiogroup', { name: group, exact: true }).getByRole('radio', { name, exact: true }).check();
  await waitIdle(page);
}

async function setNumber(page, label, value) {
  const input = page.getByLabel(label, { exact: true });
  await input.fill(String(value));
  await input.press('Enter');
}

// Texts the app printed at the end of the run that made `frames` frames.
async function runApp(page, frames, format, mode, fps) {
  await setNumber(page, 'Frames', 0);
  await page.getByText(/^frames: \d+/).waitFor({ state: 'detached', timeout: 300000 });
  await waitIdle(page);
  await setNumber(page, 'Frames', frames);
  const pace = fps > 0 ? `${fps}/s` : 'unpaced';
  await page.getByText(`frames: ${frames} (${format}, ${mode}, ${pace})`, { exact: true }).waitFor({ timeout: 300000 });
  await waitIdle(page);
  const text = async (prefix) =>
    (await page.getByText(new RegExp(`^${prefix}`)).textContent()).slice(prefix.length).trim();
  const [p50, p99] = (await text('call ms p50/p99:')).split('/').map(Number);
  return {
    fps: Number(await text('frames/s:')),
    p50,
    p99,
    bytes: mode === 'encode only' ? Number(await text('bytes p50:')) : null,
  };
}

// One "show" run at `fps` (0: unpaced), with what the page received and
// painted during it.
async function show(page, wire, frames, format, fps) {
  await setNumber(page, 'Frames', 0);
  await waitIdle(page);
  await setNumber(page, 'Frames per second', fps);
  await waitIdle(page);
  await page.evaluate(() => {
    Object.assign(window.imageMarks, { blobs: [], painted: [], recording: true });
  });
  wire.bytes = 0;
  wire.messages = 0;
  const app = await runApp(page, frames, format, 'show', fps);
  // The run's last frame goes out with its end; wait until it is drawn.
  await page.waitForFunction((last) => window.imageMarks.painted.at(-1)?.caption === last, `frame ${frames - 1}`, {
    timeout: 60000,
  });
  const { bytes, messages } = wire;
  const { blobs, painted } = await page.evaluate(() => {
    window.imageMarks.recording = false;
    return { blobs: window.imageMarks.blobs, painted: window.imageMarks.painted };
  });
  const span = (painted.at(-1).t - painted[0].t) / 1000;
  let longest = 0;
  for (let i = 1; i < painted.length; i++) longest = Math.max(longest, painted[i].t - painted[i - 1].t);
  return { app, received: blobs.length, painted: painted.length, span, longest, bytes, messages };
}

async function measure(page, wire, frames, format, paced) {
  await setNumber(page, 'Frames', 0);
  await waitIdle(page);
  await pick(page, 'Format', format);
  await setNumber(page, 'Frames per second', 0);
  await waitIdle(page);
  await pick(page, 'Mode', 'encode only');
  const baseline = await runApp(page, frames, format, 'encode only', 0);
  await pick(page, 'Mode', 'show');
  const rows = [];
  for (const fps of [0, paced]) {
    const r = await show(page, wire, frames, format, fps);
    rows.push({
      format,
      'app paced at': fps > 0 ? `${fps}/s` : 'unpaced',
      'app made/s': r.app.fps,
      'st::image ms p50/p99': `${r.app.p50} / ${r.app.p99}`,
      'painted/s': Number(((r.painted - 1) / r.span).toFixed(1)),
      painted: r.painted,
      received: r.received,
      skipped: frames - r.painted,
      'longest gap ms': Math.round(r.longest),
      'KiB/frame wire': Number((r.bytes / r.received / 1024).toFixed(1)),
      'messages/s': Number((r.messages / r.span).toFixed(1)),
    });
  }
  return {
    rows,
    baseline: {
      format,
      'encode only: made/s': baseline.fps,
      'encode ms p50/p99': `${baseline.p50} / ${baseline.p99}`,
      'KiB/frame encoded': Number((baseline.bytes / 1024).toFixed(1)),
      'KiB/frame raw': (640 * 480 * 3) / 1024,
    },
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const frames = Number(args.frames);
  const sluice = await startSluice(args.sluice, args.app);
  const browser = await launchChromium();
  const rows = [];
  const baselines = [];
  try {
    const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
    await context.addInitScript(marks);
    const page = await context.newPage();
    const wire = { bytes: 0, messages: 0 };
    page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => {
      wire.bytes += payload.length;
      wire.messages += 1;
    }));
    await page.goto(`http://127.0.0.1:${sluice.port}/`);
    await page.getByText('end of app', { exact: true }).waitFor({ timeout: 120000 });
    for (const format of args.formats.split(',')) {
      const m = await measure(page, wire, frames, format, Number(args.paced));
      rows.push(...m.rows);
      baselines.push(m.baseline);
    }
  } finally {
    await browser.close();
    sluice.child.kill('SIGTERM');
  }
  console.log(`image_bench: ${frames} frames of 640 x 480 RGB through st::empty().image(...) in one run, painted in Chromium`);
  console.log('baseline (same run): the encoder alone on the same frames, nothing shown');
  console.table(baselines);
  console.log('shown: slot.image(st::Pixels{...}) every frame, unpaced and paced like a camera');
  console.table(rows);
}

await main();
