#!/usr/bin/env node
/**
 * Builds build/rds-leak-exporter-<version>-x64.msi on Linux (npm run build:msi):
 *   1. the single executable: scripts/sea/build-exe.mjs --if-stale (rebuilt only when its inputs changed;
 *      --reuse-exe takes build/rds-leak-exporter.exe as it is);
 *   2. stages it with THIRD-PARTY-NOTICES.txt, packaging/config.yaml and a README.txt in build/msi-stage-<pid>/, next
 *      to a copy of packaging/msi/rds-leak-exporter.wxs (wixl wants Source paths relative);
 *   3. wixl -a x64 (Debian package `wixl`) compiles the MSI;
 *   4. msibuild (Debian package `msitools`, the same source as wixl) adds what wixl 0.101 cannot express:
 *      the config component's Permanent and NeverOverwrite attributes, and the RemoveFile rows that delete
 *      koffi's addon the executable extracts at run time (src/sea/native-addon.ts; its exact name comes
 *      from <exe dir>/sea/koffi.json and dist/src/sea/native-addon.js, so npm run build comes first);
 *   5. signs it with osslsigncode when RDSLEAK_SIGN_CERT/RDSLEAK_SIGN_KEY are set (scripts/sign/authenticode.mjs).
 * Options: --reuse-exe (take build/rds-leak-exporter.exe as it is), --exe PATH (another executable, with
 * THIRD-PARTY-NOTICES.txt beside it), --version X.Y.Z (instead of package.json's: the upgrade test builds a
 * newer one), --out DIR (instead of build/). Prints the path of the MSI on its last line.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { signIfConfigured } from '../sign/authenticode.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BUILD = join(ROOT, 'build');
/** The staging folder, one per run (a test may build a second MSI while another build runs). */
const STAGE = join(BUILD, `msi-stage-${process.pid}`);
const WXS = join(ROOT, 'packaging', 'msi', 'rds-leak-exporter.wxs');

/** Component attribute bits (Windows Installer Component table). */
const PERMANENT = 0x10;
const NEVER_OVERWRITE = 0x80;
/** Components that hold the administrator's config: created once, kept on upgrade and uninstall. */
const CONFIG_COMPONENTS = ['Config'];
/**
 * Files the executable writes at run time, deleted on uninstall (RemoveFile InstallMode 2): koffi's
 * addon and the temporary file of an interrupted extraction, next to the executable (its first choice)
 * and in the data directory (its fallback). Windows Installer expands wildcards in RemoveFile; Wine's
 * msi does not (it calls DeleteFile with the pattern), so this version's exact addon name is listed too.
 */
function removeFiles(addonName) {
  return [
    ['ExtractedAddon', 'Executable', addonName, 'INSTALLDIR'],
    ['ExtractedAddons', 'Executable', 'koffi-*.node', 'INSTALLDIR'],
    ['ExtractedAddonTemp', 'Executable', 'koffi-*.tmp', 'INSTALLDIR'],
    ['ExtractedAddonData', 'ConfigDirCleanup', addonName, 'CONFIGDIR'],
    ['ExtractedAddonsData', 'ConfigDirCleanup', 'koffi-*.node', 'CONFIGDIR'],
    ['ExtractedAddonDataTemp', 'ConfigDirCleanup', 'koffi-*.tmp', 'CONFIGDIR'],
  ];
}

/**
 * The file name the executable extracts koffi's addon to (src/sea/native-addon.ts addonFileName), from
 * the manifest build-exe.mjs embedded: <exe dir>/sea/koffi.json.
 */
async function extractedAddonName(exe) {
  const manifestFile = join(dirname(exe), 'sea', 'koffi.json');
  if (!existsSync(manifestFile)) die(`${manifestFile} is missing: it is written by scripts/sea/build-exe.mjs next to the executable`);
  const nativeAddon = join(ROOT, 'dist', 'src', 'sea', 'native-addon.js');
  if (!existsSync(nativeAddon)) die(`${nativeAddon} is missing: run npm run build first`);
  const { addonFileName } = await import(pathToFileURL(nativeAddon).href);
  return addonFileName(JSON.parse(readFileSync(manifestFile, 'utf8')));
}

const say = (msg) => process.stderr.write(`[build-msi] ${msg}\n`);
function die(msg) {
  process.stderr.write(`[build-msi] ERROR: ${msg}\n`);
  process.exit(1);
}

function run(command, args, options = {}) {
  const r = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
  if (r.error) die(`${command}: ${r.error.message}${r.error.code === 'ENOENT' ? ` (Debian: apt-get install ${command === 'wixl' ? 'wixl' : command.startsWith('msi') ? 'msitools' : command})` : ''}`);
  if (r.status !== 0) die(`${command} ${args.join(' ')} failed (exit ${r.status}):\n${`${r.stderr}${r.stdout}`.trim().slice(-3000)}`);
  return r.stdout;
}

/** MSI ProductVersion: major.minor.build, each numeric (a prerelease suffix is dropped). */
export function productVersion(version) {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m || Number(m[1]) > 255 || Number(m[2]) > 255 || Number(m[3]) > 65535) throw new Error(`package.json version ${version} cannot be an MSI ProductVersion (major.minor.build, at most 255.255.65535)`);
  return `${m[1]}.${m[2]}.${m[3]}`;
}

function argument(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Stages the files; returns whether the Event Log message DLL (npm run build:messages) is included. */
function stage(version, exe) {
  rmSync(STAGE, { recursive: true, force: true });
  mkdirSync(STAGE, { recursive: true });
  const messagesDll = join(dirname(exe), 'rds-leak-exporter-messages.dll');
  const withMessages = existsSync(messagesDll);
  if (withMessages) copyFileSync(messagesDll, join(STAGE, 'rds-leak-exporter-messages.dll'));
  for (const [from, to] of [
    [exe, 'rds-leak-exporter.exe'],
    [join(dirname(exe), 'THIRD-PARTY-NOTICES.txt'), 'THIRD-PARTY-NOTICES.txt'],
    [join(ROOT, 'packaging', 'config.yaml'), 'config.yaml'],
    [WXS, 'rds-leak-exporter.wxs'],
  ]) {
    if (!existsSync(from)) die(`${from} is missing`);
    copyFileSync(from, join(STAGE, to));
  }
  writeFileSync(
    join(STAGE, 'README.txt'),
    [
      `rds-leak-exporter ${version}`,
      '',
      'Prometheus exporter for leaked access-token handles and zombie logon sessions on Windows RDS / Citrix hosts.',
      'Service: rds-leak-exporter (LocalSystem). Configuration: %ProgramData%\\rds-leak-exporter\\config.yaml',
      'Metrics: http://<host>:10189/metrics (MSI property LISTEN_ADDRESS).',
      'Documentation: docs/install-windows.md in the release zip or the source repository.',
      '',
    ].join('\r\n'),
  );
  return withMessages;
}

/** The Component table as rows of tab-separated fields (msiinfo export). */
function componentAttributes(msi) {
  const rows = run('msiinfo', ['export', msi, 'Component']).split(/\r?\n/).slice(3).filter(Boolean).map((l) => l.split('\t'));
  return new Map(rows.map((r) => [r[0], Number(r[3])]));
}

function postProcess(msi, addonName) {
  const removeRows = removeFiles(addonName);
  const attributes = componentAttributes(msi);
  // wixl writes a leading "#" as "##" (a literal), so REG_EXPAND_SZ ("#%" prefix) is set here.
  const queries = [`UPDATE \`Registry\` SET \`Value\` = '#%[#MessagesDll]' WHERE \`Name\` = 'EventMessageFile'`];
  for (const component of CONFIG_COMPONENTS) {
    const current = attributes.get(component);
    if (current === undefined) die(`the MSI has no component ${component}`);
    queries.push(`UPDATE \`Component\` SET \`Attributes\` = ${current | PERMANENT | NEVER_OVERWRITE} WHERE \`Component\` = '${component}'`);
  }
  for (const [, component] of removeRows) if (!attributes.has(component)) die(`RemoveFile refers to a missing component ${component}`);
  const idt = ['FileKey\tComponent_\tFileName\tDirProperty\tInstallMode', 's72\ts72\tL255\ts72\ti2', 'RemoveFile\tFileKey', ...removeRows.map((r) => `${r.join('\t')}\t2`)];
  writeFileSync(join(STAGE, 'RemoveFile.idt'), `${idt.join('\r\n')}\r\n`);
  run('msibuild', [msi, '-i', 'RemoveFile.idt'], { cwd: STAGE });
  for (const q of queries) run('msibuild', [msi, '-q', q], { cwd: STAGE });
  // Read back: a silent no-op of msibuild must not ship.
  const after = componentAttributes(msi);
  for (const component of CONFIG_COMPONENTS) if (((after.get(component) ?? 0) & (PERMANENT | NEVER_OVERWRITE)) !== (PERMANENT | NEVER_OVERWRITE)) die(`${component} is not Permanent+NeverOverwrite after msibuild`);
  const written = run('msiinfo', ['export', msi, 'RemoveFile']).split(/\r?\n/).slice(3).filter(Boolean);
  if (written.length !== removeRows.length) die(`RemoveFile has ${written.length} rows after msibuild, expected ${removeRows.length}`);
}

async function main() {
  const started = Date.now();
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const fullVersion = argument('--version') ?? pkg.version;
  const version = productVersion(fullVersion);
  const exe = resolve(argument('--exe') ?? join(BUILD, 'rds-leak-exporter.exe'));
  const out = resolve(argument('--out') ?? BUILD);
  if (argument('--exe') === undefined && (!process.argv.includes('--reuse-exe') || !existsSync(exe))) {
    say('building the executable (scripts/sea/build-exe.mjs --if-stale)');
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'sea', 'build-exe.mjs'), '--if-stale'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) die(`scripts/sea/build-exe.mjs failed (exit ${r.status})`);
  }
  // The Event Log message DLL (npm run build:messages, from the service support) goes next to the executable.
  const messagesScript = join(ROOT, 'scripts', 'eventlog', 'build-message-dll.sh');
  if (argument('--exe') === undefined && existsSync(messagesScript) && !existsSync(join(dirname(exe), 'rds-leak-exporter-messages.dll'))) {
    say('building the Event Log message DLL (scripts/eventlog/build-message-dll.sh)');
    const r = spawnSync('bash', [messagesScript], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) die(`scripts/eventlog/build-message-dll.sh failed (exit ${r.status})`);
  }
  const withMessages = stage(version, exe);
  const name = `rds-leak-exporter-${fullVersion}-x64.msi`;
  say(`wixl -a x64 ${name}${withMessages ? ' (with the Event Log message DLL)' : ' (no rds-leak-exporter-messages.dll beside the executable: no Event Log source)'}`);
  run('wixl', ['-a', 'x64', '-D', `Version=${version}`, ...(withMessages ? ['-D', 'MessagesDll=1'] : []), '-o', name, 'rds-leak-exporter.wxs'], { cwd: STAGE });
  postProcess(join(STAGE, name), await extractedAddonName(exe));
  if (signIfConfigured(join(STAGE, name))) say(`signed ${name} with osslsigncode`);
  mkdirSync(out, { recursive: true });
  const output = join(out, name);
  renameSync(join(STAGE, name), output);
  rmSync(STAGE, { recursive: true, force: true });
  say(`${output}: ${(statSync(output).size / 1048576).toFixed(1)} MiB in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.stdout.write(`${output}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main().catch((e) => die(e instanceof Error ? e.stack ?? e.message : String(e)));
