// Starts `sluice serve` for a Chromium bench on a free loopback port and
// resolves once it logs that it listens: { child, port, output() }.
import { spawn } from 'node:child_process';

/** sluice: the binary; app: the .so; flags: more serve flags; env: more environment. */
export function startSluice(sluice, app, flags = [], env = {}) {
  const child = spawn(sluice, ['serve', app, '--host', '127.0.0.1', '--port', '0', ...flags], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (data) => {
      output += data;
      const port = output.match(/"event"\s*:\s*"listening".*?"port"\s*:\s*(\d+)/)?.[1];
      if (port) resolve({ child, port: Number(port), output: () => output });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`sluice exited (${code}) before listening:\n${output}`)));
  });
}
