import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/model/snapshot.js';
import { serializeSnapshot } from '../../src/sources/file/snapshot-file.js';
import { CLI } from '../fixtures/agent-process.js';
import { articleHost } from '../fixtures/scenarios.js';
import { tempDir } from '../fixtures/temp-dir.js';

/**
 * Snapshot files through the real CLI, with the heap capped at 1 GB: a 100 MB file with one bad value
 * or cut short must fail with one line as fast as a valid one loads (it used to be parsed a second time
 * to find the line, which took minutes and 4 GB), and a FIFO must be refused instead of read forever.
 */

const HEAP_LIMIT_MB = 1024;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

function runCapped(args: string[], timeoutMs: number): Promise<Run> {
  return new Promise((done, fail) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_LIMIT_MB}`, CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`rds-leak-exporter ${args.join(' ')} did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
    });
  });
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line += 1;
  return line;
}

const TARGET_BYTES = 100 * 1024 * 1024;
/** The one handle the bad file gets wrong: near the end, so everything before it is read first. */
const MARKED_HANDLE = 999_999_999;

/** The article host with its token handles repeated until the serialized snapshot is about 100 MB. */
function largeSnapshot(): { text: string; markedIndex: number } {
  const base = articleHost().build();
  const handles = base.tokenHandles ?? [];
  const handleBytes = serializeSnapshot({ ...base, tokenHandles: handles }).length - serializeSnapshot({ ...base, tokenHandles: [] }).length;
  const count = Math.ceil((TARGET_BYTES / handleBytes) * handles.length);
  const tokenHandles = Array.from({ length: count }, (_, i) => handles[i % handles.length]!);
  const markedIndex = count - 3;
  tokenHandles[markedIndex] = { ...tokenHandles[markedIndex]!, handle: MARKED_HANDLE };
  const snapshot: Snapshot = { ...base, tokenHandles };
  return { text: serializeSnapshot(snapshot), markedIndex };
}

describe('a 100 MB snapshot file', () => {
  const dir = tempDir('large');
  const paths = { valid: join(dir, 'valid.json'), badValue: join(dir, 'bad-value.json'), truncated: join(dir, 'truncated.json') };
  let expected: { badValueLine: number; badValueField: string; truncatedLine: number };

  beforeAll(() => {
    const { text, markedIndex } = largeSnapshot();
    expect(text.length).toBeGreaterThan(TARGET_BYTES * 0.95);
    writeFileSync(paths.valid, text);
    const marked = text.lastIndexOf(`"handle": ${MARKED_HANDLE}`);
    writeFileSync(paths.badValue, `${text.slice(0, marked)}"handle": "${MARKED_HANDLE}"${text.slice(marked + `"handle": ${MARKED_HANDLE}`.length)}`);
    const cut = Math.floor(text.length * 0.97);
    writeFileSync(paths.truncated, text.slice(0, cut));
    expected = { badValueLine: lineOf(text, marked), badValueField: `tokenHandles[${markedIndex}].handle`, truncatedLine: lineOf(text, cut) };
  });

  it('fails on one bad value or a cut in about the time a valid one loads, with one line and exit 2', async () => {
    const report = (path: string) => runCapped(['report', '--source=file', `--file.path=${path}`, '--zombie.grace-period=0s'], 240_000);
    const valid = await report(paths.valid);
    expect(valid.stderr).toBe('');
    expect(valid.code).toBe(1); // the article host has a zombie logon session
    expect(valid.stdout).toContain('Zombie logon sessions: 1');

    const badValue = await report(paths.badValue);
    expect(badValue.stderr).toBe(`rds-leak-exporter: ${paths.badValue}:${expected.badValueLine}: ${expected.badValueField}: expected number\n`);
    expect(badValue.code).toBe(2);

    const truncated = await report(paths.truncated);
    expect(truncated.stderr).toMatch(new RegExp(`^rds-leak-exporter: ${paths.truncated}:${expected.truncatedLine}:\\d+: not valid JSON \\([^\\n]+\\)\\n$`));
    expect(truncated.code).toBe(2);

    // A ratio, not a time: the box running the tests may be slow or busy, but the error path must not
    // cost more than a few valid loads (it took over 10 times as long before dying out of memory).
    const times = `valid ${valid.seconds.toFixed(1)} s, bad value ${badValue.seconds.toFixed(1)} s, truncated ${truncated.seconds.toFixed(1)} s`;
    expect(badValue.seconds, times).toBeLessThan(3 * valid.seconds);
    expect(truncated.seconds, times).toBeLessThan(3 * valid.seconds);
  }, 600_000);
});

describe.skipIf(process.platform === 'win32')('a --file.path that is not a regular file', () => {
  it('refuses a FIFO at once instead of waiting for a writer', async () => {
    const fifo = join(tempDir('fifo'), 'snapshot.json');
    execFileSync('mkfifo', [fifo]);
    const r = await runCapped(['report', '--source=file', `--file.path=${fifo}`], 20_000);
    expect(r.stderr).toBe(`rds-leak-exporter: ${fifo}: cannot read snapshot: is a FIFO (named pipe), not a regular file\n`);
    expect(r.code).toBe(2);
  });

  it('refuses a FIFO with a .json name inside a snapshot directory', async () => {
    const dir = tempDir('fifo-dir');
    writeFileSync(join(dir, 'a.json'), serializeSnapshot(articleHost().build()));
    execFileSync('mkfifo', [join(dir, 'b.json')]);
    const r = await runCapped(['report', '--source=file', `--file.path=${dir}`], 20_000);
    expect(r.stderr).toBe(`rds-leak-exporter: ${join(dir, 'b.json')}: cannot read snapshot: is a FIFO (named pipe), not a regular file\n`);
    expect(r.code).toBe(2);
  });

  it('refuses a device', async () => {
    const r = await runCapped(['report', '--source=file', '--file.path=/dev/zero'], 20_000);
    expect(r.stderr).toBe('rds-leak-exporter: /dev/zero: cannot read snapshot: is a device, not a regular file\n');
    expect(r.code).toBe(2);
  });
});
