import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HandleCapture, HandleRecord, KlistSessionRecord, LogonSessionRecord, SessionListCapture, SessionRow } from '../../src/captures/capture-types.js';
import { dayFirstOrder, parseLocalisedDate } from '../../src/captures/localised-dates.js';
import { readCaptureBytes } from '../../src/captures/read-capture.js';
import { formatLogonId } from '../../src/model/logon-id.js';
import { SESSION_STATES } from '../../src/model/session-states.js';
import { encodeCapture, ENCODINGS, type Layout } from './render/encoding.js';
import { formatLogonTime, LOCALES } from './render/locales.js';
import { renderHandleCsv, renderHandleDump, renderHandleSearch, renderHandleSummary, HANDLE_VERSIONS } from './render/render-handle.js';
import { renderKlistSessions } from './render/render-klist.js';
import { LOGONSESSIONS_VERSIONS, renderLogonSessions } from './render/render-logonsessions.js';
import { renderQuser, renderQwinsta } from './render/render-session-table.js';

const RUNS = { numRuns: 150 };

/**
 * Letters every code page used here can carry; the accented ones tell cp850 from windows-1252. (`à` is
 * left out: in windows-1252 it is the byte of cp850 `Ó`, a limit docs/analyze.md states.)
 */
const LETTERS = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', ...'äöüÄÖÜßéèçñ'];
const word = (min: number, max: number, extra = '') => fc.string({ unit: fc.constantFrom(...LETTERS, ...extra), minLength: min, maxLength: max });
/** A name with single inner blanks allowed (`NT AUTHORITY`, `John Smith`), none at the ends. */
const name = (max: number, extra = '') =>
  fc.array(word(1, 8, extra), { minLength: 1, maxLength: 3 }).map((parts) => parts.join(' ').slice(0, max).trim()).filter((s) => s.length > 0);

const layout: fc.Arbitrary<Layout> = fc.record({
  eol: fc.constantFrom('\r\n' as const, '\n' as const),
  trailingBlanks: fc.boolean(),
  banner: fc.boolean(),
  leadingBlankLines: fc.integer({ min: 0, max: 2 }),
});
const encoding = fc.constantFrom(...ENCODINGS);
const logonId = fc.tuple(fc.nat({ max: 3 }), fc.nat({ max: 0xffffffff })).map(([h, l]) => formatLogonId(h, l));
const date = fc.date({ min: new Date('2001-01-01T00:00:00Z'), max: new Date('2037-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => new Date(Math.floor(d.getTime() / 1000) * 1000));
const LOGON_TYPE_SPELLINGS = ['Interactive', 'RemoteInteractive', 'Network', 'Service', 'Batch', '(none)', 'CachedInteractive', 'NewCredentials', 'Unlock'];

function read(file: string, text: string, enc: (typeof ENCODINGS)[number]) {
  return readCaptureBytes(file, encodeCapture(text, enc)).capture;
}

describe('logonsessions: parse(render(x)) = x in every version, layout, locale and encoding', () => {
  const record = (withProcesses: boolean, locale: (typeof LOCALES)[number]): fc.Arbitrary<LogonSessionRecord> =>
    fc.record({
      logonId,
      domain: fc.oneof(name(15, '-'), fc.constant('NT AUTHORITY'), fc.constant('Window Manager')),
      user: name(20, '-.$_'),
      authPackage: fc.constantFrom('Negotiate', 'Kerberos', 'NTLM', ''),
      logonType: fc.constantFrom(...LOGON_TYPE_SPELLINGS),
      sessionId: fc.integer({ min: 0, max: 70_000 }),
      sid: fc.option(fc.nat().map((n) => `S-1-5-21-2684510436-795239710-1557501712-${n}`), { nil: null }),
      logonTime: fc.option(date.map((d) => formatLogonTime(d, locale)), { nil: null }),
      processes: withProcesses ? fc.array(fc.record({ pid: fc.integer({ min: 0, max: 99_999 }), image: name(30, '.-_').map((s) => `${s}.exe`) }), { maxLength: 4 }) : fc.constant(null),
    });
  const input = fc.tuple(fc.boolean(), fc.constantFrom(...LOCALES)).chain(([withProcesses, locale]) =>
    fc.record({
      records: fc.uniqueArray(record(withProcesses, locale), { minLength: 1, maxLength: 8, selector: (r) => r.logonId }),
      layout,
      encoding,
      version: fc.constantFrom(...LOGONSESSIONS_VERSIONS),
    }),
  );

  it('round-trips', () => {
    fc.assert(
      fc.property(input, ({ records, layout: l, encoding: enc, version }) => {
        const capture = read('logonsessions.txt', renderLogonSessions(records, l, version), enc);
        // Without any process line the output cannot show that -p was given.
        const anyProcess = records.some((r) => (r.processes ?? []).length > 0);
        const expected = records.map((r) => ({ ...r, processes: anyProcess ? r.processes : null }));
        expect(capture.tool).toBe('logonsessions');
        if (capture.tool !== 'logonsessions') return;
        expect(capture.sessions).toEqual(expected);
        expect(capture.unknownLines).toEqual([]);
      }),
      RUNS,
    );
  });

  it('reads logon times back in every locale (day and month order decided per file)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...LOCALES), fc.array(date, { minLength: 1, maxLength: 6 }), (locale, dates) => {
        const texts = dates.map((d) => formatLogonTime(d, locale));
        const dayFirst = dayFirstOrder(texts);
        // en-US and single ambiguous dates (day <= 12) are told apart by AM/PM and the separator.
        expect(texts.map((t) => parseLocalisedDate(t, dayFirst))).toEqual(dates.map((d) => d.toISOString()));
      }),
      RUNS,
    );
  });
});

describe('handle: parse(render(x)) = x for search, dump, CSV and summary output', () => {
  const handleRecord: fc.Arbitrary<HandleRecord> = fc.record({
    image: fc.oneof(fc.constant('System'), name(20, '.-_').map((s) => `${s.replace(/ /g, '')}.exe`)),
    pid: fc.integer({ min: 0, max: 999_999 }),
    type: fc.constantFrom('Token', 'Directory', 'Key', 'Event', 'File', 'Process', 'Thread'),
    handle: fc.integer({ min: 4, max: 0xfffff }).map((h) => h - (h % 4)),
    name: fc.oneof(
      fc.tuple(name(10), name(20, '-.'), logonId).map(([d, u, id]) => `${d}\\${u}:${Number.parseInt(id.split(':')[1] ?? '0', 16).toString(16)}`),
      fc.constant('\\Sessions\\0\\DosDevices\\00000000-0017c025'),
      fc.constant('HKLM\\SOFTWARE\\Microsoft'),
      fc.constant('C:\\Windows\\System32\\en-US\\svchost.exe.mui'),
    ),
  });

  const common = { layout, encoding, version: fc.constantFrom(...HANDLE_VERSIONS) };

  it('round-trips search output (handle -a 17c025), with and without -u', () => {
    fc.assert(
      fc.property(fc.record({ records: fc.array(handleRecord, { maxLength: 12 }), user: fc.option(fc.constantFrom('NT AUTHORITY\\SYSTEM', 'HK\\test01'), { nil: null }), ...common }), (x) => {
        const capture = read('handle-a.txt', renderHandleSearch(x.records, x.layout, x.version, x.user), x.encoding) as HandleCapture;
        expect(capture.handles).toEqual(x.records);
        expect(capture.unknownLines).toEqual([]);
      }),
      RUNS,
    );
  });

  it('round-trips the whole-system dump (separators and process headers)', () => {
    fc.assert(
      fc.property(fc.record({ records: fc.array(handleRecord, { minLength: 1, maxLength: 12 }), ...common }), (x) => {
        // One process, one image: a pid's handles are listed under one header.
        const imageOf = new Map(x.records.map((r) => [r.pid, r.image] as const).reverse());
        const records = x.records.map((r) => ({ ...r, image: imageOf.get(r.pid) ?? r.image }));
        const capture = read('handle-all.txt', renderHandleDump(records, x.layout, x.version), x.encoding) as HandleCapture;
        expect(capture.handles).toEqual(records);
        expect(capture.form).toBe('dump');
        expect(capture.unknownLines).toEqual([]);
      }),
      RUNS,
    );
  });

  it('round-trips -v CSV (5 and 7 columns), commas in names included', () => {
    const withCommas = handleRecord.chain((r) => fc.constantFrom(r, { ...r, type: 'File', name: 'C:\\Data\\a,b.txt' }));
    fc.assert(
      fc.property(fc.record({ records: fc.array(withCommas, { minLength: 1, maxLength: 12 }), wholeSystem: fc.boolean(), ...common }), (x) => {
        const capture = read('handle-v.csv', renderHandleCsv(x.records, x.layout, x.version, x.wholeSystem), x.encoding) as HandleCapture;
        expect(capture.handles).toEqual(x.records);
        expect(capture.form).toBe('csv');
      }),
      RUNS,
    );
  });

  it('round-trips the -s summary', () => {
    const summary = fc.uniqueArray(fc.tuple(fc.constantFrom('ALPC Port', 'Desktop', 'Token', 'File', 'Key', 'Event', 'WindowStation'), fc.nat({ max: 100_000 })), { minLength: 1, selector: (t) => t[0] });
    fc.assert(
      fc.property(fc.record({ summary, ...common }), (x) => {
        const map = new Map(x.summary);
        const capture = read('handle-s.txt', renderHandleSummary(map, x.layout, x.version), x.encoding) as HandleCapture;
        expect(capture.form).toBe('summary');
        expect(capture.summary).toEqual(map);
      }),
      RUNS,
    );
  });
});

describe('qwinsta and quser: parse(render(x)) = x in every language and encoding', () => {
  const sessionName = fc.oneof(
    fc.constantFrom('services', 'console', 'rdp-tcp', 'ica-cgp'),
    fc.tuple(fc.constantFrom('rdp-tcp#', 'ica-cgp#', 'RDP-Tcp#'), fc.nat({ max: 9999 })).map(([p, n]) => `${p}${n}`),
  );
  const row = (forQuser: boolean): fc.Arbitrary<SessionRow> =>
    fc.record({
      sessionId: fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.constant(65536), fc.constant(65537)),
      // Disconnected sessions have no name; listeners have no user.
      sessionName: fc.oneof(sessionName, fc.constant('')),
      user: forQuser ? name(20, '._-') : fc.oneof(name(20, '._-'), fc.constant('')),
      state: fc.constantFrom(...SESSION_STATES),
      current: fc.constant(false),
    });
  const rows = (forQuser: boolean) =>
    fc
      .uniqueArray(row(forQuser), { minLength: 1, maxLength: 10, selector: (r) => r.sessionId })
      .chain((rs) => fc.nat({ max: rs.length - 1 }).map((i) => rs.map((r, j) => ({ ...r, current: i === j }))));

  it('round-trips qwinsta / query session', () => {
    fc.assert(
      fc.property(fc.record({ rows: rows(false), locale: fc.constantFrom(...LOCALES), layout, encoding }), (x) => {
        const capture = read('qwinsta.txt', renderQwinsta(x.rows, x.locale, x.layout), x.encoding) as SessionListCapture;
        expect(capture.tool).toBe('qwinsta');
        expect(capture.sessions).toEqual(x.rows);
        expect(capture.unknownLines).toEqual([]);
      }),
      RUNS,
    );
  });

  it('round-trips quser / query user', () => {
    fc.assert(
      fc.property(fc.record({ rows: rows(true), locale: fc.constantFrom(...LOCALES), layout, encoding, when: date }), (x) => {
        const capture = read('quser.txt', renderQuser(x.rows, x.locale, x.layout, formatLogonTime(x.when, x.locale).replace(/:\d\d( |$)/, '$1')), x.encoding) as SessionListCapture;
        expect(capture.tool).toBe('quser');
        expect(capture.sessions).toEqual(x.rows);
        expect(capture.unknownLines).toEqual([]);
      }),
      RUNS,
    );
  });
});

describe('klist sessions: parse(render(x)) = x', () => {
  const record: fc.Arbitrary<KlistSessionRecord> = fc.record({
    logonId,
    sessionId: fc.integer({ min: 0, max: 70_000 }),
    domain: fc.oneof(name(15, '-'), fc.constant('NT AUTHORITY')),
    user: name(20, '-.$_'),
    authPackage: fc.constantFrom('Negotiate', 'Kerberos', 'NTLM'),
    logonType: fc.constantFrom('Interactive', 'RemoteInteractive', 'Service', 'Network', '(0)', 'CachedInteractive'),
  });
  it('round-trips, the word "Session" translated or not', () => {
    fc.assert(
      fc.property(fc.uniqueArray(record, { minLength: 1, maxLength: 8, selector: (r) => r.logonId }), layout, encoding, fc.constantFrom('Session', 'Sitzung', 'Sesión'), (records, l, enc, sessionWord) => {
        const capture = read('klist-sessions.txt', renderKlistSessions(records, l, sessionWord), enc);
        expect(capture.tool).toBe('klist');
        if (capture.tool === 'klist') expect(capture.sessions).toEqual(records);
      }),
      RUNS,
    );
  });
});
