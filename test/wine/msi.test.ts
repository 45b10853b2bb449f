/**
 * The MSI under Wine 8 (npm run test:wine): builds build/rds-leak-exporter-<version>-x64.msi (npm run
 * build:msi; the executable is rebuilt only when stale), then in a fresh Wine prefix of its own, kept alive
 * with `wineserver -p` (a service dies with the wineserver otherwise) and with a 60 s service start timeout
 * (ServicesPipeTimeout; Wine's default is 10 s):
 *   msiexec /i ... /qn LISTEN_ADDRESS=127.0.0.1:<port>  -> files, config, registry, service registered,
 *   the SCM reports RUNNING and /metrics answers; `sc stop` stops it; msiexec /x while it runs removes the
 *   service and every program file, koffi's run-time extracted addon included, and keeps the config; a
 *   newer MSI upgrades in place and keeps an edited config.
 * The steps that need the executable to talk to the Service Control Manager (StartServiceCtrlDispatcherW)
 * run as `it.fails` while the executable cannot (today's main: the service branch adds it); they run as
 * plain `it` as soon as src/ contains the dispatcher call. Loopback only.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../fixtures/agent-process.js';
import { REPO_ROOT, setupWine, waitFor, winPath, type WineEnv } from '../../bench/wine-harness.js';

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
const SERVICE = 'rds-leak-exporter';

let wine: WineEnv;
let dir: string;
let env: NodeJS.ProcessEnv;
let msi: string;
let port: number;
let prefixCreated = false;
/**
 * Whether the executable can be a service: decided when the tests are collected, from the sources the
 * executable is built from (beforeAll checks that the built executable agrees).
 */
function sourcesHaveDispatcher(directory: string): boolean {
  return readdirSync(directory, { recursive: true, withFileTypes: true }).some(
    (e) => e.isFile() && e.name.endsWith('.ts') && readFileSync(join(e.parentPath, e.name), 'utf8').includes(DISPATCHER),
  );
}
/** RDSLEAK_MSI_TEST_EXE: package that executable (with its THIRD-PARTY-NOTICES.txt) instead of building one. */
const OTHER_EXE = process.env.RDSLEAK_MSI_TEST_EXE;
const BUILT_EXE = OTHER_EXE ?? join(REPO_ROOT, 'build', 'rds-leak-exporter.exe');
const DISPATCHER = 'StartServiceCtrlDispatcherW';
/** The MSI registers the Event Log source when the message DLL lies next to the executable (build:messages). */
const EVENT_SOURCE_KEY = `HKLM\\System\\CurrentControlSet\\Services\\EventLog\\Application\\rds-leak-exporter`;
let withMessages = false;
const serviceCapable = OTHER_EXE ? readFileSync(OTHER_EXE).includes(Buffer.from(DISPATCHER)) : sourcesHaveDispatcher(join(REPO_ROOT, 'src'));
const timings: Record<string, number> = {};

/** `it` when the built executable can be a service, else `it.fails` (the step must fail today). */
const needsService = (name: string, fn: () => Promise<void> | void, timeout?: number): void => {
  // needs the service branch (StartServiceCtrlDispatcherW in the executable)
  (serviceCapable ? it : it.fails)(name, fn, timeout);
};

const programFiles = (): string => join(dir, 'prefix', 'drive_c', 'Program Files', SERVICE);
const programData = (): string => join(dir, 'prefix', 'drive_c', 'ProgramData', SERVICE);

/** Runs a Windows program under Wine to its end; output through files (Wine and pipes do not mix well). */
function wineRun(args: string[], name: string, timeoutMs = 180_000): { status: number | null; stdout: string; stderr: string; ms: number } {
  const started = Date.now();
  const stdoutFile = join(dir, `${name}.stdout`);
  const stderrFile = join(dir, `${name}.stderr`);
  const r = spawnSync('bash', ['-c', 'exec "$0" "$@" </dev/null >"$OUT" 2>"$ERR"', wine.wine, ...args], { env: { ...env, OUT: stdoutFile, ERR: stderrFile }, timeout: timeoutMs });
  const read = (f: string): string => (existsSync(f) ? readFileSync(f, 'utf8') : '');
  return { status: r.status, stdout: read(stdoutFile), stderr: read(stderrFile), ms: Date.now() - started };
}

/** msiexec's verbose log (UTF-16 or ASCII, depending on the Wine version). */
function msiLog(name: string): string {
  const file = join(dir, `${name}.log`);
  if (!existsSync(file)) return '';
  const bytes = readFileSync(file);
  return bytes[0] === 0xff && bytes[1] === 0xfe ? bytes.toString('utf16le') : bytes.toString('latin1');
}

function msiexec(args: string[], name: string): { status: number | null; log: string; ms: number } {
  const r = wineRun(['msiexec', ...args, '/qn', '/l*v', winPath(join(dir, `${name}.log`))], name, 240_000);
  return { status: r.status, log: msiLog(name), ms: r.ms };
}

/** The registry key's values as name -> data (`reg query`), or null when the key does not exist. */
function regValues(key: string): Map<string, string> | null {
  const r = wineRun(['reg', 'query', key], `reg-${Date.now()}`);
  if (r.status !== 0) return null;
  const values = new Map<string, string>();
  for (const line of r.stdout.split(/\r?\n/)) {
    const m = /^\s+(\S.*?)\s+(REG_\w+)\s+(.*)$/.exec(line);
    if (m) values.set(m[1]!, m[3]!.trim());
  }
  return values;
}

/** The service state from `sc query` (RUNNING, STOPPED, ...), or null when there is no such service. */
function serviceState(): string | null {
  const r = wineRun(['sc', 'query', SERVICE], `sc-query-${Date.now()}`);
  return /STATE\s*:\s*\d+\s+(\w+)/.exec(r.stdout)?.[1] ?? null;
}

async function scrape(): Promise<string | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(20_000) });
    return res.status === 200 ? await res.text() : null;
  } catch {
    return null;
  }
}

function buildMsi(extra: string[] = []): string {
  const started = Date.now();
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'msi', 'build-msi.mjs'), ...extra], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`scripts/msi/build-msi.mjs failed (exit ${r.status}):\n${r.stderr}`);
  timings[`build-msi ${extra.join(' ')}`.trim()] = Date.now() - started;
  return r.stdout.trim().split('\n').at(-1)!;
}

beforeAll(async () => {
  try {
    wine = setupWine();
  } catch {
    wine = setupWine(); // once more: a concurrent test:wine may end the shared prefix's wineserver
  }
  dir = mkdtempSync(join(tmpdir(), 'rdsleak-msi-'));
  msi = buildMsi(OTHER_EXE ? ['--exe', OTHER_EXE, '--out', join(dir, 'build')] : []);
  expect(msi.endsWith(`rds-leak-exporter-${pkg.version}-x64.msi`)).toBe(true);
  withMessages = existsSync(join(BUILT_EXE, '..', 'rds-leak-exporter-messages.dll'));
  // The dispatcher call is in the bundle (plain text inside the SEA blob) exactly when the sources have it.
  expect(readFileSync(BUILT_EXE).includes(Buffer.from(DISPATCHER))).toBe(serviceCapable);
  const prefix = join(dir, 'prefix');
  mkdirSync(prefix);
  env = { ...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' };
  delete env.NODE_SKIP_PLATFORM_CHECK;
  delete env.RDSLEAK_NATIVE_DIR;
  prefixCreated = true;
  const started = Date.now();
  expect(wineRun(['wineboot', '--init'], 'wineboot').status).toBe(0);
  expect(wineRun(['reg', 'add', 'HKCU\\Software\\Wine', '/v', 'Version', '/d', 'win10', '/f'], 'reg-win10').status).toBe(0);
  // Read by Wine's services.exe as a string, when it starts: hence before the restart below.
  expect(wineRun(['reg', 'add', 'HKLM\\System\\CurrentControlSet\\Control', '/v', 'ServicesPipeTimeout', '/t', 'REG_SZ', '/d', '60000', '/f'], 'reg-timeout').status).toBe(0);
  spawnSync(wine.wineserver, ['-w'], { env, timeout: 120_000 });
  // Persistent: the service must not die when the last ordinary Wine process exits.
  expect(spawnSync(wine.wineserver, ['-p'], { env, timeout: 60_000 }).status).toBe(0);
  timings['fresh prefix'] = Date.now() - started;
  port = await freePort();
}, 600_000);

afterAll(() => {
  if (prefixCreated) {
    wineRun(['sc', 'stop', SERVICE], 'sc-stop-final', 60_000);
    spawnSync(wine.wineserver, ['-k'], { env, timeout: 60_000 });
  }
  process.stderr.write(`[msi.test] timings (ms): ${JSON.stringify(timings)}; executable is a service: ${serviceCapable}\n`);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('MSI under Wine', () => {
  it('is an MSI of this version, with the Permanent+NeverOverwrite config, the RemoveFile rows and the sequence wixl cannot express', () => {
    const tables = (table: string): string[][] => {
      const r = spawnSync('msiinfo', ['export', msi, table], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.split(/\r?\n/).slice(3).filter(Boolean).map((l) => l.split('\t'));
    };
    const property = new Map(tables('Property').map((r) => [r[0], r[1]]));
    expect(property.get('ProductVersion')).toBe(pkg.version.replace(/[-+].*$/, ''));
    expect(property.get('UpgradeCode')).toBe('{6B990487-1A20-4222-810E-85EBE00A428A}');
    expect(property.get('LISTEN_ADDRESS')).toBe(':10189');
    const config = tables('Component').find((r) => r[0] === 'Config')!;
    expect(Number(config[3]) & 0x90, 'Permanent (0x10) and NeverOverwrite (0x80)').toBe(0x90);
    // Wildcards for real Windows, the exact name for Wine (whose msi does not expand them).
    const koffi = JSON.parse(readFileSync(join(BUILT_EXE, '..', 'sea', 'koffi.json'), 'utf8')) as { version: string; sha256: string };
    const addon = `koffi-${koffi.version}-${koffi.sha256.slice(0, 12)}.node`;
    expect(tables('RemoveFile').map((r) => `${r[2]} ${r[3]} ${r[4]}`).sort()).toEqual(
      [`${addon} CONFIGDIR 2`, `${addon} INSTALLDIR 2`, 'koffi-*.node CONFIGDIR 2', 'koffi-*.node INSTALLDIR 2', 'koffi-*.tmp CONFIGDIR 2', 'koffi-*.tmp INSTALLDIR 2'].sort(),
    );
    const service = tables('ServiceInstall')[0]!;
    expect(service[1]).toBe(SERVICE);
    expect(service[8]).toBe('LocalSystem'); // StartName
    expect(service.join('\t')).toContain('serve --config.file "[CONFIG_FILE]" --web.listen-address=[LISTEN_ADDRESS] [EXTRA_FLAGS]');
    // Deferred custom actions must sit between InstallInitialize and InstallFinalize, after InstallServices.
    const sequence = new Map(tables('InstallExecuteSequence').map((r) => [r[0], Number(r[2])]));
    for (const action of ['DefaultConfigFile', 'FindScExe', 'FindNetshExe', 'FindTaskkillExe']) {
      expect(sequence.get(action), action).toBeGreaterThan(sequence.get('CostFinalize')!);
      expect(sequence.get(action), action).toBeLessThan(sequence.get('InstallValidate')!);
    }
    expect(sequence.get('EndStoppedServiceProcess')).toBeGreaterThan(sequence.get('StopServices')!);
    expect(sequence.get('EndStoppedServiceProcess')).toBeLessThan(sequence.get('RemoveFiles')!);
    for (const action of ['ServiceDelayedStart', 'ServiceFailureActions', 'ServiceFailureFlag', 'FirewallRuleDelete', 'FirewallRuleAdd']) {
      expect(sequence.get(action), action).toBeGreaterThan(sequence.get('InstallServices')!);
      expect(sequence.get(action), action).toBeLessThan(sequence.get('InstallFinalize')!);
    }
  });

  needsService('msiexec /i /qn installs the files, the config and the service, which the SCM reports RUNNING, and /metrics answers on LISTEN_ADDRESS', async () => {
    const install = msiexec(['/i', winPath(msi), `LISTEN_ADDRESS=127.0.0.1:${port}`], 'install');
    timings['msiexec /i'] = install.ms;
    expect(install.status, install.log.slice(-3000)).toBe(0);
    expect(existsSync(join(programFiles(), 'rds-leak-exporter.exe'))).toBe(true);
    expect(readFileSync(join(programData(), 'config.yaml'), 'utf8')).toBe(readFileSync(join(REPO_ROOT, 'packaging', 'config.yaml'), 'utf8'));
    const marker = regValues('HKLM\\SOFTWARE\\rds-leak-exporter');
    expect(marker?.get('InstalledBy')).toBe('msi');
    expect(marker?.get('ConfigFile')).toBe('C:\\ProgramData\\rds-leak-exporter\\config.yaml');
    const registered = regValues(`HKLM\\System\\CurrentControlSet\\Services\\${SERVICE}`);
    expect(registered?.get('ImagePath')).toContain(`rds-leak-exporter.exe serve --config.file "C:\\ProgramData\\rds-leak-exporter\\config.yaml" --web.listen-address=127.0.0.1:${port}`);
    expect(registered?.get('ObjectName')).toBe('LocalSystem');
    expect(registered?.get('Start')).toBe('0x2'); // SERVICE_AUTO_START
    if (withMessages) {
      const source = regValues(EVENT_SOURCE_KEY);
      expect(source?.get('EventMessageFile')).toBe('C:\\Program Files\\rds-leak-exporter\\rds-leak-exporter-messages.dll');
      expect(source?.get('TypesSupported')).toBe('0x7');
    }
    await waitFor('the service RUNNING', 60_000, () => (serviceState() === 'RUNNING' ? true : null));
    const body = await waitFor('/metrics from the service', 90_000, scrape);
    expect(body).toMatch(new RegExp(`^rdsleak_build_info\\{[^}]*version="${pkg.version.replace(/\./g, '\\.')}"[^}]*\\} 1$`, 'm'));
    expect(body).toMatch(/^rdsleak_collector_success\{collector="handles"\} 1$/m);
    // The Windows source extracted koffi's addon next to the executable: the uninstall must remove it.
    expect(readdirSync(programFiles()).some((f) => /^koffi-.*\.node$/.test(f))).toBe(true);
  }, 600_000);

  needsService('sc stop stops the service within its wait hint; sc start starts it again', async () => {
    const started = Date.now();
    const stop = wineRun(['sc', 'stop', SERVICE], 'sc-stop');
    expect(stop.status, stop.stdout + stop.stderr).toBe(0);
    await waitFor('the service STOPPED', 15_000, () => (serviceState() === 'STOPPED' ? true : null));
    timings['sc stop -> STOPPED'] = Date.now() - started;
    expect(await scrape()).toBeNull();
    expect(wineRun(['sc', 'start', SERVICE], 'sc-start').status).toBe(0);
    await waitFor('the service RUNNING again', 60_000, () => (serviceState() === 'RUNNING' ? true : null));
    expect(await waitFor('/metrics again', 90_000, scrape)).toContain('rdsleak_build_info');
  }, 300_000);

  needsService('a newer MSI upgrades in place: one product, the service running the new files, the edited config kept', async () => {
    const edited = `${readFileSync(join(programData(), 'config.yaml'), 'utf8')}\n# edited by the administrator\n`;
    writeFileSync(join(programData(), 'config.yaml'), edited);
    const [major, minor, patch] = pkg.version.replace(/[-+].*$/, '').split('.').map(Number) as [number, number, number];
    const newer = buildMsi([...(OTHER_EXE ? ['--exe', OTHER_EXE] : ['--reuse-exe']), '--version', `${major}.${minor}.${patch + 1}`, '--out', join(dir, 'newer')]);
    const upgrade = msiexec(['/i', winPath(newer), `LISTEN_ADDRESS=127.0.0.1:${port}`], 'upgrade');
    timings['msiexec /i (upgrade)'] = upgrade.ms;
    expect(upgrade.status, upgrade.log.slice(-3000)).toBe(0);
    expect(regValues('HKLM\\SOFTWARE\\rds-leak-exporter')?.get('Version')).toBe(`${major}.${minor}.${patch + 1}`);
    expect(readFileSync(join(programData(), 'config.yaml'), 'utf8')).toBe(edited);
    await waitFor('the upgraded service RUNNING', 60_000, () => (serviceState() === 'RUNNING' ? true : null));
    expect(await waitFor('/metrics after the upgrade', 90_000, scrape)).toContain('rdsleak_build_info');
    msi = newer; // the uninstall below removes what is installed now
  }, 600_000);

  needsService('msiexec /x while the service runs removes the service and every program file (the extracted addon too) and keeps the config', async () => {
    expect(serviceState()).toBe('RUNNING');
    const uninstall = msiexec(['/x', winPath(msi)], 'uninstall');
    timings['msiexec /x'] = uninstall.ms;
    expect(uninstall.status, uninstall.log.slice(-3000)).toBe(0);
    expect(serviceState()).toBeNull();
    expect(regValues(`HKLM\\System\\CurrentControlSet\\Services\\${SERVICE}`)).toBeNull();
    if (withMessages) expect(regValues(EVENT_SOURCE_KEY)?.get('EventMessageFile')).toBeUndefined();
    const left = existsSync(programFiles()) ? readdirSync(programFiles()) : [];
    expect(left, 'files left in Program Files').toEqual([]);
    expect(existsSync(join(programData(), 'config.yaml'))).toBe(true);
    expect(readdirSync(programData()).filter((f) => /^koffi-/.test(f))).toEqual([]);
    expect(await scrape()).toBeNull();
  }, 600_000);
});
