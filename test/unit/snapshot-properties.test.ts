import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonLineOfPath, jsonSyntaxError } from '../../src/text/source-position.js';
import { UsageError } from '../../src/errors.js';
import { LOGON_TYPE_NAMES } from '../../src/model/logon-types.js';
import { SESSION_STATES } from '../../src/model/session-states.js';
import {
  SNAPSHOT_SCHEMA_VERSION,
  UNRESOLVED_REASONS,
  type CollectionIssue,
  type CollectorStatus,
  type LogonSession,
  type ProcessInfo,
  type Snapshot,
  type TokenHandle,
  type WtsSession,
} from '../../src/model/snapshot.js';
import { parseSnapshotText, readSnapshotFile, serializeSnapshot } from '../../src/sources/file/snapshot-file.js';
import { tempDir } from '../fixtures/temp-dir.js';

/**
 * Property tests of the snapshot loader. The arbitraries follow src/model/snapshot.ts field by field
 * (keys in schema order, as the parser returns them); a change there needs one here.
 */

// PROPERTY_RUNS=5000 for a longer hunt; the default keeps the suite fast.
const RUNS = { numRuns: Number(process.env.PROPERTY_RUNS ?? 100) };

// --- valid snapshots -------------------------------------------------------------------------------

const hex8 = fc.integer({ min: 0, max: 0xffff_ffff }).map((n) => n.toString(16).padStart(8, '0'));
const logonId = fc.tuple(hex8, hex8).map(([high, low]) => `${high}:${low}`);
const nonNegativeInt = fc.oneof(fc.nat({ max: 70_000 }), fc.maxSafeNat());
const isoTime = fc
  .tuple(fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }), fc.constantFrom('Z', '+01:00', '-05:30', 'no-ms'))
  .map(([date, zone]) => {
    const utc = date.toISOString();
    if (zone === 'Z') return utc;
    if (zone === 'no-ms') return `${utc.slice(0, 19)}Z`;
    return `${utc.slice(0, 23)}${zone}`;
  });
const text = fc.string({ unit: 'binary', maxLength: 12 });
const nonEmptyText = fc.string({ unit: 'binary', minLength: 1, maxLength: 12 });
const nullable = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });
const nullableList = <T>(arb: fc.Arbitrary<T[]>) => fc.option(arb, { nil: null, freq: 4 });

const wtsSession: fc.Arbitrary<WtsSession> = fc.record({
  sessionId: nonNegativeInt,
  name: text,
  state: fc.constantFrom(...SESSION_STATES),
  user: nullable(text),
  domain: nullable(text),
});

const logonSession: fc.Arbitrary<LogonSession> = fc.record({
  logonId,
  sessionId: nonNegativeInt,
  logonType: fc.constantFrom(...LOGON_TYPE_NAMES),
  user: text,
  domain: text,
  authPackage: text,
  logonTime: nullable(isoTime),
  sid: nullable(text),
});

const processInfo: fc.Arbitrary<ProcessInfo> = fc.record(
  {
    pid: nonNegativeInt,
    image: nonEmptyText,
    sessionId: nullable(nonNegativeInt),
    logonId: nullable(logonId),
    services: fc.array(nonEmptyText, { minLength: 1, maxLength: 4 }),
  },
  { requiredKeys: ['pid', 'image', 'sessionId', 'logonId'] },
);

const objectAddress = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((n) => `0x${n.toString(16)}`);
// Exactly one of logonId and unresolved is set.
const tokenHandle: fc.Arbitrary<TokenHandle> = fc
  .record({
    pid: nonNegativeInt,
    handle: nonNegativeInt,
    tokenId: nullable(logonId),
    objectAddress: nullable(objectAddress),
    resolvedTo: fc.oneof(logonId, fc.constantFrom(...UNRESOLVED_REASONS).map((reason) => ({ reason }))),
  })
  .map(({ resolvedTo, ...h }) =>
    typeof resolvedTo === 'string' ? { ...h, logonId: resolvedTo, unresolved: null } : { ...h, logonId: null, unresolved: resolvedTo.reason },
  );

const collectorStatus: fc.Arbitrary<CollectorStatus> = fc.record({
  name: nonEmptyText,
  success: fc.boolean(),
  timedOut: fc.boolean(),
  durationSeconds: fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.constant(0)),
  error: nullable(text),
});

const collectionIssue: fc.Arbitrary<CollectionIssue> = fc.record({
  collector: nonEmptyText,
  kind: fc.stringMatching(/^[a-z][a-z0-9_]{0,15}$/),
  count: nonNegativeInt,
});

const snapshot: fc.Arbitrary<Snapshot> = fc.record({
  schemaVersion: fc.constant(SNAPSHOT_SCHEMA_VERSION),
  host: nonEmptyText,
  source: nonEmptyText,
  collectedAt: isoTime,
  // The keys the schema requires to be unique are unique.
  wtsSessions: nullableList(fc.uniqueArray(wtsSession, { selector: (s) => s.sessionId, maxLength: 4 })),
  logonSessions: nullableList(fc.uniqueArray(logonSession, { selector: (s) => s.logonId, maxLength: 4 })),
  processes: nullableList(fc.uniqueArray(processInfo, { selector: (p) => p.pid, maxLength: 4 })),
  tokenHandles: nullableList(fc.array(tokenHandle, { maxLength: 6 })),
  collectors: fc.array(collectorStatus, { maxLength: 3 }),
  issues: fc.array(collectionIssue, { maxLength: 3 }),
});

// --- what every failure must look like -------------------------------------------------------------

const FILE = 'case.json';

/** Parses, and if that fails checks the error is the documented one: a UsageError of one line. */
function parseOrUsageError(input: string): { snapshot: Snapshot } | { error: UsageError } {
  try {
    return { snapshot: parseSnapshotText(FILE, input) };
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    const usage = error as UsageError;
    expect(usage.code).toBe('E_SNAPSHOT_INVALID');
    expect(usage.exitCode).toBe(2);
    // eslint-disable-next-line no-control-regex -- control characters are exactly what this looks for
    expect(usage.message).not.toMatch(/[\u0000-\u001f\u2028\u2029]/);
    expect(usage.message).not.toMatch(/is not valid JSON/); // V8's excerpt of the text is left out
    expect(usage.message.startsWith(`${FILE}:`)).toBe(true);
    return { error: usage };
  }
}

/** The line a message names, checked to exist in the text. */
function reportedLine(message: string, input: string): number | null {
  const match = /^case\.json:(\d+)[:]/.exec(message);
  if (!match) return null;
  const line = Number(match[1]);
  expect(line).toBeGreaterThanOrEqual(1);
  expect(line).toBeLessThanOrEqual(input.split('\n').length);
  return line;
}

/** Every path into a JSON value, containers included. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const paths = [prefix];
  if (Array.isArray(value)) value.forEach((item, i) => paths.push(...pathsOf(item, [...prefix, i])));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) paths.push(...pathsOf(v, [...prefix, k]));
  return paths;
}

/** A copy of `value` with the value at `path` replaced (or removed when `replacement` is undefined). */
function withValueAt(value: unknown, path: readonly (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  const copy = (Array.isArray(value) ? [...(value as unknown[])] : { ...(value as Record<string, unknown>) }) as Record<string | number, unknown>;
  const next = withValueAt(copy[head], rest, replacement);
  if (next === undefined && !Array.isArray(copy)) delete copy[head];
  else copy[head] = next;
  return copy;
}

const indent = fc.constantFrom<number | string>(0, 1, 2, 4, '\t');

describe('snapshot loader properties', () => {
  it('serialize(parse(x)) is x for every valid snapshot', () => {
    fc.assert(
      fc.property(snapshot, (s) => {
        const serialized = serializeSnapshot(s);
        const parsed = parseSnapshotText(FILE, serialized);
        expect(parsed).toEqual(s);
        expect(serializeSnapshot(parsed)).toBe(serialized);
      }),
      RUNS,
    );
  });

  it('any string is a snapshot or a one-line UsageError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme-ascii' }), fc.json()), (input) => {
        const result = parseOrUsageError(input);
        if ('error' in result) reportedLine(result.error.message, input);
      }),
      RUNS,
    );
  });

  it('a valid snapshot cut at any point is a one-line UsageError naming a line of the file', () => {
    fc.assert(
      fc.property(snapshot, indent, fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), (s, space, at) => {
        const full = JSON.stringify(s, null, space);
        const cut = full.slice(0, Math.floor(full.trimEnd().length * at));
        const result = parseOrUsageError(cut);
        expect('error' in result).toBe(true);
        if ('error' in result) expect(reportedLine(result.error.message, cut)).not.toBeNull();
      }),
      RUNS,
    );
  });

  it('a valid snapshot with one value replaced or removed, or one key added, is a snapshot or a one-line UsageError naming a line', () => {
    fc.assert(
      fc.property(snapshot, indent, fc.nat(), fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined)), fc.option(fc.string({ unit: 'binary' })), (s, space, pick, replacement, addedKey) => {
        const paths = pathsOf(s);
        const path = paths[pick % paths.length]!;
        const mutated = addedKey !== null ? withValueAt(s, [...path, addedKey], replacement ?? 1) : withValueAt(s, path, replacement);
        const input = JSON.stringify(mutated, null, space) ?? '';
        const result = parseOrUsageError(input);
        // A schemaVersion other than 1 is refused by name, without a line.
        if ('error' in result && !result.error.message.includes('schemaVersion')) expect(reportedLine(result.error.message, input)).not.toBeNull();
      }),
      RUNS,
    );
  });

  it('a valid snapshot with one character changed is a snapshot or a one-line UsageError', () => {
    fc.assert(
      fc.property(snapshot, indent, fc.nat(), fc.constantFrom(...'{}[],:"\\ x0-.\n\u0001é'), (s, space, pick, char) => {
        const full = JSON.stringify(s, null, space);
        const at = pick % full.length;
        const input = full.slice(0, at) + char + full.slice(at + 1);
        const result = parseOrUsageError(input);
        if ('error' in result && !result.error.message.includes('schemaVersion')) reportedLine(result.error.message, input);
      }),
      RUNS,
    );
  });
});

describe('snapshot file reading properties', () => {
  it('any bytes in a file (invalid UTF-8, a BOM, a snapshot with bytes appended) are a snapshot or a one-line UsageError', async () => {
    const dir = tempDir('bytes');
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.tuple(snapshot, fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([s, tail]) => Buffer.concat([Buffer.from(serializeSnapshot(s)), tail])),
      snapshot.map((s) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(serializeSnapshot(s))])),
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(bytes, async (content) => {
        const path = join(dir, `${n++}.json`);
        writeFileSync(path, content);
        const outcome = await readSnapshotFile(path).then(
          () => null,
          (error: unknown) => error,
        );
        if (outcome === null) return;
        expect(outcome).toBeInstanceOf(UsageError);
        expect(['E_SNAPSHOT_INVALID', 'E_SNAPSHOT_READ']).toContain((outcome as UsageError).code);
        // eslint-disable-next-line no-control-regex -- control characters are exactly what this looks for
        expect((outcome as UsageError).message).not.toMatch(/[\u0000-\u001f\u2028\u2029]/);
        expect((outcome as UsageError).message.startsWith(`${path}:`)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});

describe('position finding properties', () => {
  it('finds the line of every path of any JSON value, however it is indented', () => {
    const MARK = '\u0000position-mark\u0000';
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), indent, fc.nat(), (value, space, pick) => {
        const paths = pathsOf(value);
        const path = paths[pick % paths.length]!;
        const input = JSON.stringify(value, null, space);
        // The value at the path starts on the line where a marker put in its place ends up.
        const marked = JSON.stringify(withValueAt(value, path, MARK), null, space);
        const expected = marked.slice(0, marked.indexOf(JSON.stringify(MARK))).split('\n').length;
        expect(jsonLineOfPath(input, path)).toBe(expected);
      }),
      RUNS,
    );
  });

  it('points at the very token JSON.parse calls unexpected', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), indent, fc.nat(), fc.constantFrom(...'}],:x-+'), (value, space, pick, char) => {
        const valid = JSON.stringify(value, null, space);
        const at = pick % (valid.length + 1);
        const input = valid.slice(0, at) + char + valid.slice(at);
        let message = '';
        try {
          JSON.parse(input);
          return;
        } catch (error) {
          message = (error as Error).message;
        }
        const token = /^Unexpected token '(.)'/.exec(message)?.[1];
        fc.pre(token !== undefined);
        const { line, col } = jsonSyntaxError(input, new SyntaxError(message));
        expect(line).not.toBeNull();
        const lineStart = input.split('\n').slice(0, line! - 1).reduce((sum, l) => sum + l.length + 1, 0);
        expect(input[lineStart + col! - 1]).toBe(token);
      }),
      RUNS,
    );
  });
});
