// Launches Debian's headless chromium through playwright-core, the one way
// the browser tests (browser_test.mjs) and the upload benchmark
// (bench/upload_bench.mjs) start it. SLUICE_CHROMIUM overrides the binary.
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

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

/** A playwright Browser; the caller closes it. */
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.SLUICE_CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    timeout: 60000,
  });
}
