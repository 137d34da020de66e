// Builds the browser client into an output directory (default ../static).
// Every option is fixed and nothing time- or path-dependent reaches the
// output, so a rebuild from the same lockfile is byte-identical; CI checks
// that with `scripts/web.sh --check`.
import { build } from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] ?? join(here, '..', 'static'));

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });

await build({
  absWorkingDir: here,
  entryPoints: ['src/main.js'],
  outfile: join(out, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome111', 'firefox117', 'safari16.4'],
  minify: true,
  sourcemap: false,
  legalComments: 'eof',
  charset: 'utf8',
  logLevel: 'warning',
});

// The E2EE worker runs as its own script; livekit-client ships it built.
await copyFile(join(here, 'node_modules/livekit-client/dist/livekit-client.e2ee.worker.mjs'),
  join(out, 'livekit-client.e2ee.worker.mjs'));
for (const f of ['index.html', 'app.css']) {
  await copyFile(join(here, 'src', f), join(out, f));
}

// The browser join benchmark's floor page (not part of the product), when
// a second directory is given.
if (process.argv[3]) {
  const floor = resolve(process.argv[3]);
  await rm(floor, { recursive: true, force: true });
  await mkdir(floor, { recursive: true });
  await build({
    absWorkingDir: here,
    entryPoints: ['bench/floor.js'],
    outfile: join(floor, 'floor.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome111'],
    minify: true,
    sourcemap: false,
    legalComments: 'eof',
    charset: 'utf8',
    logLevel: 'warning',
  });
  // The worker is the product's (internal/web/static); the benchmark
  // serves it from there.
  await copyFile(join(here, 'bench/floor.html'), join(floor, 'floor.html'));
}
