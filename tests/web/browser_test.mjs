// Drives an app in a real browser (Debian's chromium, headless) the way a
// viewer would: by roles and visible text, never by the page's internals.
//
//   node tests/web/browser_test.mjs http://127.0.0.1:PORT/ [SUITE]
//
// SUITE names the app the server serves: "demo" (examples/hello, the
// default), "columns" (tests/apps/columns_app.cc), "uploads"
// (tests/apps/upload_app.cc, served with --max-upload-mb 2), "queue" (the
// demo app served with --workers 1), "display" (tests/apps/display_app.cc),
// "image" (tests/apps/image_app.cc),
// "grid" or "downloads" (tests/apps/data_app.cc), "explorer"
// (examples/csv_explorer), "vega" (tests/apps/vega_app.cc), "live"
// (tests/apps/live_app.cc), "charts" (tests/apps/chart_app.cc). The caller
// starts the server; this script only connects to it. It prints one line
// per check and exits 0 when all pass, 1 with the reason otherwise.
import { launchChromium } from './chromium.mjs';

const WAIT_MS = 15000;
const url = process.argv[2];
const suiteName = process.argv[3] ?? 'demo';
if (!url) {
  console.error('usage: node tests/web/browser_test.mjs http://127.0.0.1:PORT/ SUITE (see the top of this file)');
  process.exit(2);
}

let passed = 0;
async function check(name, body) {
  try {
    await body();
  } catch (err) {
    // Playwright appends a multi-line, colored call log; the first line says it.
    const reason = err.message.replace(/\x1b\[[0-9;]*m/g, '').split('\n')[0];
    throw new Error(`${name}: ${reason}`);
  }
  passed += 1;
  console.log(`ok ${passed} - ${name}`);
}

// Records what a page reports as broken, so the last check can assert none.
function watchErrors(page, label, errors) {
  page.on('pageerror', (err) => errors.push(`${label}: uncaught ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`${label}: console error ${msg.text()}`);
  });
}

const openPages = new Map(); // label -> page, for the failure report
const scripts = new Map(); // label -> paths of the scripts the page fetched, in order

async function openPage(browser, label, errors) {
  const context = await browser.newContext();
  const page = await context.newPage();
  openPages.set(label, page);
  page.setDefaultTimeout(WAIT_MS);
  watchErrors(page, label, errors);
  scripts.set(label, []);
  page.on('response', (response) => {
    if (response.request().resourceType() === 'script' && response.ok()) {
      scripts.get(label).push(new URL(response.url()).pathname);
    }
  });
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: WAIT_MS });
  return page;
}

function text(page, exact) {
  return page.getByText(exact, { exact: true });
}

async function waitIdle(page) {
  await page.waitForFunction(() => document.body.dataset.running === 'false' && document.body.dataset.runId, null, {
    timeout: WAIT_MS,
  });
}

async function demo(browser) {
  const errors = [];
  let first = null;

  await check('demo page renders the title "Hello, sluice" as a heading', async () => {
    first = await openPage(browser, 'page 1', errors);
    await first.getByRole('heading', { level: 1, name: 'Hello, sluice', exact: true }).waitFor();
    await text(first, 'x squared is 625').waitFor();
    await waitIdle(first);
  });

  await check('moving slider "x" to 26 updates "x squared is 625" in place: the same node shows 676', async () => {
    // A leaf changed by a rerun keeps its DOM node (and so any view state).
    const shown = await text(first, 'x squared is 625').elementHandle();
    const slider = first.getByRole('slider', { name: 'x', exact: true });
    await slider.focus();
    await slider.press('ArrowRight');
    await text(first, 'x squared is 676').waitFor();
    const now = await shown.evaluate((node) => (node.isConnected ? node.textContent : '(removed from the page)'));
    if (now !== 'x squared is 676') throw new Error(`the node that showed 625 now shows ${JSON.stringify(now)}`);
  });

  await check('the markdown shows "own process" in bold, rendered by a chunk fetched on demand', async () => {
    await first.locator('.markdown strong', { hasText: 'own process' }).waitFor();
    const chunks = scripts.get('page 1').filter((path) => path.startsWith('/chunk-'));
    if (chunks.length === 0) throw new Error(`no chunk was fetched (scripts: ${JSON.stringify(scripts.get('page 1'))})`);
  });

  await check('clicking "Add one" twice shows "clicks: 2"', async () => {
    const button = first.getByRole('button', { name: 'Add one', exact: true });
    await button.click();
    await text(first, 'clicks: 1').waitFor();
    await button.click();
    await text(first, 'clicks: 2').waitFor();
  });

  await check('a second viewer gets a fresh session (clicks: 0, x squared is 625)', async () => {
    const second = await openPage(browser, 'page 2', errors);
    await second.getByRole('heading', { level: 1, name: 'Hello, sluice', exact: true }).waitFor();
    await text(second, 'clicks: 0').waitFor();
    await text(second, 'x squared is 625').waitFor();
    await second.context().close();
    openPages.delete('page 2');
  });

  await check('the first viewer keeps its own state (clicks: 2, x squared is 676)', async () => {
    await text(first, 'clicks: 2').waitFor();
    await text(first, 'x squared is 676').waitFor();
  });

  await check('a cached computation shows a spinner, then its result, then hits for the next tab', async () => {
    const slider = first.getByRole('slider', { name: 'Samples (thousands)', exact: true });
    await slider.focus();
    await slider.press('ArrowRight');  // 101k samples: nobody has computed it yet
    await first.getByRole('status').filter({ hasText: 'Generating samples...' }).waitFor();
    await text(first, 'Generated 101k samples.').waitFor();
    await first.getByText(/^mean of 101000 samples: /).waitFor();
    await first.getByRole('status').filter({ hasText: 'Generating samples...' }).waitFor({ state: 'detached' });
    // Another tab gets the same entry, with the element the function showed.
    const third = await openPage(browser, 'page 3', errors);
    await text(third, 'Generated 100k samples.').waitFor();
    await third.context().close();
    openPages.delete('page 3');
  });

  await check('no page reported an error', async () => {
    if (errors.length > 0) throw new Error(errors.join('; '));
  });
}

// Waits until "column 1 of n" ... "column n of n" are all visible, side by
// side in one row, left to right.
async function expectColumnRow(page, n) {
  const boxes = [];
  for (let c = 1; c <= n; c++) {
    const cell = text(page, `column ${c} of ${n}`);
    await cell.waitFor();
    boxes.push(await cell.boundingBox());
  }
  for (let c = 1; c < n; c++) {
    const [left, right] = [boxes[c - 1], boxes[c]];
    const sameRow = right.y < left.y + left.height && left.y < right.y + right.height;
    if (!sameRow || right.x < left.x + left.width - 1) {
      throw new Error(`"column ${c + 1} of ${n}" is not right of "column ${c} of ${n}" ` +
                      `(${JSON.stringify(left)} then ${JSON.stringify(right)})`);
    }
  }
}

async function expectGone(page, texts) {
  for (const gone of texts) await text(page, gone).waitFor({ state: 'hidden' });
}

// A columns element whose count changes must be rebuilt with the new count,
// not patched in place.
async function columns(browser) {
  const errors = [];
  let page = null;
  const pick = (n) =>
    page.getByRole('radiogroup', { name: 'Columns', exact: true })
      .getByRole('radio', { name: String(n), exact: true })
      .check();

  await check('the columns app shows 2 columns side by side', async () => {
    page = await openPage(browser, 'columns page', errors);
    await expectColumnRow(page, 2);
    await waitIdle(page);
  });

  let caption = null;
  await check('the caption "2 columns shown" is smaller and more muted than body text', async () => {
    caption = await text(page, '2 columns shown').elementHandle();
    const look = await caption.evaluate((node) => {
      const body = getComputedStyle(document.body);
      const own = getComputedStyle(node);
      return { size: parseFloat(own.fontSize), bodySize: parseFloat(body.fontSize), color: own.color, bodyColor: body.color };
    });
    if (!(look.size < look.bodySize)) throw new Error(`caption font ${look.size}px is not below ${look.bodySize}px`);
    if (look.color === look.bodyColor) throw new Error(`caption color ${look.color} is the body's`);
  });

  await check('picking 3 columns shows 3 side by side, none of the 2', async () => {
    await pick(3);
    await expectColumnRow(page, 3);
    await expectGone(page, ['column 1 of 2', 'column 2 of 2']);
  });

  await check('the line that is the same for every count is still in the rebuilt first column', async () => {
    const line = text(page, 'always in the first column');
    await line.waitFor();
    const inFirst = await line.evaluate((node) => node.closest('.column') === node.closest('.columns')?.querySelector('.column'));
    if (!inFirst) throw new Error('"always in the first column" is not in the first column');
  });

  await check('the same caption node now says "3 columns shown" (updated in place)', async () => {
    await text(page, '3 columns shown').waitFor();
    const same = await caption.evaluate((node) => node.isConnected && node.textContent === '3 columns shown');
    if (!same) throw new Error('the caption was rebuilt instead of updated');
  });

  let removed = null;
  await check('picking 1 column leaves no second or third column', async () => {
    removed = await page.getByRole('button', { name: 'poke 3 of 3', exact: true }).elementHandle();
    await pick(1);
    await text(page, 'column 1 of 1').waitFor();
    await expectGone(page, ['column 1 of 3', 'column 2 of 3', 'column 3 of 3']);
  });

  await check('a button removed with its column is disposed: clicking it sends nothing', async () => {
    // Were its listener still there, the click would reach the server ahead
    // of the next change and be refused as an unknown widget (a toast).
    await page.evaluate(() => {
      window.seenToasts = [];
      new MutationObserver(() => {
        for (const toast of document.querySelectorAll('.toast')) window.seenToasts.push(toast.textContent);
      }).observe(document.getElementById('toasts'), { childList: true });
    });
    await removed.evaluate((button) => {
      if (button.isConnected) throw new Error('"poke 3 of 3" is still on the page');
      button.click();
    });
    // A live click next: its rerun finishing means the server has read both.
    const lastRun = await page.evaluate(() => document.body.dataset.runId);
    await page.getByRole('button', { name: 'poke 1 of 1', exact: true }).click();
    await page.waitForFunction(
      (before) => document.body.dataset.running === 'false' && document.body.dataset.runId !== before,
      lastRun,
    );
    const toasts = await page.evaluate(() => window.seenToasts);
    if (toasts.length > 0) throw new Error(`the removed button still sent its click: ${JSON.stringify(toasts)}`);
  });

  await check('picking 2 columns again shows 2 side by side', async () => {
    await pick(2);
    await expectColumnRow(page, 2);
    await expectGone(page, ['column 1 of 1']);
  });

  await check('no page reported an error', async () => {
    if (errors.length > 0) throw new Error(errors.join('; '));
  });
}

// A file for setInputFiles: `size` bytes of CSV-ish text.
function fileOf(name, size, mimeType = 'text/csv') {
  const buffer = Buffer.alloc(size, 'a,b\n1,2\n');
  return { name, mimeType, buffer };
}

// st::file_uploader through the page's own controls: the native file input
// (by its label), the progress row, the listed file's x button, and the
// server's messages for refused files.
async function uploads(browser) {
  const errors = [];
  let page = null;
  const input = (label) => page.getByLabel(label, { exact: true });
  const refusal = (label, message) =>
    page.locator('.widget-uploader', { has: input(label) }).getByRole('alert').filter({ hasText: message });

  await check('the upload app shows its uploaders with "no file"', async () => {
    page = await openPage(browser, 'uploads page', errors);
    await page.getByRole('heading', { level: 1, name: 'Upload app', exact: true }).waitFor();
    await text(page, 'no file').waitFor();
    await waitIdle(page);
  });

  const size = 600 * 1024; // three chunks
  await check('choosing sales.csv shows a progress bar, then the app shows its name and size', async () => {
    // Every progress bar that appears is recorded, however briefly it shows.
    await page.evaluate(() => {
      window.seenProgress = [];
      new MutationObserver(() => {
        for (const bar of document.querySelectorAll('progress')) {
          const label = bar.getAttribute('aria-label');
          if (!window.seenProgress.includes(label)) window.seenProgress.push(label);
        }
      }).observe(document.body, { childList: true, subtree: true });
    });
    await input('Data file').setInputFiles(fileOf('sales.csv', size));
    await text(page, 'name: sales.csv').waitFor();
    await text(page, `size: ${size}`).waitFor();
    await text(page, 'type: text/csv').waitFor();
    const seen = await page.evaluate(() => window.seenProgress);
    if (!seen.includes('Uploading sales.csv')) throw new Error(`no progress bar was shown (saw ${JSON.stringify(seen)})`);
    await page.getByRole('progressbar').waitFor({ state: 'detached' });
  });

  await check('the uploader lists sales.csv with its size and an x button', async () => {
    const item = page.getByRole('list', { name: 'Uploaded files' }).getByRole('listitem').filter({ hasText: 'sales.csv' });
    await item.waitFor();
    await item.getByText('600 KB').waitFor();
    await item.getByRole('button', { name: 'Remove sales.csv', exact: true }).waitFor();
  });

  await check('clicking x removes the file: the app shows "no file"', async () => {
    await page.getByRole('button', { name: 'Remove sales.csv', exact: true }).click();
    await text(page, 'no file').waitFor();
    await page.getByRole('button', { name: 'Remove sales.csv', exact: true }).waitFor({ state: 'detached' });
  });

  await check('a file of several read slices arrives byte for byte (the app shows its digest)', async () => {
    // The page reads a file in slices of 1 MiB: this one spans two, so a
    // chunk taken across the hand-over from one slice to the next is in it.
    // Bytes that differ from chunk to chunk, so a chunk sent twice, out of
    // order or cut wrongly changes the digest; not a multiple of 8 either.
    // (Attachments: the Data file uploader takes at most 1 MB.)
    const length = 2 * 1024 * 1024 - 5;
    const buffer = Buffer.alloc(length);
    for (let i = 0; i < length; i++) buffer[i] = (i * 2654435761) >>> 24;
    let hash = 14695981039346656037n;
    for (const b of buffer) hash = ((hash ^ BigInt(b)) * 1099511628211n) & 0xffffffffffffffffn;
    await input('Attachments').setInputFiles({ name: 'mixed.bin', mimeType: 'application/octet-stream', buffer });
    await text(page, 'attachments: 1 mixed.bin').waitFor();
    await text(page, `attachment mixed.bin digest: ${hash.toString(16).padStart(16, '0')}`).waitFor();
    await page.getByRole('button', { name: 'Remove mixed.bin', exact: true }).click();
    await text(page, 'attachments: 0').waitFor();
  });

  await check('a file over the uploader\'s 1 MB limit is refused with a message', async () => {
    await input('Data file').setInputFiles(fileOf('big.csv', 1536 * 1024));
    await refusal('Data file', '"big.csv" is 1.5 MB, over this uploader\'s limit of 1 MB per file').waitFor();
    await text(page, 'no file').waitFor();
  });

  await check('a file over the server\'s 2 MB limit is refused with a message', async () => {
    await input('Attachments').setInputFiles(fileOf('huge.bin', 3 * 1024 * 1024, 'application/octet-stream'));
    await refusal('Attachments', '"huge.bin" is 3 MB, over this server\'s limit of 2 MB per file').waitFor();
    await text(page, 'attachments: 0').waitFor();
  });

  await check('a file of another type is refused with a message', async () => {
    await input('Data file').setInputFiles(fileOf('notes.md', 10, 'text/markdown'));
    await refusal('Data file', '"notes.md" is not an accepted file type (.csv, .txt)').waitFor();
  });

  await check('several files go to the multiple uploader, and the next upload clears the message', async () => {
    await input('Attachments').setInputFiles([fileOf('a.txt', 5), fileOf('b.txt', 7)]);
    await text(page, 'attachments: 2 a.txt b.txt').waitFor();
    await refusal('Attachments', 'huge.bin').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Remove a.txt', exact: true }).click();
    await text(page, 'attachments: 1 b.txt').waitFor();
  });

  await check('no page reported an error', async () => {
    if (errors.length > 0) throw new Error(errors.join('; '));
  });

  await check('closing the tab', async () => {
    // The caller checks that this worker, and the file it held, are gone.
    const pid = await page.getByText(/^pid: \d+$/).textContent();
    await page.close({ runBeforeUnload: true });
    openPages.delete('uploads page');
    console.log(`closed tab's worker ${pid}`);
  });
}

// Served with --workers 1: a second tab waits in line and shows its place
// (politely, as a status), then gets the worker when the first tab closes.
async function queue(browser) {
  const errors = [];
  const first = await openPage(browser, 'first tab', errors);
  await waitIdle(first);
  let waiting = null;

  await check('a tab that finds every worker busy shows its place in line as a status', async () => {
    waiting = await openPage(browser, 'waiting tab', errors);
    await waiting.getByRole('status').filter({ hasText: 'you are number 1 in line' }).waitFor();
  });

  await check('when the first tab closes, the waiting tab gets the app by itself', async () => {
    await first.context().close();
    openPages.delete('first tab');
    await waitIdle(waiting);
    await waiting.getByRole('heading', { level: 1, name: 'Hello, sluice', exact: true }).waitFor();
    await waiting.getByRole('status').filter({ hasText: 'in line' }).waitFor({ state: 'detached' });
  });

  await check('no page errors', async () => {
    if (errors.length) throw new Error(errors.join('; '));
  });
}

// st::metric and st::json (tests/apps/display_app.cc): what each shows, what
// a screen reader hears of a metric's delta, and the JSON tree driven by the
// keyboard alone.
async function display(browser) {
  const errors = [];
  const page = await openPage(browser, 'display page', errors);
  const metric = (label) => page.locator('.metric', { has: text(page, label) });
  const summary = (key) => page.locator('.json summary', { has: text(page, `"${key}"`) });
  const expectDelta = async (label, { arrow, shown, spoken, color }) => {
    const delta = metric(label).locator('.metric-delta');
    await delta.getByText(`${arrow} ${shown}`, { exact: true }).waitFor();
    // What assistive technology gets: the words, neither arrow nor sign.
    const heard = await metric(label).ariaSnapshot();
    if (!heard.includes(spoken) || heard.includes(arrow)) {
      throw new Error(`the metric reads ${JSON.stringify(heard)}, not "${spoken}" without "${arrow}"`);
    }
    const seen = await delta.evaluate((node) => getComputedStyle(node).color);
    if (seen !== color) throw new Error(`the delta is ${seen}, not ${color}`);
  };

  await check('the display app shows its title', async () => {
    await page.getByRole('heading', { level: 1, name: 'Display app', exact: true }).waitFor();
    await waitIdle(page);
  });

  await check('metric "Revenue" shows its value large and "▲ +3 %" in green, read as "up 3 %"', async () => {
    await metric('Revenue').getByText('€ 1.2 M', { exact: true }).waitFor();
    const sizes = await metric('Revenue').evaluate((node) => [
      parseFloat(getComputedStyle(node.querySelector('.metric-label')).fontSize),
      parseFloat(getComputedStyle(node.querySelector('.metric-value')).fontSize),
    ]);
    if (!(sizes[1] > 2 * sizes[0])) throw new Error(`label ${sizes[0]}px, value ${sizes[1]}px: the value is not large`);
    await expectDelta('Revenue', { arrow: '▲', shown: '+3 %', spoken: 'up 3 %', color: 'rgb(23, 114, 51)' });
  });

  await check('metric "Latency" (inverse) shows "▼ -8 ms" in green, read as "down 8 ms"', async () => {
    await expectDelta('Latency', { arrow: '▼', shown: '-8 ms', spoken: 'down 8 ms', color: 'rgb(23, 114, 51)' });
  });

  await check('metric "Errors" (off) shows "▼ -2" in gray, read as "down 2"', async () => {
    await metric('Errors').getByText('7', { exact: true }).waitFor();
    await expectDelta('Errors', { arrow: '▼', shown: '-2', spoken: 'down 2', color: 'rgb(103, 107, 124)' });
  });

  await check('the JSON shows its top level: quoted strings, the 20-digit id as written', async () => {
    await text(page, '"sluice"').waitFor();
    await text(page, '12345678901234567890').waitFor();
    await summary('owner').getByText('3 keys').waitFor();
    await text(page, '"team"').waitFor({ state: 'hidden' });
  });

  await check('Tab reaches "owner", Enter opens it, Space closes it again', async () => {
    await page.locator('.json summary').first().focus();
    for (let i = 0; i < 5; i++) {
      const focused = await page.evaluate(() => document.activeElement?.textContent ?? '');
      if (focused.startsWith('"owner"')) break;
      await page.keyboard.press('Tab');
    }
    const focused = await page.evaluate(() => document.activeElement?.textContent ?? '');
    if (!focused.startsWith('"owner"')) throw new Error(`Tab did not reach "owner" (focus on ${JSON.stringify(focused)})`);
    await page.keyboard.press('Enter');
    await text(page, '"data"').waitFor();
    await text(page, 'true').waitFor();
    await text(page, 'null').waitFor();
    await page.keyboard.press('Space');
    await text(page, '"data"').waitFor({ state: 'hidden' });
  });

  await check('the invalid JSON is an error alert naming line 3, column 8', async () => {
    await page.getByRole('alert').filter({ hasText: 'Invalid JSON at line 3, column 8' }).waitFor();
    await text(page, 'end of app').waitFor();
  });

  await check('a document 100,000 levels deep shows its first 100 levels open, the rest closed', async () => {
    const deep = page.locator('.json').last();
    const open = await deep.evaluate((node) => [
      node.querySelectorAll('details[open]').length,
      node.querySelectorAll('details:not([open])').length,
    ]);
    if (open[0] !== 100 || open[1] !== 1) throw new Error(`${open[0]} levels open, ${open[1]} closed`);
  });

  await check('no page reported an error', async () => {
    if (errors.length > 0) throw new Error(errors.join('; '));
  });
}

// st::image (tests/apps/image_app.cc): every format the worker sends is drawn
// by Chromium with its caption as alt text, at the width asked but never
// wider than its column; and the page frees an image's bytes (revokes its
// blob: URL) when a rerun replaces them and when the image goes away.
const IMAGE_CAPTIONS = [
  'Frame as PNG', 'Frame wider than its column', 'Frame as JPEG', 'Frame as PNG with alpha',
  'PNG file', 'JPEG file', 'GIF file', 'WebP lossless file', 'WebP lossy file',
  'WebP file with alpha', 'SVG file',
];

async function image(browser) {
  const errors = [];
  const page = await openPage(browser, 'image page', errors);
  const img = (caption) => page.getByRole('img', { name: caption, exact: true });
  // The image's state once it has loaded (or failed to).
  const loaded = async (caption) => {
    const handle = await img(caption).elementHandle();
    await page.waitForFunction((node) => node.complete, handle);
    return handle.evaluate((node) => ({
      src: node.src,
      alt: node.alt,
      natural: [node.naturalWidth, node.naturalHeight],
      shown: [node.getBoundingClientRect().width, node.getBoundingClientRect().height],
      column: node.closest('figure').parentElement.clientWidth,
    }));
  };
  // Whether the page can still read `url` (a revoked blob: URL cannot be fetched).
  const readable = (url) =>
    page.evaluate((url) => fetch(url).then((response) => response.ok, () => false), url);

  await check('the image app shows its title', async () => {
    await page.getByRole('heading', { level: 1, name: 'Image app', exact: true }).waitFor();
    await waitIdle(page);
  });

  await check('every image (PNG, JPEG from pixels; PNG, JPEG, GIF, WebP x3, SVG files) is drawn, alt = caption', async () => {
    for (const caption of IMAGE_CAPTIONS) {
      const shown = await loaded(caption);
      if (!(shown.natural[0] > 0)) throw new Error(`"${caption}" was not drawn (naturalWidth 0)`);
      if (shown.alt !== caption) throw new Error(`"${caption}" has alt ${JSON.stringify(shown.alt)}`);
      if (!shown.src.startsWith('blob:')) throw new Error(`"${caption}" is not shown from a blob: URL`);
      await page.locator('figure figcaption').getByText(caption, { exact: true }).waitFor();
    }
  });

  await check('each image has its own size: 64 x 48 frames, 3 x 2 and 5 x 4 files', async () => {
    const expect = { 'Frame as PNG': [64, 48], 'Frame as JPEG': [64, 48], 'GIF file': [3, 2], 'JPEG file': [5, 4], 'WebP file with alpha': [3, 2] };
    for (const [caption, size] of Object.entries(expect)) {
      const { natural } = await loaded(caption);
      if (natural[0] !== size[0] || natural[1] !== size[1]) throw new Error(`"${caption}" is ${natural.join(' x ')}`);
    }
  });

  await check('.width is honoured (256 px), the natural width is kept without it (64 px)', async () => {
    const wide = await loaded('Frame as PNG');
    if (Math.round(wide.shown[0]) !== 256 || Math.round(wide.shown[1]) !== 192) throw new Error(`shown ${wide.shown.join(' x ')}`);
    const natural = await loaded('Frame as JPEG');
    if (Math.round(natural.shown[0]) !== 64) throw new Error(`shown ${natural.shown.join(' x ')}`);
  });

  await check('an image asked 4000 px wide is no wider than its column, in proportion', async () => {
    const shown = await loaded('Frame wider than its column');
    if (!(shown.shown[0] <= shown.column && shown.shown[0] > 0)) throw new Error(`${shown.shown[0]} px in a ${shown.column} px column`);
    const ratio = shown.shown[1] / shown.shown[0];
    if (Math.abs(ratio - 0.75) > 0.02) throw new Error(`height / width ${ratio}, not 0.75`);
  });

  await check('bytes that are no image end the run with the exception, saying so', async () => {
    await page.getByText('not an image sluice can show', { exact: false }).waitFor();
    await text(page, 'before the bad bytes').waitFor();
  });

  await check('new pixels replace the image in place and free the old bytes (old blob: URL revoked)', async () => {
    const before = await loaded('Frame as PNG');
    const node = await img('Frame as PNG').elementHandle();
    if (!(await readable(before.src))) throw new Error('the shown image\'s URL cannot be read');
    await page.getByRole('checkbox', { name: 'Second frame', exact: true }).check();
    await page.waitForFunction(([node, old]) => node.src !== old && node.complete && node.naturalWidth > 0, [node, before.src]);
    const after = await loaded('Frame as PNG');
    if (await readable(before.src)) throw new Error(`the replaced bytes are still readable at ${before.src}`);
    if (!(await readable(after.src))) throw new Error('the new image\'s URL cannot be read');
    const same = await node.evaluate((node) => node.isConnected);
    if (!same) throw new Error('the <img> was rebuilt, not updated in place');
  });

  await check('a rerun that drops the files frees their bytes (their blob: URLs revoked)', async () => {
    const files = [];
    for (const caption of ['PNG file', 'GIF file', 'SVG file']) files.push((await loaded(caption)).src);
    await page.getByRole('checkbox', { name: 'Hide files', exact: true }).check();
    await img('PNG file').waitFor({ state: 'detached' });
    await waitIdle(page);
    for (const url of files) {
      if (await readable(url)) throw new Error(`a dropped image's bytes are still readable at ${url}`);
    }
    const frame = await loaded('Frame as PNG');
    if (!(await readable(frame.src))) throw new Error('the kept image lost its bytes');
  });

  await check('no page errors', async () => {
    // Reading a revoked URL (the checks above do, on purpose) logs a failed
    // load; every image drawn was checked loaded on its own.
    const real = errors.filter((error) => !error.includes('ERR_FILE_NOT_FOUND'));
    if (real.length) throw new Error(real.join('; '));
  });
}

// tests/apps/data_app.cc's grid: a 1,000,000-row frame built in code (row
// i: id i, value (i * 7919 mod 1000003) / 8, null every 1000th row, label
// "row-<i>"), and st::tables of its head and of it cut at 2 rows.
const GRID_ROWS = 1000000;

// Waits until the grid's row at `ariaRowIndex` (the header is 1, frame row r
// is r + 2) is drawn with these cell texts (null: any text).
async function expectRow(page, ariaRowIndex, texts) {
  await page.waitForFunction(
    ([index, texts]) => {
      const row = document.querySelector(`[role=grid] tr[aria-rowindex="${index}"]`);
      const cells = row ? [...row.querySelectorAll('[role=gridcell]')].map((cell) => cell.textContent) : [];
      return cells.length === texts.length && texts.every((text, i) => text === null || text === cells[i]);
    },
    [ariaRowIndex, texts],
  );
}

async function expectSorted(page, name, direction) {
  await page.waitForFunction(
    ([name, direction]) =>
      document.querySelector(`[role=grid] th[aria-sort="${direction}"]`)?.textContent.startsWith(name),
    [name, direction],
  );
}

async function grid(browser) {
  const errors = [];
  let page = null;
  const grid = () => page.getByRole('grid');

  await check('the grid shows the first rows, and counts every row of the frame', async () => {
    page = await openPage(browser, 'grid page', errors);
    await waitIdle(page);
    await expectRow(page, 2, ['0', '0', 'row-0']);
    await expectRow(page, 3, ['1', '989.875', 'row-1']);
    // ARIA counts the header row too.
    const rowCount = await grid().getAttribute('aria-rowcount');
    if (rowCount !== String(GRID_ROWS + 1)) throw new Error(`aria-rowcount is ${rowCount}`);
    await text(page, '1,000,000 rows × 3 columns').waitFor();
    await grid().getByRole('columnheader', { name: 'value float64' }).waitFor();
  });

  await check('End reaches the last of 1,000,000 rows and shows its values (a null one); Ctrl+Home comes back', async () => {
    await grid().focus();
    await page.keyboard.press('End');
    await expectRow(page, GRID_ROWS + 1, ['999999', 'null', 'row-999999']);
    await page.keyboard.press('Control+Home');
    await expectRow(page, 2, ['0', '0', 'row-0']);
  });

  await check("dragging a header's right edge widens its column, and does not sort", async () => {
    const header = grid().getByRole('columnheader', { name: 'label string' });
    const before = await header.boundingBox();
    const y = before.y + before.height / 2;
    await page.mouse.move(before.x + before.width - 2, y);
    await page.mouse.down();
    await page.mouse.move(before.x + before.width + 40, y, { steps: 4 });
    await page.mouse.move(before.x + before.width + 80, y, { steps: 4 });
    await page.mouse.up();
    await page.waitForFunction(
      ([x, width]) => {
        const th = [...document.querySelectorAll('[role=grid] th')].find((cell) => cell.textContent.startsWith('label'));
        return th && th.getBoundingClientRect().width >= width + 60 && th.getBoundingClientRect().x === x;
      },
      [before.x, before.width],
    );
    if (await page.locator('[role=grid] th[aria-sort]').count()) throw new Error('the drag sorted the grid');
  });

  await check('clicking a header sorts by it in the worker: ascending, then descending', async () => {
    const header = grid().getByRole('columnheader', { name: 'value float64' });
    await header.click();
    await expectSorted(page, 'value', 'ascending');
    await expectRow(page, 2, ['0', '0', 'row-0']);
    await expectRow(page, 3, ['658671', '0.125', 'row-658671']);
    await header.click();
    await expectSorted(page, 'value', 'descending');
    await expectRow(page, 2, ['341332', '125000.25', 'row-341332']);
    await text(page, '1,000,000 rows × 3 columns, sorted by value (descending)').waitFor();
    // Nulls come last whichever way, shown as null.
    await grid().focus();
    await page.keyboard.press('End');
    await expectRow(page, GRID_ROWS + 1, [null, 'null', null]);
  });

  await check('st::table shows its rows, and how many were left out past its limit', async () => {
    const head = page.getByRole('table').filter({ hasText: '3 rows × 3 columns' });
    await head.getByRole('cell', { name: 'row-2', exact: true }).waitFor();
    const cut = page.getByRole('table').filter({ hasText: 'left out' });
    await cut.getByText('2 rows shown; 999,998 more rows left out').waitFor();
    await cut.getByRole('cell', { name: 'row-1', exact: true }).waitFor();
  });

  await check('no page errors', async () => {
    if (errors.length) throw new Error(errors.join('; '));
  });
}


// st::download_button: a click saves the file the worker sends over the
// session's socket (tests/apps/data_app.cc), with no rerun.
async function downloads(browser) {
  const errors = [];
  const page = await openPage(browser, 'downloads page', errors);
  const button = (name) => page.getByRole('button', { name, exact: true });
  const saved = async (name) => {
    const [download] = await Promise.all([page.waitForEvent('download'), button(name).click()]);
    const { readFile } = await import('node:fs/promises');
    return { name: download.suggestedFilename(), bytes: await readFile(await download.path()) };
  };

  await check('the data app shows its download buttons', async () => {
    await text(page, 'runs: 1').waitFor();
    await waitIdle(page);
    await button('Download payload').waitFor();
  });

  await check('"Download payload" saves payload.bin with the exact 1,000,000 bytes', async () => {
    const file = await saved('Download payload');
    if (file.name !== 'payload.bin') throw new Error(`saved as ${file.name}`);
    if (file.bytes.length !== 1_000_000) throw new Error(`${file.bytes.length} bytes`);
    for (let i = 0; i < file.bytes.length; i += 1) {
      const want = (i * 31 + Math.floor(i / 4096)) % 256;
      if (file.bytes[i] !== want) throw new Error(`byte ${i} is ${file.bytes[i]}, not ${want}`);
    }
  });

  await check('"Download report" runs its callable on the click, and the app did not rerun', async () => {
    const file = await saved('Download report');
    if (file.name !== 'report.txt' || file.bytes.toString() !== 'report made 1 times\n') {
      throw new Error(`saved ${file.name}: ${JSON.stringify(file.bytes.toString())}`);
    }
    await text(page, 'runs: 1').waitFor();
  });

  await check('"Download broken" shows its error next to the button and can be clicked again', async () => {
    await button('Download broken').click();
    const alert = page.locator('.download', { has: button('Download broken') }).getByRole('alert');
    await alert.getByText('cannot make this file').waitFor();
    if (await button('Download broken').isDisabled()) throw new Error('the button stayed disabled');
  });

  await check('no page errors', async () => {
    if (errors.length) throw new Error(errors.join('; '));
  });
}

// examples/csv_explorer, the path a viewer takes: the sample first, then an
// uploaded file, a range on one of its columns, and the kept rows saved as
// filtered.csv with exactly their CSV.
async function explorer(browser) {
  const errors = [];
  const page = await openPage(browser, 'explorer page', errors);
  const metric = page.locator('.metric', { has: text(page, 'Rows kept') });
  const rowsKept = (shown) => metric.getByText(shown, { exact: true }).waitFor();
  const csv = ['n,name,score', '1,a,0.5', '2,b,1.5', '3,c,2.5', '4,d,3.5', '5,e,4.5',
    '6,f,5.5', '7,g,6.5', '8,h,7.5', '9,i,8.5', '10,j,9.5'];

  await check('the explorer shows the 1,000,000-row sample', async () => {
    await page.getByRole('heading', { level: 1, name: 'CSV explorer', exact: true }).waitFor();
    await rowsKept('1,000,000');
    await text(page, 'Showing the generated sample: 1,000,000 rows, 6 columns.').waitFor();
    await waitIdle(page);
  });

  await check('uploading small.csv switches to its 10 rows', async () => {
    await page.getByLabel('A CSV or TSV file', { exact: true }).setInputFiles({
      name: 'small.csv', mimeType: 'text/csv', buffer: Buffer.from(`${csv.join('\n')}\n`),
    });
    await text(page, 'Showing small.csv: 10 rows, 3 columns.').waitFor();
    await rowsKept('10');
    await waitIdle(page);
  });

  await check('raising "Lowest n" to 4 with the keyboard keeps 7 rows, shown as a fall of 3', async () => {
    const slider = page.getByRole('slider', { name: 'Lowest n', exact: true });
    // One step at a time: each change is a rerun, and its answer is awaited
    // before the next key.
    for (const kept of ['9', '8', '7']) {
      await slider.focus();
      await slider.press('ArrowRight');
      await rowsKept(kept);
    }
    await metric.locator('.metric-delta').getByText('▼ -3', { exact: true }).waitFor();
    await waitIdle(page);
  });

  await check('the grid shows the 7 kept rows (aria-rowcount 8: the header row counts)', async () => {
    const grid = page.getByRole('grid');
    await grid.waitFor();
    await page.waitForFunction(
      () => document.querySelector('[role=grid]')?.getAttribute('aria-rowcount') === '8',
      null,
      { timeout: WAIT_MS },
    );
  });

  await check('"Download the kept rows" saves filtered.csv with exactly the 7 kept rows', async () => {
    const button = page.getByRole('button', { name: 'Download the kept rows', exact: true });
    const runId = await page.evaluate(() => document.body.dataset.runId);
    const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
    const { readFile } = await import('node:fs/promises');
    const bytes = (await readFile(await download.path())).toString();
    if (download.suggestedFilename() !== 'filtered.csv') throw new Error(`saved as ${download.suggestedFilename()}`);
    const want = `${[csv[0], ...csv.slice(4)].join('\n')}\n`;
    if (bytes !== want) throw new Error(`saved ${JSON.stringify(bytes)}, not ${JSON.stringify(want)}`);
    const now = await page.evaluate(() => document.body.dataset.runId);
    if (now !== runId) throw new Error('the download reran the app');
  });

  await check('no page errors', async () => {
    if (errors.length) throw new Error(errors.join('; '));
  });
}

// A strict Content-Security-Policy the vega suite adds to the page it
// loads: no eval of any kind, no inline script or style, nothing fetched
// from elsewhere. Vega compiles expressions with `new Function` unless told
// to interpret them; this proves the chart draws without it.
const STRICT_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  // 'self' covers the page's WebSocket only from CSP level 3 on; say it.
  `connect-src 'self' ws://${new URL(url).host}`,
  "object-src 'none'",
  "base-uri 'none'",
].join('; ');

// st::vega_lite_chart (tests/apps/vega_app.cc) under STRICT_CSP: the charts
// draw their marks from every row, width follows the column, Vega's chunk
// is fetched only once a chart is shown, a bad spec is the app's exception.
async function vega(browser) {
  const errors = [];
  const label = 'vega page';
  const context = await browser.newContext();
  // A document fulfilled by the test counts as from the public internet;
  // Chromium's local network access checks would then refuse its
  // WebSocket to 127.0.0.1.
  await context.grantPermissions(['local-network-access']);
  await context.route(url, async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': STRICT_CSP } });
  });
  const page = await context.newPage();
  openPages.set(label, page);
  page.setDefaultTimeout(WAIT_MS);
  watchErrors(page, label, errors);
  await page.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.cspViolations.push(`${e.violatedDirective} refused ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`),
    );
  });
  const fetched = [];
  page.on('response', (response) => {
    if (response.request().resourceType() === 'script' && response.ok()) fetched.push(new URL(response.url()).pathname);
  });
  const figure = (name) => page.getByRole('figure', { name, exact: true });
  const pick = async (name) => {
    await page.getByRole('radio', { name, exact: true }).check();
    await waitIdle(page);
  };
  let before = [];

  await check('the page is served with the strict CSP and shows the app without a chart', async () => {
    const response = await page.goto(url, { waitUntil: 'domcontentloaded', timeout: WAIT_MS });
    if (response.headers()['content-security-policy'] !== STRICT_CSP) throw new Error('the CSP was not added');
    await page
      .getByRole('heading', { level: 1, name: 'Vega app', exact: true })
      .waitFor()
      .catch((err) => {
        throw new Error(`${err.message.split('\n')[0]} (${errors.join('; ')})`);
      });
    await text(page, 'end of app').waitFor();
    await waitIdle(page);
    before = [...fetched];
    if (await page.getByRole('figure').count()) throw new Error('a figure is shown before any chart');
  });

  await check('showing charts fetches one more chunk, which the page without a chart had not', async () => {
    await pick('charts');
    await figure('Saw wave').locator('svg').waitFor();
    const added = fetched.filter((path) => !before.includes(path));
    if (added.length !== 1 || !added[0].startsWith('/chunk-')) {
      throw new Error(`before: ${JSON.stringify(before)}; after: ${JSON.stringify(fetched)}`);
    }
  });

  await check('"Saw wave" draws a line per group, across the width of the column, 240 px high', async () => {
    const chart = figure('Saw wave');
    await chart.locator('.mark-line.role-mark path').first().waitFor();
    const lines = await chart.locator('.mark-line.role-mark path').evaluateAll((paths) => paths.map((p) => p.getAttribute('d')?.length ?? 0));
    // Groups a and b go through ~500 points each, the null group through 10.
    const sorted = [...lines].sort((p, q) => q - p);
    if (lines.length !== 3 || sorted[1] < 2000 || sorted[2] > sorted[1] / 10) throw new Error(`line paths of ${JSON.stringify(lines)} characters`);
    const [figureWidth, svgWidth, plotHeight] = await chart.evaluate((node) => {
      const plot = node.querySelector('.mark-line').closest('g.mark-group')?.querySelector('.background');
      return [node.clientWidth, node.querySelector('svg').getBoundingClientRect().width, plot?.getBBox().height ?? 0];
    });
    if (!(svgWidth > 0.9 * figureWidth && svgWidth <= figureWidth + 1)) {
      throw new Error(`the chart is ${svgWidth} px wide in a column of ${figureWidth} px`);
    }
    if (Math.round(plotHeight) !== 240) throw new Error(`the plot is ${plotHeight} px high`);
  });

  await check('"Mean y by group" aggregates every row: counts 500, 490 and 10 over three bars', async () => {
    const chart = figure('Mean y by group');
    await chart.locator('.mark-rect.role-mark path').nth(2).waitFor();
    const counts = await chart.locator('.mark-text.role-mark text').allTextContents();
    if (counts.sort().join(' ') !== '10 490 500') throw new Error(`the bars say ${JSON.stringify(counts)}`);
  });

  await check('"Inline bars" draws the three bars of its own data', async () => {
    const bars = figure('Inline bars').locator('.mark-rect.role-mark path');
    await bars.nth(2).waitFor();
    if ((await bars.count()) !== 3) throw new Error(`${await bars.count()} bars`);
  });

  await check('no content-security-policy violation, no console error', async () => {
    const violations = await page.evaluate(() => window.cspViolations);
    if (violations.length) throw new Error(violations.join('; '));
    if (errors.length) throw new Error(errors.join('; '));
  });

  await check('a spec that is not JSON is the app\'s exception, saying where; the charts go', async () => {
    await pick('invalid json');
    await page.locator('.exception').getByText(/Invalid JSON at line 3, column 15/).waitFor();
    await figure('Saw wave').waitFor({ state: 'detached' });
    if (await page.getByRole('figure').count()) throw new Error('a chart is still shown');
  });

  await check('charts shown again draw, with no error or violation', async () => {
    await pick('charts');
    await figure('Inline bars').locator('.mark-rect.role-mark path').nth(2).waitFor();
    const violations = await page.evaluate(() => window.cspViolations);
    if (violations.length) throw new Error(violations.join('; '));
    if (errors.length) throw new Error(errors.join('; '));
  });
}

// st::progress, st::empty, st::spinner and st::toast (tests/apps/live_app.cc).
// A MutationObserver records what the page shows as each update lands, so
// the checks see the run's intermediate states without timing anything.
async function live(browser) {
  const errors = [];
  const page = await openPage(browser, 'live page', errors);
  const mode = (name) =>
    page.getByRole('radiogroup', { name: 'mode', exact: true }).getByRole('radio', { name, exact: true });

  await check('the live app shows its mode choice', async () => {
    await mode('idle').waitFor();
    await waitIdle(page);
  });

  await check('during the work run the spinner shows and the progressbar moves; after it both are settled', async () => {
    await page.evaluate(() => {
      const seen = { values: [], spinnerWithValues: [], slotTexts: [], slotNodes: new Set() };
      window.liveSeen = seen;
      const record = () => {
        const bar = document.querySelector('[role="progressbar"]');
        const spinner = [...document.querySelectorAll('[role="status"]')].find((n) =>
          n.textContent.includes('Crunching numbers'));
        if (bar) {
          const value = Number(bar.getAttribute('aria-valuenow'));
          if (seen.values.at(-1) !== value) seen.values.push(value);
          if (spinner) seen.spinnerWithValues.push(value);
        }
        const slot = [...document.querySelectorAll('.text')].find((n) => n.textContent.startsWith('counted '));
        if (slot) {
          seen.slotNodes.add(slot);
          if (seen.slotTexts.at(-1) !== slot.textContent) seen.slotTexts.push(slot.textContent);
        }
      };
      new MutationObserver(record).observe(document.body, {
        subtree: true, childList: true, attributes: true, characterData: true,
      });
    });
    await mode('work').check();
    await text(page, 'work done').waitFor();
    await waitIdle(page);
    const seen = await page.evaluate(() => ({
      values: window.liveSeen.values,
      spinnerWithValues: window.liveSeen.spinnerWithValues,
      slotTexts: window.liveSeen.slotTexts,
      slotNodes: window.liveSeen.slotNodes.size,
    }));
    const between = seen.values.filter((v) => v > 0 && v < 100);
    if (between.length < 2) throw new Error(`the bar showed ${JSON.stringify(seen.values)}: no intermediate values`);
    if (!seen.spinnerWithValues.some((v) => v > 0 && v < 100)) {
      throw new Error('no spinner was seen while the bar moved');
    }
    if (seen.slotTexts.length < 2) throw new Error(`the slot showed ${JSON.stringify(seen.slotTexts)}`);
    if (seen.slotNodes !== 1) throw new Error(`the slot's text was in ${seen.slotNodes} nodes, not updated in place`);
  });

  await check('the finished bar is a progressbar at 100 named "Working"; the spinner is gone', async () => {
    const bar = page.getByRole('progressbar', { name: 'Working', exact: true });
    await bar.waitFor();
    const value = await bar.getAttribute('aria-valuenow');
    if (value !== '100') throw new Error(`aria-valuenow is ${value}`);
    const valueText = await bar.getAttribute('aria-valuetext');
    if (valueText !== '100%') throw new Error(`aria-valuetext is ${valueText}`);
    await text(page, 'counted 60').waitFor();
    await page.getByText('Crunching numbers').waitFor({ state: 'detached' });
  });

  await check('a toast appears as a status with its text, then goes by itself', async () => {
    // Short runs from here: a click during a run on a button the run has
    // passed does not count (the runner's rule), so each click waits.
    await mode('idle').check();
    await text(page, 'work done').waitFor({ state: 'detached' });
    await waitIdle(page);
    await page.getByRole('button', { name: 'notify', exact: true }).click();
    const toast = page.getByRole('status').filter({ hasText: 'Saved the report' });
    await toast.waitFor();
    const live = await toast.getAttribute('aria-live');
    if (live !== 'polite') throw new Error(`aria-live is ${live}`);
    // About 4 s; the wait allows much more on a slow machine.
    await toast.waitFor({ state: 'detached', timeout: 20000 });
  });

  await check('two toasts stack, and Dismiss takes one away at once', async () => {
    const button = page.getByRole('button', { name: 'notify', exact: true });
    const toasts = page.getByRole('status').filter({ hasText: 'Saved the report' });
    await button.click();
    await toasts.first().waitFor();
    await waitIdle(page);
    await button.click();
    await toasts.nth(1).waitFor();
    const first = await toasts.first().elementHandle();
    await toasts.first().getByRole('button', { name: 'Dismiss' }).click();
    if (await first.evaluate((node) => node.isConnected)) throw new Error('the dismissed toast is still shown');
  });

  await check('no page reported an error', async () => {
    if (errors.length) throw new Error(errors.join('; '));
  });
}

// st::line_chart and friends (tests/apps/chart_app.cc): a 10M-point line
// arrives as a few thousand points and draws; hover and legend work; a drag
// zooms through a points query; double-click resets; add_rows streams.
async function charts(browser) {
  const errors = [];
  const label = 'charts page';
  const context = await browser.newContext();
  const page = await context.newPage();
  openPages.set(label, page);
  page.setDefaultTimeout(WAIT_MS);
  watchErrors(page, label, errors);
  const traffic = { received: 0, largest: 0, sent: 0, frames: 0 };
  page.on('websocket', (ws) => {
    ws.on('framereceived', ({ payload }) => {
      traffic.received += payload.length;
      traffic.frames += 1;
      traffic.largest = Math.max(traffic.largest, payload.length);
    });
    ws.on('framesent', () => (traffic.sent += 1));
  });
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: WAIT_MS });
  const figure = (name) => page.getByRole('figure', { name, exact: true });
  const big = figure('Line chart of signal by row, 10,000,000 points');
  const daily = figure('Line chart of price, volume by day, 50 points');
  // Pixels of the plot's canvas that are not background: something is drawn.
  const inked = (chart) =>
    chart.locator('canvas').evaluate((canvas) => {
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n += 1;
      return n;
    });

  await check('the chart app shows its title and the 10M-point chart as a named figure', async () => {
    await page.getByRole('heading', { level: 1, name: 'Chart app', exact: true }).waitFor();
    await waitIdle(page);
    await big.locator('canvas').waitFor();
  });

  await check('the 10M-point chart came in a small message (not 80 MB of points) and its line is drawn', async () => {
    if (traffic.largest > 1 << 20) throw new Error(`a ${traffic.largest}-byte frame arrived`);
    if (traffic.received > 4 << 20) throw new Error(`${traffic.received} bytes arrived in all`);
    const ink = await inked(big);
    if (ink < 500) throw new Error(`only ${ink} pixels are drawn`);
  });

  await check('area, bar and scatter charts and the chart in a slot draw; the slot no longer says it waits', async () => {
    for (const name of ['Area chart of y by x, 20 points', 'Bar chart of y by x, 8 points', 'Scatter chart of y by x, 21 points', 'Line chart of y by x, 5 points']) {
      await figure(name).locator('canvas').waitFor();
      const ink = await inked(figure(name));
      if (ink < 50) throw new Error(`"${name}" has only ${ink} pixels drawn`);
    }
    if (await text(page, 'the slot waits').count()) throw new Error('the slot still shows its text');
  });

  await check('hovering the daily chart shows exact values of the day under the cursor in its legend', async () => {
    const box = await daily.locator('.u-over').boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const values = await daily.locator('.u-legend .u-value').allTextContents();
    // x is a date; price is 100 + day / 2; volume 1000 + 10 * day.
    const [day, price, volume] = values;
    const d = Math.round((Number(price) - 100) * 2);
    if (!(d >= 20 && d <= 30) || Number(volume.replace(/,/g, '')) !== 1000 + 10 * d || !/2026/.test(day)) {
      throw new Error(`legend shows ${JSON.stringify(values)}`);
    }
  });

  await check('a legend entry is a button: a click hides "volume", Enter shows it again, aria-pressed follows', async () => {
    const entry = daily.getByRole('button', { name: 'Show volume', exact: true });
    if ((await entry.getAttribute('aria-pressed')) !== 'true') throw new Error('volume is not shown at first');
    const before = await inked(daily);
    await entry.click();
    if ((await entry.getAttribute('aria-pressed')) !== 'false') throw new Error('aria-pressed did not follow the click');
    const hidden = await inked(daily);
    if (!(hidden < before)) throw new Error(`${before} pixels inked before, ${hidden} with volume hidden`);
    await entry.focus();
    await page.keyboard.press('Enter');
    if ((await entry.getAttribute('aria-pressed')) !== 'true') throw new Error('Enter did not show it again');
  });

  await check('dragging across the big chart asks the worker for that range and redraws; double-click resets', async () => {
    const over = big.locator('.u-over');
    const box = await over.boundingBox();
    const sentBefore = traffic.sent;
    const framesBefore = traffic.frames;
    await page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.45, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await big.getByRole('button', { name: 'Reset zoom', exact: true }).waitFor();
    // The query goes once the drag settles; its answer is the only frame
    // that comes (nothing reruns), and may come before this loop sees the
    // query go.
    const deadline = Date.now() + WAIT_MS;
    while (traffic.sent === sentBefore && Date.now() < deadline) await page.waitForTimeout(20);
    if (traffic.sent === sentBefore) throw new Error('no query was sent for the zoom');
    while (traffic.frames === framesBefore && Date.now() < deadline) await page.waitForTimeout(20);
    if (traffic.frames === framesBefore) throw new Error('the zoom query got no answer');
    const ink = await inked(big);
    if (ink < 200) throw new Error(`only ${ink} pixels drawn after the zoom`);
    if (await big.locator('.chart-problem').count()) throw new Error(await big.locator('.chart-status').textContent());
    await over.dblclick();
    await big.getByRole('button', { name: 'Reset zoom', exact: true }).waitFor({ state: 'hidden' });
  });

  await check('add_rows streams onto the live chart: its name counts the points as they arrive, ending at 310', async () => {
    await page.getByLabel('Appends per second', { exact: true }).fill('200');
    await page.getByLabel('Appends per second', { exact: true }).press('Enter');
    await waitIdle(page);
    await page.evaluate(() => {
      window.liveCounts = [];
      const watch = () => {
        const fig = [...document.querySelectorAll('figure.chart')].find((f) => /^Line chart of y by x, [\d,]+ points$/.test(f.getAttribute('aria-label') ?? '') && f.getAttribute('aria-label') !== 'Line chart of y by x, 5 points');
        const n = fig ? Number(fig.getAttribute('aria-label').match(/([\d,]+) points/)[1].replace(/,/g, '')) : null;
        if (n !== null && window.liveCounts.at(-1) !== n) window.liveCounts.push(n);
        requestAnimationFrame(watch);
      };
      watch();
    });
    await page.getByLabel('Rows to append', { exact: true }).fill('300');
    await page.getByLabel('Rows to append', { exact: true }).press('Enter');
    await text(page, 'live chart rows: 310').waitFor();
    await waitIdle(page);
    await figure('Line chart of y by x, 310 points').locator('canvas').waitFor();
    const counts = await page.evaluate(() => window.liveCounts);
    const between = counts.filter((n) => n > 10 && n < 310);
    if (between.length < 3) throw new Error(`the chart went through ${JSON.stringify(counts)}: not streamed`);
  });

  await check('no console errors on the charts page', async () => {
    if (errors.length) throw new Error(errors.join('; '));
  });
}

const suites = { demo, columns, uploads, queue, display, image, grid, downloads, explorer, vega, live, charts };
const suite = suites[suiteName];
if (!suite) {
  console.error(`unknown suite "${suiteName}": ${Object.keys(suites).join(", ")}`);
  process.exit(2);
}

let browser = null;
let status = 0;
try {
  browser = await launchChromium();
  await suite(browser);
  console.log(`${passed} passed, 0 failed`);
} catch (err) {
  console.error(`FAIL - ${err.message}`);
  for (const [label, page] of openPages) {
    const shown = await page.evaluate(() => document.body.innerText).catch(() => '(page gone)');
    console.error(`--- what ${label} shows:\n${shown.slice(0, 2000)}`);
  }
  console.log(`${passed} passed, 1 failed`);
  status = 1;
} finally {
  if (browser) await browser.close().catch(() => {});
}
process.exit(status);
