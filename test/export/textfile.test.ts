/**
 * Textfile mode: rds_leak.prom is replaced atomically (a reader in another process never sees a partial
 * file, and every version it reads passes `promtool check metrics`), retries a rename refused while a
 * reader has the file open (Windows), and `serve --textfile.directory` runs with or without HTTP.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/cli/serve-command.js';
import { parseCommandLine } from '../../src/cli/command-line.js';
import { serverSettingsFrom } from '../../src/server/flags.js';
import { sourceConfigFrom } from '../../src/sources/flags.js';

/** The command line as `serve` sees it. */
function parseOptions(argv: string[], platform: NodeJS.Platform) {
  const { command, flags } = parseCommandLine(argv);
  return { command, flags, source: sourceConfigFrom(flags, platform).kind, listenAddress: serverSettingsFrom(flags).listenAddress };
}
import { RdsLeakError } from '../../src/errors.js';
import { TEXTFILE_NAME, writeTextfile } from '../../src/export/textfile-writer.js';
import { Exposition } from '../fixtures/exposition.js';
import { silentLogger } from '../fixtures/fake-sources.js';
import { tempDir } from '../fixtures/temp-dir.js';

const READER = fileURLToPath(new URL('../fixtures/textfile-reader.mjs', import.meta.url));

function promtoolCheck(text: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Runs the reader process for `ms` against `file`. */
function readConcurrently(file: string, ms: number): Promise<{ reads: number; missing: number; contents: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [READER, file, String(ms)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as { reads: number; missing: number; contents: string[] }) : reject(new Error(`reader exited ${code}: ${err}`))));
  });
}

async function serveQuietly(argv: string[]): Promise<RunningServer> {
  const stderr = process.stderr.write;
  process.stderr.write = () => true; // the simulation banner
  try {
    return await startServer(parseOptions(argv, 'linux').flags, silentLogger);
  } finally {
    process.stderr.write = stderr;
  }
}

describe('writeTextfile', () => {
  it('replaces the file and leaves no temporary file behind', async () => {
    const dir = tempDir('textfile');
    writeFileSync(join(dir, TEXTFILE_NAME), 'old\n');
    const path = await writeTextfile(dir, '# HELP a_metric A.\n# TYPE a_metric gauge\na_metric 1\n');
    expect(path).toBe(join(dir, TEXTFILE_NAME));
    expect(readFileSync(path, 'utf8')).toBe('# HELP a_metric A.\n# TYPE a_metric gauge\na_metric 1\n');
    expect(readdirSync(dir)).toEqual([TEXTFILE_NAME]);
  });

  it('retries a rename refused with EPERM or EBUSY (a reader holds the file on Windows), then succeeds', async () => {
    const dir = tempDir('textfile');
    const refusals = ['EPERM', 'EBUSY', 'EACCES'];
    const attempts: string[] = [];
    const path = await writeTextfile(dir, 'x 1\n', {
      retryDelayMs: 1,
      renameFile: async (from, to) => {
        const code = refusals.shift();
        attempts.push(code ?? 'ok');
        if (code) throw Object.assign(new Error(`${code}: operation not permitted, rename`), { code });
        await rename(from, to);
      },
    });
    expect(attempts).toEqual(['EPERM', 'EBUSY', 'EACCES', 'ok']);
    expect(readFileSync(path, 'utf8')).toBe('x 1\n');
    expect(readdirSync(dir)).toEqual([TEXTFILE_NAME]);
  });

  it('gives up after the last attempt with E_TEXTFILE_WRITE, keeps the old file and removes the temporary one', async () => {
    const dir = tempDir('textfile');
    writeFileSync(join(dir, TEXTFILE_NAME), 'old 1\n');
    let calls = 0;
    const error = await writeTextfile(dir, 'new 1\n', {
      renameAttempts: 3,
      retryDelayMs: 1,
      renameFile: () => {
        calls++;
        return Promise.reject(Object.assign(new Error('EBUSY: resource busy or locked, rename'), { code: 'EBUSY' }));
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RdsLeakError);
    expect((error as RdsLeakError).code).toBe('E_TEXTFILE_WRITE');
    expect((error as RdsLeakError).message).toContain(join(dir, TEXTFILE_NAME));
    expect(calls).toBe(3);
    expect(readFileSync(join(dir, TEXTFILE_NAME), 'utf8')).toBe('old 1\n');
    expect(readdirSync(dir)).toEqual([TEXTFILE_NAME]);
  });

  it('does not retry other errors (a missing directory)', async () => {
    const dir = join(tempDir('textfile'), 'missing');
    await expect(writeTextfile(dir, 'x 1\n')).rejects.toMatchObject({ code: 'E_TEXTFILE_WRITE' });
  });
});

describe('serve --textfile.directory', () => {
  it('rewrites rds_leak.prom every interval; a concurrent reader only ever reads whole files that promtool accepts', async () => {
    const dir = tempDir('textfile');
    const file = join(dir, TEXTFILE_NAME);
    const server = await serveQuietly(['--web.listen-address=', `--textfile.directory=${dir}`, '--textfile.interval=20ms', '--simulate.advance=3h', '--simulate.seed=3']);
    try {
      expect(server.url).toBeNull();
      expect(existsSync(file)).toBe(true); // written before startServer resolves
      const seen = await readConcurrently(file, 2500);
      expect(seen.missing).toBe(0);
      // Many versions were read (the timestamp and durations change with each collection).
      expect(seen.contents.length).toBeGreaterThanOrEqual(10);
      expect(seen.reads).toBeGreaterThan(seen.contents.length);
      for (const text of seen.contents) {
        expect(text.endsWith('\n')).toBe(true);
        const exposition = new Exposition(text);
        expect(exposition.value('rdsleak_build_info', {})).toBe(1);
        expect(exposition.has('rdsleak_zombie_logon_sessions')).toBe(true);
        // Only the exporter's own metrics: windows_exporter has process_* of its own.
        expect([...exposition.families.keys()].filter((n) => !n.startsWith('rdsleak_'))).toEqual([]);
      }
      // promtool on every distinct version (each one costs a process start: at most 40 of them).
      for (const text of seen.contents.slice(0, 40)) {
        const check = promtoolCheck(text);
        expect(check.status, check.output).toBe(0);
      }
    } finally {
      await server.close();
    }
    // Stopped: no more rewrites, no temporary file left.
    const last = readFileSync(file, 'utf8');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(readFileSync(file, 'utf8')).toBe(last);
    expect(readdirSync(dir)).toEqual([TEXTFILE_NAME]);
  });

  it('in background mode the textfile holds the background collection and runs none of its own', async () => {
    const dir = tempDir('textfile');
    const server = await serveQuietly(['--web.listen-address=127.0.0.1:0', `--textfile.directory=${dir}`, '--textfile.interval=1h', '--collection.interval=1h', '--simulate.advance=3h']);
    try {
      const fromFile = new Exposition(readFileSync(join(dir, TEXTFILE_NAME), 'utf8'));
      expect(fromFile.value('rdsleak_collections_total')).toBe(1);
      expect(fromFile.has('process_cpu_seconds_total')).toBe(false);
      const scraped = new Exposition(await (await fetch(`${server.url}/metrics`)).text());
      expect(scraped.value('rdsleak_collections_total')).toBe(1);
      expect(scraped.value('rdsleak_session_id_highest')).toBe(fromFile.value('rdsleak_session_id_highest'));
    } finally {
      await server.close();
    }
  });

  it('serves HTTP and writes the textfile from the same collections', async () => {
    const dir = tempDir('textfile');
    // Scrape mode: every read of the exposition (the file's, a scrape's) is a collection of its own.
    const server = await serveQuietly(['--web.listen-address=127.0.0.1:0', `--textfile.directory=${dir}`, '--textfile.interval=1h', '--simulate.advance=3h', '--collection.mode=scrape']);
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const fromFile = new Exposition(readFileSync(join(dir, TEXTFILE_NAME), 'utf8'));
      expect(fromFile.value('rdsleak_collections_total')).toBe(1);
      const scraped = new Exposition(await (await fetch(`${server.url}/metrics`)).text());
      expect(scraped.value('rdsleak_collections_total')).toBe(2);
      expect(scraped.has('process_cpu_seconds_total')).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('refuses a missing directory, and an empty listen address without a textfile (exit 2, one line)', async () => {
    const missing = join(tempDir('textfile'), 'nope');
    const error = await serveQuietly([`--textfile.directory=${missing}`, '--web.listen-address=']).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_USAGE', exitCode: 2, message: `--textfile.directory: ${missing}: no such directory` });
    await expect(serveQuietly(['--web.listen-address='])).rejects.toThrow('--web.listen-address: empty turns the HTTP listener off, which needs --textfile.directory');
    expect(() => parseOptions(['--textfile.directory='], 'linux')).toThrow('--textfile.directory: expected a file name');
    expect(() => parseOptions(['--textfile.directory=/tmp', '--textfile.interval=0s'], 'linux')).toThrow('--textfile.interval: expected a duration longer than 0s');
  });
});
