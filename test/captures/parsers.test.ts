import { describe, expect, it } from 'vitest';
import { capturesToSnapshot } from '../../src/captures/captures-to-snapshot.js';
import { logonIdOfTokenName, parseHandle } from '../../src/captures/handle-parser.js';
import { parseKlistSessions } from '../../src/captures/klist-parser.js';
import { dayFirstOrder, parseLocalisedDate } from '../../src/captures/localised-dates.js';
import { logonTypeFromPrinted } from '../../src/captures/logon-type-names.js';
import { parseLogonSessions } from '../../src/captures/logonsessions-parser.js';
import { parseQuser } from '../../src/captures/quser-parser.js';
import { parseQwinsta } from '../../src/captures/qwinsta-parser.js';
import { decodeCapture } from '../../src/captures/text-decoding.js';
import { toolClaimedByName } from '../../src/captures/tool-detector.js';

describe('logon times in the formats seen in published outputs', () => {
  const cases: [string[], string, string][] = [
    [['06.04.2017 01:16:36'], '06.04.2017 01:16:36', '2017-04-06T01:16:36.000Z'],
    [['9/9/2020 6:07:57 AM'], '9/9/2020 6:07:57 AM', '2020-09-09T06:07:57.000Z'],
    [['5/21/2022 4:30:44 PM'], '5/21/2022 4:30:44 PM', '2022-05-21T16:30:44.000Z'],
    [['7/2/2015 12:05:31 AM'], '7/2/2015 12:05:31 AM', '2015-07-02T00:05:31.000Z'],
    [['19/01/2025 9:19:04'], '19/01/2025 9:19:04', '2025-01-19T09:19:04.000Z'],
    [['18/01/2025 14:08:13', '01/02/2025 10:00:00'], '01/02/2025 10:00:00', '2025-02-01T10:00:00.000Z'],
    [['2017-04-06 01:16:36'], '2017-04-06 01:16:36', '2017-04-06T01:16:36.000Z'],
  ];
  it.each(cases)('%s: %s', (file, text, iso) => {
    expect(parseLocalisedDate(text, dayFirstOrder(file))).toBe(iso);
  });

  it('refuses dates that do not exist rather than rolling them over', () => {
    expect(parseLocalisedDate('31.02.2017 01:00:00', true)).toBeNull();
    expect(parseLocalisedDate('2/30/2017 1:00:00 PM', false)).toBeNull();
    expect(parseLocalisedDate('13/13/2017 25:61:61', true)).toBeNull();
    expect(parseLocalisedDate('yesterday', true)).toBeNull();
  });
});

describe('logonsessions.exe', () => {
  it('reads the anonymous logon session (no user, Sid (none)) and counts a field it does not know', () => {
    const capture = parseLogonSessions(
      ['[1] Logon session 00000000:0000ca74:', '    User name:', '    Auth package: NTLM', '    Logon type:   (none)', '    Session:      0', '    Sid:          (none)', '    Colour:       blue'].join('\r\n'),
    );
    expect(capture.sessions).toEqual([{ logonId: '00000000:0000ca74', user: '', domain: '', authPackage: 'NTLM', logonType: '(none)', sessionId: 0, sid: null, logonTime: null, processes: null }]);
    expect(capture.unknownLines).toEqual([7]);
  });

  it('maps printed logon types to the metric spelling', () => {
    expect(logonTypeFromPrinted('RemoteInteractive')).toBe('remote_interactive');
    expect(logonTypeFromPrinted('(none)')).toBe('system');
    expect(logonTypeFromPrinted('(0)')).toBe('system');
    expect(logonTypeFromPrinted('CachedRemoteInteractive')).toBe('cached_remote_interactive');
    expect(logonTypeFromPrinted('10')).toBe('remote_interactive');
    expect(logonTypeFromPrinted('Telepathic')).toBeNull();
  });
});

describe('handle.exe', () => {
  it('takes the logon id from a token name, however the user is spelled', () => {
    expect(logonIdOfTokenName('HK\\test01:17c025')).toBe('00000000:0017c025');
    expect(logonIdOfTokenName('HK\\Ada Bee:0x17C025')).toBe('00000000:0017c025');
    expect(logonIdOfTokenName('Window Manager\\DWM-3:17b9a0')).toBe('00000000:0017b9a0');
    expect(logonIdOfTokenName('<unknown>')).toBeNull();
  });

  it('reads a search line whose user name contains a blank without mistaking part of it for the handle', () => {
    const capture = parseHandle('svchost.exe        pid: 1064   type: Token          804: HK\\ada bee:17c025');
    expect(capture.handles).toEqual([{ image: 'svchost.exe', pid: 1064, type: 'Token', handle: 0x804, name: 'HK\\ada bee:17c025' }]);
  });

  it('reads ALPC Port handles, share flags and handles above FFFF in a dump', () => {
    const capture = parseHandle(
      ['------------------------------------------------------------------------------', 'lsass.exe pid: 784 NT AUTHORITY\\SYSTEM', '  5A4: ALPC Port     \\RPC Control\\lsasspirpc', '   1C: File  (RW-)   C:\\Windows\\System32', '10A48: Token         HK\\test01:17c025'].join('\n'),
    );
    expect(capture.handles.map((h) => [h.type, h.handle, h.name])).toEqual([
      ['ALPC Port', 0x5a4, '\\RPC Control\\lsasspirpc'],
      ['File', 0x1c, 'C:\\Windows\\System32'],
      ['Token', 0x10a48, 'HK\\test01:17c025'],
    ]);
    expect(capture.unknownLines).toEqual([]);
  });
});

describe('qwinsta and quser', () => {
  it('reads the article: the > marker, sessions without a user, states', () => {
    const capture = parseQwinsta(
      [' SESSIONNAME       USERNAME                 ID  STATE   TYPE        DEVICE', ' services                                    0  Disc', '>rdp-tcp#1         Helge                     3  Active', ' rdp-tcp                                 65536  Listen'].join('\r\n'),
    );
    expect(capture.sessions).toEqual([
      { sessionId: 0, sessionName: 'services', user: '', state: 'disconnected', current: false },
      { sessionId: 3, sessionName: 'rdp-tcp#1', user: 'Helge', state: 'active', current: true },
      { sessionId: 65536, sessionName: 'rdp-tcp', user: '', state: 'listen', current: false },
    ]);
  });

  it('keeps a session name longer than its column whole', () => {
    const capture = parseQwinsta([' SESSIONNAME       USERNAME                 ID  STATE   TYPE        DEVICE', ' 31C5CE94259D4006A9E4#0 anna                  7  Active'].join('\n'));
    expect(capture.sessions).toEqual([{ sessionId: 7, sessionName: '31C5CE94259D4006A9E4#0', user: 'anna', state: 'active', current: false }]);
  });

  it('reads a quser row shifted by a character and a user name cut at 20 characters', () => {
    const capture = parseQuser(
      [' USERNAME              SESSIONNAME        ID  STATE   IDLE TIME  LOGON TIME', '>christopher.montgom  ica-cgp#41         12  Active          .  3/29/2022 8:05 AM', ' john smith                                5  Disc         1:02  3/29/2022 7:01 AM'].join('\n'),
    );
    expect(capture.sessions).toEqual([
      { sessionId: 12, sessionName: 'ica-cgp#41', user: 'christopher.montgom', state: 'active', current: true },
      { sessionId: 5, sessionName: '', user: 'john smith', state: 'disconnected', current: false },
    ]);
  });

  it('matches a cut user name to its logon session, so the live session is not taken for a reused one', () => {
    const quser = parseQuser([' USERNAME              SESSIONNAME        ID  STATE   IDLE TIME  LOGON TIME', '>christopher.montgome  ica-cgp#41         12  Active          .  3/29/2022 8:05 AM'].join('\n'));
    const logons = parseLogonSessions(['[1] Logon session 00000000:0a3c1f20:', '    User name:    CORP\\christopher.montgomery', '    Logon type:   RemoteInteractive', '    Session:      12'].join('\n'));
    const { snapshot } = capturesToSnapshot([quser, logons], '2022-03-29T09:00:00.000Z');
    expect(snapshot.wtsSessions).toEqual([{ sessionId: 12, name: 'ica-cgp#41', state: 'active', user: 'christopher.montgomery', domain: 'CORP' }]);
  });
});

describe('klist sessions', () => {
  it('reads accounts with blanks, the anonymous "\\" account and trailing blanks', () => {
    const capture = parseKlistSessions(
      ['', 'Current LogonId is 0:0xa54c6', '[2] Session 0 0:0x3e5 NT AUTHORITY\\LOCAL SERVICE Negotiate:Service', '[8] Session 0 0:0xa748 \\ NTLM:(0)', '[2] Session 2 0:0xa06a5 Window Manager\\DWM-2 Negotiate:Interactive              '].join('\r\n'),
    );
    expect(capture.sessions.map((s) => [s.logonId, s.domain, s.user, s.logonType])).toEqual([
      ['00000000:000003e5', 'NT AUTHORITY', 'LOCAL SERVICE', 'Service'],
      ['00000000:0000a748', '', '', '(0)'],
      ['00000000:000a06a5', 'Window Manager', 'DWM-2', 'Interactive'],
    ]);
    expect(capture.unknownLines).toEqual([]);
  });
});

describe('encodings and file names', () => {
  it('reads UTF-16 without a BOM and tries both code pages for bytes that are not UTF-8', () => {
    expect(decodeCapture(Buffer.from(' SESSIONNAME  USERNAME', 'utf16le')).map((d) => d.encoding)).toEqual(['utf-16le']);
    expect(decodeCapture(Buffer.from([0x41, 0x62, 0x68, 0x94, 0x72, 0x2e])).map((d) => [d.encoding, d.text])).toEqual([
      ['cp850', 'Abhör.'],
      ['windows-1252', 'Abh”r.'],
    ]);
  });

  it('takes a tool from a file name only when exactly one is named', () => {
    expect(toolClaimedByName('C:\\support\\RDS01-logonsessions-p.txt')).toBe('logonsessions');
    expect(toolClaimedByName('query_user.txt')).toBe('quser');
    expect(toolClaimedByName('query session.txt')).toBe('qwinsta');
    expect(toolClaimedByName('qwinsta-and-handle.txt')).toBeNull();
    expect(toolClaimedByName('capture1.txt')).toBeNull();
  });
});

describe('session table headers in a translation not listed', () => {
  it('tells quser from qwinsta by the column that names the session', () => {
    const quser = parseQuser([' NAZWA UŻYTKOWNIKA     NAZWA SESJI        ID  STAN    CZAS BEZCZ. CZAS LOGOWANIA', '>anna                  rdp-tcp#2           2  Active          .  29.03.2022 08:05'].join('\n'));
    expect(quser.sessions.map((s) => [s.user, s.sessionName, s.sessionId])).toEqual([['anna', 'rdp-tcp#2', 2]]);
    const qwinsta = parseQwinsta([' NAZWA SESJI       NAZWA UŻYTKOWNIKA        ID  STAN    TYP         URZĄDZENIE', '>rdp-tcp#2         anna                      2  Active  rdpwd'].join('\n'));
    expect(qwinsta.sessions.map((s) => [s.user, s.sessionName, s.sessionId])).toEqual([['anna', 'rdp-tcp#2', 2]]);
  });
});

describe('code-page text that happens to be valid UTF-8', () => {
  it('is read in the code page whose letters it holds (cp850 ßéç are also the UTF-8 bytes of U+1087)', async () => {
    const { decodeCapture, readingScore } = await import('../../src/captures/text-decoding.js');
    const { default: iconv } = await import('iconv-lite');
    const readings = decodeCapture(iconv.encode('svchost ßéça.exe pid: 0\r\n', 'cp850'));
    const best = readings.reduce((a, b) => (readingScore(b.text) > readingScore(a.text) ? b : a));
    expect(best).toMatchObject({ encoding: 'cp850', text: 'svchost ßéça.exe pid: 0\r\n' });
    // Real UTF-8 stays UTF-8 alone.
    expect(decodeCapture(Buffer.from('Sitzung Müller\r\n', 'utf8')).map((d) => d.encoding)).toEqual(['utf-8']);
  });
});
