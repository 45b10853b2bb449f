/**
 * Runs the compiled agent and the leak tool in Windows Node under Wine (shared by test/wine and
 * bench/wine-bench.ts). Facts this relies on (see docs/background.md, Wine): Node under Wine
 * fails on pipe stdio, so stdin is /dev/null and stdout/stderr go to files; results come back through
 * files or HTTP. Each process can run another copy of node.exe and get extra environment of its own
 * (`WineProcessOptions`: renamed holder images, the replacement DLLs of test/wine/fakes). Everything
 * started here is stopped by its handle (never by name); `stopWine()` ends the wineserver of our private
 * prefix only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, openSync, closeSync, readFileSync, writeFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', existsSync(resolve(dirname(fileURLToPath(import.meta.url)), '..', 'package.json')) ? '' : '..');

export interface WineEnv {
  readonly wine: string;
  readonly wineserver: string;
  readonly prefix: string;
  readonly nodeExe: string;
  readonly env: NodeJS.ProcessEnv;
}

/** Runs scripts/wine/setup.sh (idempotent) and returns what it printed. */
export function setupWine(): WineEnv {
  const r = spawnSync('bash', [join(REPO_ROOT, 'scripts/wine/setup.sh')], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`scripts/wine/setup.sh failed (exit ${r.status}):\n${r.stderr}`);
  const vars: Record<string, string> = Object.fromEntries(
    r.stdout
      .split('\n')
      .map((l) => /^([A-Z_]+)=(.*)$/.exec(l.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1] ?? '', m[2] ?? '']),
  );
  const need = (k: string): string => {
    const v = vars[k];
    if (!v) throw new Error(`setup.sh did not print ${k}`);
    return v;
  };
  return {
    wine: need('WINE'),
    wineserver: need('WINESERVER'),
    prefix: need('WINEPREFIX'),
    nodeExe: need('NODE_EXE'),
    env: { ...process.env, WINEPREFIX: need('WINEPREFIX'), WINEDEBUG: '-all', NODE_SKIP_PLATFORM_CHECK: '1', WINEDLLOVERRIDES: 'mscoree,mshtml=' },
  };
}

/** What scripts/wine/build-fakes.sh builds from test/wine/fakes (scripted RDS hosts). */
export interface FakeBuild {
  readonly dir: string;
  readonly wtsapi32: string;
  readonly secur32: string;
  readonly layoutProbe: string;
}

/** Builds the replacement wtsapi32/secur32 DLLs and the layout probe (needs npm run build first). */
export function buildFakes(): FakeBuild {
  const r = spawnSync('bash', [join(REPO_ROOT, 'scripts/wine/build-fakes.sh')], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const dir = /^OUT=(.*)$/m.exec(r.stdout)?.[1];
  if (r.status !== 0 || !dir) throw new Error(`scripts/wine/build-fakes.sh failed (exit ${r.status}):\n${r.stderr}`);
  return { dir, wtsapi32: join(dir, 'wtsapi32.dll'), secur32: join(dir, 'secur32.dll'), layoutProbe: join(dir, 'layout-probe.exe') };
}

function copyIfChanged(from: string, to: string): void {
  if (existsSync(to) && statSync(to).size === statSync(from).size && statSync(to).mtimeMs >= statSync(from).mtimeMs) return;
  copyFileSync(from, to);
}

/**
 * A copy of Windows node.exe named `image` (e.g. svchost.exe: the process list then shows that image) in
 * its own folder of the cache. With `fakes`, the replacement DLLs lie next to it: Wine loads them for a
 * process started with {@link fakeHostEnv} only (they must sit in the executable's own folder).
 */
export function nodeCopy(w: WineEnv, folder: string, image: string, fakes?: FakeBuild): string {
  const dir = join(dirname(w.nodeExe), '..', 'images', folder);
  mkdirSync(dir, { recursive: true });
  const exe = join(dir, image);
  copyIfChanged(w.nodeExe, exe);
  if (fakes) {
    // Only when rebuilt: overwriting a DLL in place would change it under a Wine process that maps it.
    copyIfChanged(fakes.wtsapi32, join(dir, 'wtsapi32.dll'));
    copyIfChanged(fakes.secur32, join(dir, 'secur32.dll'));
  }
  return exe;
}

/** The environment that makes one Wine process load the replacement DLLs and serve `hostFile`. */
export function fakeHostEnv(hostFile: string, logFile: string): NodeJS.ProcessEnv {
  return {
    WINEDLLOVERRIDES: 'mscoree,mshtml=;wtsapi32,secur32=n',
    RDSLEAK_FAKE_HOST: winPath(hostFile),
    RDSLEAK_FAKE_LOG: winPath(logFile),
  };
}

/** A Linux path as Windows Node under Wine sees it (drive Z: maps to /). */
export function winPath(path: string): string {
  return `Z:${resolve(path).replace(/\//g, '\\')}`;
}

export interface WineChild {
  readonly child: ChildProcess;
  readonly stdoutFile: string;
  readonly stderrFile: string;
  readonly exited: Promise<number | null>;
}

/**
 * What one Wine process runs as: another copy of node.exe (a renamed image such as svchost.exe, or one
 * with replacement DLLs next to it) and extra environment for that process only (e.g. WINEDLLOVERRIDES).
 */
export interface WineProcessOptions {
  readonly exe?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** Starts `node.exe args...` under Wine with stdin /dev/null and stdout/stderr in files of `dir`. */
export function startWineNode(w: WineEnv, args: string[], dir: string, name: string, options: WineProcessOptions = {}): WineChild {
  mkdirSync(dir, { recursive: true });
  const stdoutFile = join(dir, `${name}.stdout`);
  const stderrFile = join(dir, `${name}.stderr`);
  const out = openSync(stdoutFile, 'w');
  const err = openSync(stderrFile, 'w');
  const child = spawn(w.wine, [options.exe ?? w.nodeExe, ...args], { cwd: REPO_ROOT, env: { ...w.env, ...options.env }, stdio: ['ignore', out, err] });
  closeSync(out);
  closeSync(err);
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return { child, stdoutFile, stderrFile, exited };
}

export async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | null | undefined | Promise<T | null | undefined>): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-2000);
  } catch {
    return '';
  }
}

export type { LeakToolStatus };

export interface LeakTool {
  readonly status: LeakToolStatus;
  /** Where the tool rewrites its status (Linux path). */
  readonly statusFile: string;
  /** Write a larger total here to make the tool hold more handles (with `growable`). */
  readonly growFile: string;
  stop(): Promise<void>;
}

export interface LeakToolOptions extends WineProcessOptions {
  /** Hold tokens of this process instead of the tool's own. */
  readonly pid?: number;
  /** Distinguishes the files of several tools in one directory. */
  readonly name?: string;
  readonly timeoutMs?: number;
  /** Watch a grow file: the diagnose run can then add handles between collections. */
  readonly growable?: boolean;
}

/** Starts the leak tool holding `count` token handles and waits until it reports them held. */
export async function startLeakTool(w: WineEnv, count: number, dir: string, options: LeakToolOptions = {}): Promise<LeakTool> {
  const name = options.name ?? `leak-${count}`;
  const statusFile = join(dir, `${name}.json`);
  const stopFile = join(dir, `${name}.stop`);
  rmSync(statusFile, { force: true });
  const growFile = join(dir, `${name}.grow`);
  rmSync(stopFile, { force: true });
  rmSync(growFile, { force: true });
  const args = [join('dist', 'src', 'bin', 'leak-tool.js'), '--count', String(count), '--status', winPath(statusFile), '--stop-file', winPath(stopFile)];
  if (options.pid !== undefined) args.push('--pid', String(options.pid));
  if (options.growable) args.push('--grow-file', winPath(growFile));
  const run = startWineNode(w, args, dir, name, options);
  const timeoutMs = options.timeoutMs ?? 120_000;
  let exitCode: number | null | undefined;
  void run.exited.then((c) => (exitCode = c));
  const status = await waitFor('the leak tool to hold its handles', timeoutMs, () => {
    const s = readJson<LeakToolStatus>(statusFile);
    if (s?.error) throw new Error(`leak tool failed: ${s.error}`);
    if (exitCode !== undefined && !s?.ready) throw new Error(`leak tool exited (${exitCode}) before it was ready: ${tail(run.stderrFile)}`);
    return s?.ready ? s : null;
  });
  return {
    status,
    statusFile,
    growFile,
    async stop() {
      writeFileSync(stopFile, 'stop');
      const timer = setTimeout(() => run.child.kill('SIGKILL'), 30_000);
      await run.exited;
      clearTimeout(timer);
    },
  };
}

/** The report windows-diagnose.ts writes (a type-only import: the script itself is not loaded here). */
import type { DiagnoseReport } from '../src/bin/windows-diagnose.js';
import type { LeakToolStatus } from '../src/bin/leak-tool.js';
export type { DiagnoseReport };

/** Runs the native source in Windows Node `collections` times and returns its report. */
/** New token handles between collections: the leak tool (started `growable`) adds `by` before collection `from` and each after. */
export interface DiagnoseGrowth {
  readonly tool: LeakTool;
  readonly by: number;
  readonly from: number;
}

export async function runDiagnose(
  w: WineEnv,
  dir: string,
  options: { collections: number; pid?: number; name?: string; timeoutMs?: number; grow?: DiagnoseGrowth } & WineProcessOptions,
): Promise<DiagnoseReport> {
  const name = options.name ?? `diagnose-${options.collections}`;
  const out = join(dir, `${name}.json`);
  rmSync(out, { force: true });
  const args = [join('dist', 'src', 'bin', 'windows-diagnose.js'), '--out', winPath(out), '--collections', String(options.collections), '--log', winPath(join(dir, `${name}.log`))];
  if (options.pid !== undefined) args.push('--pid', String(options.pid));
  const grow = options.grow;
  if (grow) args.push('--grow-file', winPath(grow.tool.growFile), '--grow-status', winPath(grow.tool.statusFile), '--grow-by', String(grow.by), '--grow-from', String(grow.from));
  const run = startWineNode(w, args, dir, name, options);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
  await run.exited;
  clearTimeout(timer);
  const report = readJson<DiagnoseReport>(out);
  if (!report) throw new Error(`diagnose wrote no report; stderr: ${tail(run.stderrFile)}`);
  return report;
}

/** Ends the wineserver of our private prefix (and with it any Wine process of that prefix left behind). */
export function stopWine(w: WineEnv): void {
  spawnSync(w.wineserver, ['-k'], { env: w.env, stdio: 'ignore', timeout: 30_000 });
}
