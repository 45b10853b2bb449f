/**
 * The Windows service under Wine 8's Service Control Manager, with the product itself:
 * build/rds-leak-exporter.exe (npm run build:exe; reused when its inputs did not change) and the Event
 * Log message DLL (npm run build:messages), copied to a temporary "Program Files" folder and driven
 * through `rds-leak-exporter.exe service install|start|status|stop|uninstall` and `sc stop`, in a Wine
 * prefix of our own kept alive with `wineserver -p` (the service dies with the wineserver otherwise)
 * and ended here. Node under Wine fails on pipe stdio: stdout/stderr go to files. Loopback only.
 *
 * What Wine cannot show (failure actions, delayed start, the Event Log, PRESHUTDOWN) is covered by
 * test/platform through the Win32 seam; see docs/windows-verification.md.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../fixtures/agent-process.js';
import { REPO_ROOT, setupWine, waitFor, winPath, type WineEnv } from '../../bench/wine-harness.js';
import { STOP_WAIT_HINT_MS } from '../../src/platform/windows/service-spec.js';

let wine: WineEnv;
let dir: string;
let exe: string;
let env: NodeJS.ProcessEnv;
let port: number;
let prefixCreated = false;
const children = new Set<ChildProcess>();

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a Windows program under Wine to its end (stdin /dev/null, output through files). */
async function runWine(args: string[], name: string, timeoutMs = 60_000): Promise<Result> {
  const stdoutFile = join(dir, `${name}.stdout`);
  const stderrFile = join(dir, `${name}.stderr`);
  const out = openSync(stdoutFile, 'w');
  const err = openSync(stderrFile, 'w');
  const child = spawn(wine.wine, args, { cwd: dir, env, stdio: ['ignore', out, err] });
  closeSync(out);
  closeSync(err);
  children.add(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  children.delete(child);
  return { code, stdout: readFileSync(stdoutFile, 'utf8'), stderr: readFileSync(stderrFile, 'utf8') };
}

const service = (args: string[], name: string) => runWine([exe, 'service', ...args], name);

/** `wine reg query` output (empty when the key does not exist). */
async function regQuery(key: string, name: string): Promise<string> {
  const r = await runWine(['reg', 'query', key], name);
  return r.code === 0 ? r.stdout : '';
}

/** Linux processes running our executable from our folder (Wine shows the Windows command line; other tests may run theirs). */
function exeProcesses(): string[] {
  const r = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.includes(basename(dir)) && l.includes('rds-leak-exporter.exe') && / serve( |$)/.test(l));
}

async function metrics(): Promise<string | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) });
    return res.status === 200 ? await res.text() : null;
  } catch {
    return null;
  }
}

const CONFIG = (): string => `source: simulate\nweb.listen-address: 127.0.0.1:${port}\nlog.level: info\n`;
const SERVICE_KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\rds-leak-exporter';
const EVENT_SOURCE_KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\rds-leak-exporter';

beforeAll(async () => {
  try {
    wine = setupWine();
  } catch {
    wine = setupWine(); // setup.sh's smoke test may race a concurrent run ending the shared prefix
  }
  const build = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'sea', 'build-exe.mjs'), '--if-stale'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
  if (build.status !== 0) throw new Error(`scripts/sea/build-exe.mjs failed (exit ${build.status}):\n${build.stderr}`);
  const dll = spawnSync('bash', [join(REPO_ROOT, 'scripts', 'eventlog', 'build-message-dll.sh')], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  if (dll.status !== 0) throw new Error(`build-message-dll.sh failed (exit ${dll.status}):\n${dll.stderr}`);
  dir = mkdtempSync(join(tmpdir(), 'rdsleak-service-'));
  const app = join(dir, 'Program Files', 'rds-leak-exporter');
  mkdirSync(app, { recursive: true });
  exe = join(app, 'rds-leak-exporter.exe');
  copyFileSync(join(REPO_ROOT, 'build', 'rds-leak-exporter.exe'), exe);
  copyFileSync(join(REPO_ROOT, 'build', 'rds-leak-exporter-messages.dll'), join(app, 'rds-leak-exporter-messages.dll'));
  port = await freePort();
  writeFileSync(join(dir, 'config.yaml'), CONFIG());
  const prefix = join(dir, 'prefix');
  env = { ...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' };
  delete env.NODE_SKIP_PLATFORM_CHECK;
  delete env.RDSLEAK_NATIVE_DIR;
  mkdirSync(prefix);
  prefixCreated = true;
  const boot = spawnSync(wine.wine, ['wineboot', '--init'], { env, stdio: 'ignore', timeout: 180_000 });
  if (boot.status !== 0) throw new Error(`wineboot --init failed (exit ${boot.status})`);
  const reg = spawnSync(wine.wine, ['reg', 'add', 'HKCU\\Software\\Wine', '/v', 'Version', '/d', 'win10', '/f'], { env, stdio: 'ignore', timeout: 120_000 });
  if (reg.status !== 0) throw new Error(`could not set the prefix to Windows 10 (exit ${reg.status})`);
  // Keep the wineserver (and with it services.exe and our service) alive between our Wine commands:
  // wait for the one wineboot left to end, then start a persistent one (`-p` fails while one runs).
  spawnSync(wine.wineserver, ['-w'], { env, stdio: 'ignore', timeout: 60_000 });
  const persistent = spawnSync(wine.wineserver, ['-p'], { env, stdio: 'ignore', timeout: 30_000 });
  if (persistent.status !== 0) throw new Error(`wineserver -p failed (exit ${persistent.status})`);
}, 600_000);

afterAll(async () => {
  if (prefixCreated) {
    // Stop the service first (sc stop), then end our own wineserver only.
    await runWine(['sc', 'stop', 'rds-leak-exporter'], 'teardown-stop', 20_000).catch(() => undefined);
    spawnSync(wine.wineserver, ['-k'], { env, stdio: 'ignore', timeout: 30_000 });
  }
  for (const child of children) child.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('rds-leak-exporter.exe as a Windows service under Wine', () => {
  it('service install registers the service (quoted path, serve --config.file) and the Event Log source', async () => {
    const r = await service(['install', '--config.file', winPath(join(dir, 'config.yaml'))], 'install');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('installed service rds-leak-exporter');
    const key = await regQuery(SERVICE_KEY, 'reg-service');
    expect(key).toContain(`"${winPath(exe)}" serve --config.file ${winPath(join(dir, 'config.yaml'))}`);
    expect(key).toMatch(/ObjectName\s+REG_SZ\s+LocalSystem/);
    expect(key).toMatch(/Start\s+REG_DWORD\s+0x2/);
    expect(key).toMatch(/Description\s+REG_SZ\s+Prometheus exporter/);
    const source = await regQuery(EVENT_SOURCE_KEY, 'reg-eventlog');
    expect(source).toMatch(/EventMessageFile\s+REG_EXPAND_SZ\s+.*rds-leak-exporter-messages\.dll/);
    expect(source).toMatch(/TypesSupported\s+REG_DWORD\s+0x7/);
  });

  it('a second install exits 2 with one line; configure applies the settings again', async () => {
    const r = await service(['install'], 'install-again');
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('rds-leak-exporter: service rds-leak-exporter is already installed (service uninstall removes it)');
    // What an MSI that created the service itself runs afterwards.
    const c = await service(['configure'], 'configure');
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toContain('configured service rds-leak-exporter');
  });

  it('service start reaches RUNNING, status says so, and /metrics answers on the configured port', async () => {
    const r = await service(['start'], 'start');
    expect(r.code, `${r.stdout}${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/is RUNNING \(pid \d+\)/);
    const s = await service(['status'], 'status-running');
    expect(s.code).toBe(0);
    expect(s.stdout).toMatch(/^rds-leak-exporter: RUNNING \(pid \d+\)$/m);
    const body = await waitFor('/metrics from the service', 30_000, metrics);
    expect(body).toMatch(/^rdsleak_build_info\{[^}]*source="simulate:leaky"[^}]*\} 1$/m);
    expect(exeProcesses()).toHaveLength(1);
  });

  it('sc stop stops it within its wait hint, and the process exits', async () => {
    const started = Date.now();
    const r = await runWine(['sc', 'stop', 'rds-leak-exporter'], 'sc-stop');
    expect(r.code, r.stdout).toBe(0);
    await waitFor('STOPPED', STOP_WAIT_HINT_MS, async () => {
      const s = await service(['status'], 'status-stopping');
      return /: STOPPED/.test(s.stdout) ? s : null;
    });
    const stopMs = Date.now() - started;
    expect(stopMs).toBeLessThan(STOP_WAIT_HINT_MS);
    await waitFor('the service process to exit', 5_000, () => (exeProcesses().length === 0 ? true : null));
    expect(await metrics()).toBeNull();
    const log = readFileSync(join(env.WINEPREFIX!, 'drive_c', 'users', 'Public', 'rds-leak-exporter', 'logs', 'rds-leak-exporter.log'), 'utf8');
    expect(log).toMatch(/msg="service running"/);
    expect(log).toMatch(/msg="service stopping" control=stop/);
    console.log(`sc stop -> STOPPED and process gone in ${stopMs} ms (wait hint ${STOP_WAIT_HINT_MS} ms)`);
  });

  it('service start/stop round trip again; a start that fails reports its exit code', async () => {
    expect((await service(['start'], 'start-2')).code).toBe(0);
    const stop = await service(['stop'], 'stop-2');
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toContain('service rds-leak-exporter stopped');
    expect((await service(['stop'], 'stop-3')).stdout).toContain('is not running');
    // A config mistake: the service reports STOPPED with its exit code 2 (usage/config).
    writeFileSync(join(dir, 'config.yaml'), `${CONFIG()}no.such.key: 1\n`);
    const bad = await service(['start'], 'start-bad');
    expect(bad.code, bad.stderr).toBe(1);
    expect(bad.stderr).toContain('stopped while starting (exit code 2)');
    // The reason is in the service's log file (and, on Windows, the Event Log), since a service has no console.
    expect(readFileSync(join(env.WINEPREFIX!, 'drive_c', 'users', 'Public', 'rds-leak-exporter', 'logs', 'rds-leak-exporter.log'), 'utf8')).toMatch(
      /level=error msg="service failed to start" err=".*unknown key \\"no\.such\.key\\"/,
    );
    writeFileSync(join(dir, 'config.yaml'), CONFIG());
    await waitFor('the failed service process to exit', 5_000, () => (exeProcesses().length === 0 ? true : null));
  });

  it('service uninstall removes the service and its Event Log source; status then exits 2', async () => {
    expect((await service(['start'], 'start-3')).code).toBe(0);
    const r = await service(['uninstall'], 'uninstall');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('uninstalled service rds-leak-exporter');
    expect(await regQuery(SERVICE_KEY, 'reg-service-gone')).toBe('');
    expect(await regQuery(EVENT_SOURCE_KEY, 'reg-eventlog-gone')).toBe('');
    const s = await service(['status'], 'status-gone');
    expect(s.code).toBe(2);
    await waitFor('the uninstalled service process to exit', 5_000, () => (exeProcesses().length === 0 ? true : null));
  });

  it('the message DLL holds the texts Event Viewer shows: FormatMessageW(%1) for event IDs 1, 2, 3', async () => {
    const script = join(dir, 'format-message.cjs');
    writeFileSync(
      script,
      `const koffi = require(process.argv[2]);
const k32 = koffi.load('kernel32.dll');
const LoadLibraryExW = k32.func('void *LoadLibraryExW(const char16_t *path, void *file, uint32_t flags)');
const FormatMessageW = k32.func('uint32_t FormatMessageW(uint32_t flags, void *source, uint32_t id, uint32_t lang, void *buf, uint32_t size, void *args)');
const library = LoadLibraryExW(process.argv[3], null, 2 /* LOAD_LIBRARY_AS_DATAFILE */);
const results = {};
for (const id of [1, 2, 3, 4]) {
  const text = Buffer.from('text of event ' + id + '\\0', 'utf16le');
  const args = Buffer.alloc(8);
  args.writeBigUInt64LE(koffi.address(text));
  const out = Buffer.alloc(1024);
  const n = FormatMessageW(0x800 | 0x2000 /* FROM_HMODULE | ARGUMENT_ARRAY */, library, id, 0, out, 512, args);
  results[id] = n ? out.toString('utf16le', 0, n * 2) : null;
}
require('fs').writeFileSync(process.argv[4], JSON.stringify({ loaded: library !== null, results }));
`,
    );
    const outFile = join(dir, 'format-message.json');
    const r = await runWine([wine.nodeExe, winPath(script), winPath(join(REPO_ROOT, 'node_modules', 'koffi')), winPath(join(dir, 'Program Files', 'rds-leak-exporter', 'rds-leak-exporter-messages.dll')), winPath(outFile)], 'format-message');
    expect(r.code, r.stderr).toBe(0);
    const { loaded, results } = JSON.parse(readFileSync(outFile, 'utf8')) as { loaded: boolean; results: Record<string, string | null> };
    expect(loaded).toBe(true);
    expect(results).toEqual({ 1: 'text of event 1\r\n', 2: 'text of event 2\r\n', 3: 'text of event 3\r\n', 4: null });
  });
});
