// Drives the demo app in a real browser (Debian's chromium, headless) the way
// a viewer would: by roles and visible text, never by the page's internals.
//
//   node tests/web/browser_test.mjs http://127.0.0.1:PORT/
//
// The caller starts the server; this script only connects to it. It prints
// one line per check and exits 0 when all pass, 1 with the reason otherwise.
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const WAIT_MS = 15000;
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

const url = process.argv[2];
if (!url) {
  console.error('usage: node tests/web/browser_test.mjs http://127.0.0.1:PORT/');
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

async function openPage(browser, label, errors) {
  const context = await browser.newContext();
  const page = await context.newPage();
  openPages.set(label, page);
  page.setDefaultTimeout(WAIT_MS);
  watchErrors(page, label, errors);
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

async function run(browser) {
  const errors = [];
  let first = null;

  await check('demo page renders the title "Hello, sluice" as a heading', async () => {
    first = await openPage(browser, 'page 1', errors);
    await first.getByRole('heading', { level: 1, name: 'Hello, sluice', exact: true }).waitFor();
    await text(first, 'x squared is 625').waitFor();
    await waitIdle(first);
  });

  await check('moving slider "x" to 26 shows "x squared is 676"', async () => {
    const slider = first.getByRole('slider', { name: 'x', exact: true });
    await slider.focus();
    await slider.press('ArrowRight');
    await text(first, 'x squared is 676').waitFor();
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

  await check('no page reported an error', async () => {
    if (errors.length > 0) throw new Error(errors.join('; '));
  });
}

let browser = null;
let status = 0;
try {
  browser = await chromium.launch({
    executablePath: process.env.SLUICE_CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    timeout: 60000,
  });
  await run(browser);
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
