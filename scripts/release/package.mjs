#!/usr/bin/env node
/**
 * The release zip (npm run package): build/rds-leak-exporter-<version>-windows-x64.zip holding, under a
 * folder of the same name, the single executable, the MSI, THIRD-PARTY-NOTICES.txt, the documented
 * config.yaml (as config.example.yaml), the dashboards, the alert and recording rules, the Kubernetes
 * manifests, Dockerfile.windows, README.md and docs/, and SHA256SUMS over all of them (checked with
 * `sha256sum -c SHA256SUMS` in the unpacked folder, or Get-FileHash on Windows). The zip's own SHA-256
 * goes to <zip>.sha256 beside it.
 *   node scripts/release/package.mjs                 builds what is missing or stale first (build-msi.mjs)
 *   node scripts/release/package.mjs --no-build      packs build/ as it is
 *   --from DIR  take the exe, MSI and notices from DIR instead of build/;  --out DIR  write the zip there
 * Prints the path of the zip on its last line.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import yazl from 'yazl';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const say = (msg) => process.stderr.write(`[package] ${msg}\n`);
function die(msg) {
  process.stderr.write(`[package] ERROR: ${msg}\n`);
  process.exit(1);
}

function argument(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Files under `dir` (relative to ROOT), recursively, sorted; `keep` filters by file name. */
function filesUnder(dir, keep = () => true) {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && keep(e.name))
    .map((e) => relative(ROOT, join(e.parentPath ?? e.path, e.name)).split('\\').join('/'))
    .sort();
}

/** [path in the zip, file on disk] for everything the release holds, sorted by path in the zip. */
export function releaseContents(version, from) {
  const built = [
    ['rds-leak-exporter.exe', join(from, 'rds-leak-exporter.exe')],
    [`rds-leak-exporter-${version}-x64.msi`, join(from, `rds-leak-exporter-${version}-x64.msi`)],
    ['THIRD-PARTY-NOTICES.txt', join(from, 'THIRD-PARTY-NOTICES.txt')],
  ];
  const fromRepo = [
    ['config.example.yaml', 'packaging/config.yaml'],
    ['README.md', 'README.md'],
    ['Dockerfile.windows', 'Dockerfile.windows'],
    ...filesUnder('docs', (n) => n.endsWith('.md')).map((f) => [f, f]),
    ...filesUnder('dashboards', (n) => n.endsWith('.json')).map((f) => [f, f]),
    ...['alerts/rds-leak-alerts.yml', 'alerts/rds-leak-rules.yml', 'alerts/alertmanager.example.yml'].map((f) => [f, f]),
    ...filesUnder('deploy/kubernetes', (n) => n.endsWith('.yaml')).map((f) => [f, f]),
  ].map(([inZip, file]) => [inZip, join(ROOT, file)]);
  return [...built, ...fromRepo].sort((a, b) => a[0].localeCompare(b[0]));
}

async function sha256File(file) {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

async function main() {
  const started = Date.now();
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const from = resolve(argument('--from') ?? join(ROOT, 'build'));
  const out = resolve(argument('--out') ?? join(ROOT, 'build'));
  if (!process.argv.includes('--no-build') && argument('--from') === undefined) {
    say('building the MSI (and the executable if stale): scripts/msi/build-msi.mjs');
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'msi', 'build-msi.mjs')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) die(`scripts/msi/build-msi.mjs failed (exit ${r.status})`);
  }
  const contents = releaseContents(version, from);
  for (const [, file] of contents) if (!existsSync(file)) die(`${file} is missing (run npm run build:msi, or drop --no-build)`);

  const top = `rds-leak-exporter-${version}-windows-x64`;
  const sums = [];
  for (const [inZip, file] of contents) sums.push(`${await sha256File(file)}  ${inZip}`);
  const sumsText = `${sums.join('\n')}\n`;

  mkdirSync(out, { recursive: true });
  const zipPath = join(out, `${top}.zip`);
  const temporary = `${zipPath}.tmp`;
  const zip = new yazl.ZipFile();
  // A fixed date: the same inputs give the same zip.
  const mtime = new Date('2000-01-01T00:00:00Z');
  for (const [inZip, file] of contents) zip.addFile(file, `${top}/${inZip}`, { mtime, mode: 0o100644 });
  zip.addBuffer(Buffer.from(sumsText), `${top}/SHA256SUMS`, { mtime, mode: 0o100644 });
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(temporary));
  renameSync(temporary, zipPath);
  writeFileSync(`${zipPath}.sha256`, `${await sha256File(zipPath)}  ${top}.zip\n`);
  say(`${zipPath}: ${contents.length + 1} files, ${(statSync(zipPath).size / 1048576).toFixed(1)} MiB in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.stdout.write(`${zipPath}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main().catch((e) => die(e instanceof Error ? e.stack ?? e.message : String(e)));
