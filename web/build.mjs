// Builds the page: Cap'n Proto bindings from ipc/page.capnp, one bundled ES
// module, and the static files beside it.
//
//   node build.mjs [--out DIR]        (or SLUICE_WEB_OUT=DIR; default web/dist)
//
// Optional environment: CAPNP (the capnp binary, default "capnp"),
// CAPNP_INCLUDE (an extra import dir for "/capnp/c++.capnp").
// The bindings go to web/generated/, which must sit under web/ so that the
// capnp-es plugin (which type-checks what it emits) resolves "capnp-es" from
// web/node_modules.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const webDir = dirname(fileURLToPath(import.meta.url));
const ipcDir = resolve(webDir, '..', 'ipc');
const genDir = join(webDir, 'generated');
const srcDir = join(webDir, 'src');

function outDirFromArgs(argv) {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && i + 1 < argv.length) return argv[i + 1];
    if (argv[i].startsWith('--out=')) return argv[i].slice('--out='.length);
  }
  return process.env.SLUICE_WEB_OUT || join(webDir, 'dist');
}

function generateBindings() {
  rmSync(genDir, { recursive: true, force: true });
  mkdirSync(genDir, { recursive: true });
  const plugin = join(webDir, 'node_modules', '.bin', 'capnpc-js');
  const args = ['compile', `--src-prefix=${ipcDir}`, `-o${plugin}:${genDir}`];
  if (process.env.CAPNP_INCLUDE) args.push(`-I${process.env.CAPNP_INCLUDE}`);
  args.push(join(ipcDir, 'page.capnp'));
  execFileSync(process.env.CAPNP || 'capnp', args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

async function bundle(outDir) {
  mkdirSync(outDir, { recursive: true });
  await esbuild.build({
    absWorkingDir: webDir,
    entryPoints: [join(srcDir, 'main.js')],
    outfile: join(outDir, 'app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    legalComments: 'eof',
    logLevel: 'warning',
  });
  for (const name of ['index.html', 'style.css']) {
    copyFileSync(join(srcDir, name), join(outDir, name));
  }
}

const outDir = resolve(outDirFromArgs(process.argv.slice(2)));
try {
  generateBindings();
  await bundle(outDir);
  console.log(`sluice web: built ${outDir}`);
} catch (err) {
  console.error(`sluice web: build failed: ${err.message}`);
  process.exit(1);
}
