import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { FileSource } from '../../src/sources/file/file-source.js';
import { parseSnapshotText, readSnapshotFile, serializeSnapshot } from '../../src/sources/file/snapshot-file.js';
import { articleHost } from '../fixtures/scenarios.js';
import { tempDir } from '../fixtures/temp-dir.js';

function errorOf(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error('expected an error');
}

const valid = serializeSnapshot(articleHost().build());

describe('snapshot files', () => {
  it('round-trips a snapshot', () => {
    expect(parseSnapshotText('a.json', valid)).toEqual(articleHost().build());
  });

  it('names the file, line, field and problem of a wrong type', () => {
    const text = valid.replace('"pid": 700,', '"pid": "700",');
    const e = errorOf(() => parseSnapshotText('case.json', text));
    const line = text.split('\n').findIndex((l) => l.includes('"pid": "700"')) + 1;
    expect(e.message).toBe(`case.json:${line}: processes[8].pid: expected number`);
    expect(e.code).toBe('E_SNAPSHOT_INVALID');
    expect(e.exitCode).toBe(2);
  });

  it('reports a malformed logon id and an unknown key', () => {
    const luid = errorOf(() => parseSnapshotText('x.json', valid.replace('"logonId": "00000000:0017c025"', '"logonId": "17c025"')));
    expect(luid.message).toMatch(/^x\.json:\d+: logonSessions\[\d+\]\.logonId: must look like 00000000:0017c025$/);
    const extra = errorOf(() => parseSnapshotText('x.json', valid.replace('"host": "rds-article",', '"host": "rds-article", "hots": 1,')));
    expect(extra.message).toBe('x.json:3: (top level): unknown key "hots"');
    const state = errorOf(() => parseSnapshotText('x.json', valid.replace('"state": "active"', '"state": "running"')));
    expect(state.message).toMatch(/^x\.json:\d+: wtsSessions\[3\]\.state: must be one of active, connected, connect_query, shadow, disconnected, idle, listen, reset, down, init$/);
  });

  it('requires exactly one of logonId and unresolved on a token handle', () => {
    const text = valid.replace('"unresolved": "protected_process"', '"unresolved": null');
    expect(errorOf(() => parseSnapshotText('h.json', text)).message).toMatch(/^h\.json:\d+: tokenHandles\[0\]\.unresolved: exactly one of logonId and unresolved must be set$/);
  });

  it('refuses a logon session listed twice (it would be counted twice)', () => {
    const snapshot = articleHost().build();
    snapshot.logonSessions!.push({ ...snapshot.logonSessions![1]! });
    const e = errorOf(() => parseSnapshotText('d.json', serializeSnapshot(snapshot)));
    expect(e.message).toMatch(/^d\.json:\d+: logonSessions\[8\]\.logonId: logonId 00000000:\w+ appears twice$/);
  });

  it('gives the position of a JSON syntax error', () => {
    const text = '{\n  "schemaVersion": 1,\n  "host": "x",,\n}';
    expect(errorOf(() => parseSnapshotText('s.json', text)).message).toMatch(/^s\.json:3:\d+: not valid JSON \(/);
  });

  it('gives the line of a token JSON.parse does not place, of a cut and of text after the end', () => {
    expect(errorOf(() => parseSnapshotText('t.json', '{\n  "schemaVersion": 1,\n  "host": x\n}')).message).toBe("t.json:3:11: not valid JSON (Unexpected token 'x')");
    expect(errorOf(() => parseSnapshotText('t.json', '{\n  "schemaVersion": 1,\n  "host": fals\n}')).message).toBe("t.json:3:15: not valid JSON (Unexpected token '\\n')");
    const cut = valid.slice(0, valid.indexOf('"tokenHandles"') + 30);
    expect(errorOf(() => parseSnapshotText('t.json', cut)).message).toMatch(new RegExp(`^t\\.json:${cut.split('\n').length}:\\d+: not valid JSON \\(`));
    expect(errorOf(() => parseSnapshotText('t.json', `${valid}\n]`)).message).toBe(`t.json:${valid.split('\n').length + 1}:1: not valid JSON (Unexpected non-whitespace character after JSON)`);
  });

  it('reports a missing key at the line of its object', () => {
    const text = valid.replace('"image": "CtxSvcHost.exe",', '');
    const line = text.split('\n').findIndex((l) => l.includes('"pid": 800,')) - 1 + 1;
    expect(errorOf(() => parseSnapshotText('m.json', text)).message).toBe(`m.json:${line}: processes[13].image: expected string`);
  });

  it('keeps the message on one line whatever the file holds', () => {
    const text = valid.replace('"host": "rds-article",', '"host": "rds-article", "ho\\nst\\u2028": 1,');
    expect(errorOf(() => parseSnapshotText('k.json', text)).message).toBe('k.json:3: (top level): unknown key "ho\\nst\\u2028"');
  });

  it('survives nesting too deep for a recursive parser', () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    expect(errorOf(() => parseSnapshotText('d.json', deep)).message).toBe('d.json:1: (top level): expected object');
    const deepInside = `{"schemaVersion": 1, "host": ${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
    expect(errorOf(() => parseSnapshotText('d.json', deepInside)).message).toMatch(/^d\.json:1: host: expected string/);
  });

  it('refuses another schema version by name', () => {
    expect(errorOf(() => parseSnapshotText('v.json', '{"schemaVersion": 2}')).message).toBe('v.json: schemaVersion 2 is not supported (this build reads 1)');
  });

  it('says when a file cannot be read', async () => {
    await expect(readSnapshotFile('/nonexistent/snap.json')).rejects.toThrow('/nonexistent/snap.json: cannot read snapshot: no such file');
    const dir = tempDir('dir');
    await expect(readSnapshotFile(dir)).rejects.toThrow(`${dir}: cannot read snapshot: is a directory`);
  });

  it.skipIf(process.platform === 'win32')('refuses a socket rather than reading it', async () => {
    const path = join(tempDir('sock'), 'snapshot.json');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      await expect(readSnapshotFile(path)).rejects.toThrow(`${path}: cannot read snapshot: is a socket, not a regular file`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it.skipIf(process.platform === 'win32')('refuses a device rather than reading it', async () => {
    const e = await readSnapshotFile('/dev/null').catch((error: unknown) => error);
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).code).toBe('E_SNAPSHOT_READ');
    expect((e as UsageError).message).toBe('/dev/null: cannot read snapshot: is a device, not a regular file');
  });
});

describe('file source', () => {
  it('replays a sequence in order and then keeps the last one (or loops)', async () => {
    const dir = tempDir('seq');
    for (const [i, at] of ['2026-11-25T10:00:00.000Z', '2026-11-25T10:05:00.000Z', '2026-11-25T10:10:00.000Z'].entries()) {
      writeFileSync(join(dir, `snap-${i}.json`), serializeSnapshot(articleHost().build(at)));
    }
    const source = await FileSource.open({ paths: [dir], loop: false });
    const times = [];
    for (let i = 0; i < 4; i++) times.push((await source.collect({ deadline: Date.now() + 1000 })).collectedAt);
    expect(times).toEqual(['2026-11-25T10:00:00.000Z', '2026-11-25T10:05:00.000Z', '2026-11-25T10:10:00.000Z', '2026-11-25T10:10:00.000Z']);
    const looping = await FileSource.open({ paths: [dir], loop: true });
    for (let i = 0; i < 3; i++) await looping.collect({ deadline: Date.now() + 1000 });
    expect((await looping.collect({ deadline: Date.now() + 1000 })).collectedAt).toBe('2026-11-25T10:00:00.000Z');
  });

  it('validates every file at start', async () => {
    const dir = tempDir('bad');
    writeFileSync(join(dir, 'a.json'), valid);
    writeFileSync(join(dir, 'b.json'), '{');
    await expect(FileSource.open({ paths: [dir], loop: false })).rejects.toThrow(/b\.json:1:\d+: not valid JSON/);
  });
});
