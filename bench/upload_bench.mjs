// Upload throughput as a viewer gets it: headless Debian chromium
// (playwright-core, as tests/web/browser_test.mjs drives it) picks a file
// from disk (setInputFiles with a path) in a real `sluice serve` on loopback
// at --sandbox strict, and the clock runs until the app shows the file.
//
//   node bench/upload_bench.mjs --sluice build/bin/sluice \
//        --app build/tests/upload_app.so [--sizes 20,150] [--runs 3]
//        [--sandbox strict] [--profile DIR] [--web-dir DIR]
//
// --web-dir serves another build of the page (web/build.mjs --out DIR), to
// compare two versions of its upload path on one server in one sitting.
//
// Baselines, measured in the same run, in the same browser, from the same
// file on disk:
//   - "page reads the file": File.arrayBuffer() of the whole file in the
//     page. Every upload reads the file this way (in slices), so this is
//     what reading alone costs the page.
//   - "raw WebSocket": the page sends the file's bytes (1 MiB slices, read
//     ahead) over a plain WebSocket on loopback to a sink in this script
//     that only counts them: no Cap'n Proto, no acknowledgements, no broker
//     or worker. What the browser can push through a loopback socket.
// Per MiB uploaded it prints the CPU seconds (user + system, from
// /proc/PID/stat) of the broker, of the session's worker, and of all of
// chromium's processes (and, per run, chromium's by process type, for the
// upload and for the raw WebSocket). --profile DIR writes a Chromium CPU profile (CDP
// Profiler) of the page during the last upload of each size, and prints the
// functions with the most self time.
//
// A benchmark, not a test: it asserts nothing about time. This machine is
// shared and noisy; compare rows of one run.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

import { launchChromium } from '../tests/web/chromium.mjs';
import { startSluice } from './sluice_server.mjs';

const MiB = 1024 * 1024;

function parseArgs(argv) {
  const args = { sizes: '20,150', runs: '3', sandbox: 'strict', profile: '', 'web-dir': '' };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    if (!(name in args) && name !== 'sluice' && name !== 'app') throw new Error(`unknown option ${argv[i]}`);
    args[name] = argv[i + 1];
  }
  if (!args.sluice || !args.app) {
    console.error('usage: node bench/upload_bench.mjs --sluice SLUICE --app UPLOAD_APP.so ' +
                  '[--sizes 20,150] [--runs 3] [--sandbox strict] [--profile DIR]');
    process.exit(2);
  }
  return args;
}

// ---- CPU time of processes, from /proc ----

const TICKS = 100; // USER_HZ on Linux

function statOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12])) / TICKS };
  } catch {
    return null; // gone
  }
}

function allPids() {
  return fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number);
}

function descendantsOf(root) {
  const children = new Map();
  for (const pid of allPids()) {
    const stat = statOf(pid);
    if (!stat) continue;
    if (!children.has(stat.ppid)) children.set(stat.ppid, []);
    children.get(stat.ppid).push(pid);
  }
  const out = [];
  const todo = [root];
  while (todo.length) {
    const pid = todo.pop();
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

// The descendant of `root` whose innermost pid-namespace number is `inner`
// (the pid the app shows on the page; under --sandbox strict the worker has
// its own pid namespace).
function descendantByInnerPid(root, inner) {
  for (const pid of descendantsOf(root)) {
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      const nspid = status.match(/^NSpid:\s*(.*)$/m)?.[1].trim().split(/\s+/).map(Number);
      if (pid !== root && nspid && nspid[nspid.length - 1] === inner) return pid;
    } catch {
      // gone meanwhile
    }
  }
  return null;
}

// chromium's CPU seconds by process type ("browser", "renderer", "utility"...).
function cpuByType(pids) {
  const out = {};
  for (const pid of pids) {
    let type = 'browser';
    try {
      type = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').match(/--type=([a-z-]+)/)?.[1] ?? 'browser';
      if (type === 'utility') {
        const sub = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').match(/--utility-sub-type=([a-zA-Z.]+)/)?.[1];
        if (sub) type = sub.split('.').slice(-2).join('.');
      }
    } catch {
      continue;
    }
    out[type] = (out[type] ?? 0) + (statOf(pid)?.cpu ?? 0);
  }
  return out;
}

function diffTypes(after, before) {
  return Object.entries(after).map(([type, cpu]) => `${type} ${(cpu - (before[type] ?? 0)).toFixed(2)}s`).join(', ');
}

const cpuOf = (pids) => pids.reduce((sum, pid) => sum + (statOf(pid)?.cpu ?? 0), 0);

// ---- the server ----

function startUploadServer(args) {
  return startSluice(args.sluice, args.app, [
    '--sandbox', args.sandbox, '--max-upload-mb', '200',
    ...(args['web-dir'] ? ['--web-dir', args['web-dir']] : []),
  ]);
}

// A WebSocket endpoint that reads frames and drops their payload unread
// (not even unmasked), answering "got N" once N payload bytes arrived.
function startSink() {
  // GET /: the baseline's own page, with a file input and nothing else.
  const server = http.createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end('<!doctype html><title>baseline</title><input type="file" id="bench-file">');
  });
  server.on('upgrade', (request, socket) => {
    const accept = createHash('sha1')
      .update(`${request.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
      .digest('base64');
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
                 `Sec-WebSocket-Accept: ${accept}\r\n\r\n`);
    socket.setNoDelay(true);
    let expected = 0;
    let received = 0;
    let skip = 0; // payload bytes of the current frame still to come
    let pending = Buffer.alloc(0);
    let textFrame = false;
    socket.on('data', (data) => {
      let buf = pending.length ? Buffer.concat([pending, data]) : data;
      pending = Buffer.alloc(0);
      let at = 0;
      while (at < buf.length) {
        if (skip > 0) {
          const take = Math.min(skip, buf.length - at);
          if (textFrame) {
            pending = Buffer.concat([pending, buf.subarray(at, at + take)]);
          } else {
            received += take;
          }
          skip -= take;
          at += take;
          if (skip === 0 && textFrame) {
            // The page says how many bytes to expect (masked text frame).
            const mask = pending.subarray(0, 4);
            const text = Buffer.from(pending.subarray(4).map((b, i) => b ^ mask[i % 4])).toString();
            expected = Number(text);
            pending = Buffer.alloc(0);
            textFrame = false;
          }
          if (expected > 0 && received >= expected) {
            const reply = Buffer.from(`got ${received}`);
            socket.write(Buffer.concat([Buffer.from([0x81, reply.length]), reply]));
            expected = 0;
            received = 0;
          }
          continue;
        }
        if (buf.length - at < 2) break;
        const opcode = buf[at] & 0x0f;
        let len = buf[at + 1] & 0x7f;
        let header = 2;
        if (len === 126) {
          if (buf.length - at < 4) break;
          len = buf.readUInt16BE(at + 2);
          header = 4;
        } else if (len === 127) {
          if (buf.length - at < 10) break;
          len = Number(buf.readBigUInt64BE(at + 2));
          header = 10;
        }
        if (buf.length - at < header + 4) break;
        if (opcode === 0x8) {
          socket.end();
          return;
        }
        textFrame = opcode === 0x1;
        if (textFrame) pending = Buffer.from(buf.subarray(at + header, at + header + 4));
        at += header + 4; // the mask: payload stays masked, we only count it
        skip = len;
        if (len === 0 && !textFrame) continue;
      }
      if (at < buf.length && skip === 0) pending = Buffer.concat([pending, buf.subarray(at)]);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// ---- in the page ----

async function readWholeFile(page, input) {
  return page.evaluate(async (selector) => {
    const file = document.querySelector(selector).files[0];
    const t0 = performance.now();
    const buffer = await file.arrayBuffer();
    return { ms: performance.now() - t0, bytes: buffer.byteLength };
  }, input);
}

// Sends the picked file over a plain WebSocket: 1 MiB slices, four reads
// ahead, sending while under 16 MiB are buffered.
async function rawWebSocket(page, input, sinkPort) {
  return page.evaluate(async ({ selector, port }) => {
    const file = document.querySelector(selector).files[0];
    const socket = new WebSocket(`ws://127.0.0.1:${port}/`);
    socket.binaryType = 'arraybuffer';
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = reject;
    });
    const done = new Promise((resolve) => {
      socket.onmessage = (event) => resolve(event.data);
    });
    const t0 = performance.now();
    socket.send(String(file.size));
    const slice = 1 << 20;
    const reads = [];
    let next = 0;
    const readAhead = () => {
      while (reads.length < 4 && next < file.size) {
        reads.push(file.slice(next, next + slice).arrayBuffer());
        next += slice;
      }
    };
    readAhead();
    while (reads.length) {
      const bytes = await reads.shift();
      readAhead();
      while (socket.bufferedAmount > 16 << 20) await new Promise((r) => setTimeout(r, 1));
      socket.send(bytes);
    }
    const answer = await done;
    const ms = performance.now() - t0;
    socket.close();
    return { ms, answer };
  }, { selector: input, port: sinkPort });
}

// ---- the run ----

function fmtRate(bytes, ms) {
  return `${(bytes / MiB / (ms / 1000)).toFixed(1)} MiB/s`;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function topSelfTime(profile, count) {
  const self = new Map();
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const dt = profile.timeDeltas;
  const total = dt.reduce((a, b) => a + b, 0);
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id).callFrame;
    const where = `${frame.functionName || '(anonymous)'} ${path.basename(frame.url || '')}:${frame.lineNumber + 1}`;
    self.set(where, (self.get(where) ?? 0) + (dt[i] ?? 0));
  });
  return [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, count)
    .map(([where, us]) => `    ${(100 * us / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${where}`);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const sizes = args.sizes.split(',').map(Number);
  const runs = Number(args.runs);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-upload-bench-'));
  const sluice = await startUploadServer(args);
  const sink = await startSink();
  const browser = await launchChromium();
  // chromium's processes: this script's descendants outside the server's tree.
  const serverPids = new Set(descendantsOf(sluice.child.pid));
  const chromiumPidsNow = () => descendantsOf(process.pid).filter((pid) => pid !== process.pid && !serverPids.has(pid) &&
    !descendantsOf(sluice.child.pid).includes(pid));
  const url = `http://127.0.0.1:${sluice.port}/`;
  const rows = [];
  try {
    console.log(`upload_bench: chromium ${browser.version()}, sluice serve --sandbox ${args.sandbox}, ` +
                `loopback, ${os.cpus().length} CPUs (${os.cpus()[0].model}), ${runs} runs per size, median shown`);
    for (const mib of sizes) {
      const file = path.join(dir, `upload-${mib}MiB.csv`);
      // Incompressible-looking text, written once, read from disk (page cache) by the browser.
      const fd = fs.openSync(file, 'w');
      const block = Buffer.alloc(MiB);
      for (let i = 0; i < block.length; i++) block[i] = 48 + ((i * 7919) % 43);
      for (let i = 0; i < mib; i++) fs.writeSync(fd, block);
      fs.closeSync(fd);
      const bytes = mib * MiB;
      const name = path.basename(file);
      const samples = { upload: [], read: [], ws: [], broker: [], worker: [], chromium: [] };
      for (let run = 0; run < runs; run++) {
        const context = await browser.newContext();
        const page = await context.newPage();
        page.setDefaultTimeout(120000);
        await page.goto(url, { waitUntil: 'domcontentloaded' });
        await page.getByText('attachments: 0', { exact: true }).waitFor();
        await page.waitForFunction(() => document.body.dataset.running === 'false');
        const inner = Number((await page.getByText(/^pid: \d+$/).textContent()).slice(5));
        const worker = descendantByInnerPid(sluice.child.pid, inner);
        const profiling = args.profile && run === runs - 1;
        let cdp = null;
        if (profiling) {
          cdp = await context.newCDPSession(page);
          await cdp.send('Profiler.enable');
          await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
          await cdp.send('Profiler.start');
        }
        const chromiumPids = chromiumPidsNow();
        const before = { broker: cpuOf([sluice.child.pid]), worker: worker ? cpuOf([worker]) : 0,
          chromium: cpuOf(chromiumPids) };
        const typesBefore = cpuByType(chromiumPids);
        const t0 = performance.now();
        const input = page.getByLabel('Attachments', { exact: true });
        await input.setInputFiles(file);
        await page.getByText(`attachments: 1 ${name}`, { exact: true }).waitFor();
        const ms = performance.now() - t0;
        const after = { broker: cpuOf([sluice.child.pid]), worker: worker ? cpuOf([worker]) : 0,
          chromium: cpuOf(chromiumPids) };
        console.log(`  ${mib} MiB upload, chromium CPU by process: ${diffTypes(cpuByType(chromiumPids), typesBefore)}`);
        if (cdp) {
          const { profile } = await cdp.send('Profiler.stop');
          fs.mkdirSync(args.profile, { recursive: true });
          const out = path.join(args.profile, `upload-${mib}MiB.cpuprofile`);
          fs.writeFileSync(out, JSON.stringify(profile));
          console.log(`  profile of the page, ${mib} MiB upload: ${out}; most self time:`);
          for (const line of await topSelfTime(profile, 12)) console.log(line);
        }
        samples.upload.push(ms);
        samples.broker.push(after.broker - before.broker);
        samples.worker.push(after.worker - before.worker);
        samples.chromium.push(after.chromium - before.chromium);
        // The baselines, from the same file, in a page of their own (served by the sink).
        await page.goto(`http://127.0.0.1:${sink.address().port}/`);
        const sel = '#bench-file';
        await page.setInputFiles(sel, file);
        samples.read.push((await readWholeFile(page, sel)).ms);
        const rawBefore = cpuByType(chromiumPidsNow());
        const raw = await rawWebSocket(page, sel, sink.address().port);
        console.log(`  ${mib} MiB raw WebSocket, chromium CPU by process: ${diffTypes(cpuByType(chromiumPidsNow()), rawBefore)}`);
        if (raw.answer !== `got ${bytes}`) throw new Error(`sink answered ${raw.answer}`);
        samples.ws.push(raw.ms);
        await context.close();
      }
      const per = (seconds) => `${(1000 * median(seconds) / mib).toFixed(2)} ms`;
      rows.push([`upload ${mib} MiB (setInputFiles -> app shows it)`, fmtRate(bytes, median(samples.upload)),
        `${(median(samples.upload) / 1000).toFixed(2)} s`]);
      rows.push([`  baseline: page reads the file (File.arrayBuffer)`, fmtRate(bytes, median(samples.read)),
        `${(median(samples.read) / 1000).toFixed(2)} s`]);
      rows.push([`  baseline: raw WebSocket to a discarding sink`, fmtRate(bytes, median(samples.ws)),
        `${(median(samples.ws) / 1000).toFixed(2)} s`]);
      rows.push([`  CPU per MiB: broker / worker / chromium (all)`,
        `${per(samples.broker)} / ${per(samples.worker)} / ${per(samples.chromium)}`, '']);
      rows.push([`  upload runs`, samples.upload.map((ms) => fmtRate(bytes, ms)).join(', '), '']);
      fs.rmSync(file);
    }
  } finally {
    await browser.close().catch(() => {});
    sink.close();
    sluice.child.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`${'measured'.padEnd(52)} ${'rate'.padStart(30)}   time`);
  for (const [what, rate, time] of rows) console.log(`${what.padEnd(52)} ${rate.padStart(30)}   ${time}`);
}

await main();
