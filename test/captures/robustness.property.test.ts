import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeSnapshot } from '../../src/analysis/analyze.js';
import { EMPTY_HISTORY } from '../../src/analysis/zombie-tracker.js';
import { CAPTURE_TOOLS, recordCount, type Capture } from '../../src/captures/capture-types.js';
import { capturesToSnapshot } from '../../src/captures/captures-to-snapshot.js';
import { readCaptureBytes } from '../../src/captures/read-capture.js';
import { parseAs } from '../../src/captures/tool-detector.js';
import { UsageError } from '../../src/errors.js';
import { snapshotSchema } from '../../src/model/snapshot.js';

const RUNS = { numRuns: 300 };

/** Lines of every supported format, some broken on purpose, to reach deep into the parsers. */
const FRAGMENTS = [
  'LogonSessions v1.41 - Lists logon session information',
  'Nthandle v5.0 - Handle viewer',
  '[3] Logon session 00000000:0017c025:',
  '[4] Logon session ffffffff:ffffffff',
  '[5] Logon session 0:1:',
  '    User name:    HK\\test01',
  '    User name:    ',
  '    Logon type:   RemoteInteractive',
  '    Logon type:   Strange',
  '    Session:      4',
  '    Session:      99999999999',
  '    Session:      -1',
  '    Sid:          S-1-5-18',
  '    Logon time:   06.04.2017 01:16:36',
  '    Logon time:   13/13/2017 25:61:61',
  '    Logon time:   2/30/2017 1:00:00 PM',
  '    Logon time:   31/12/99999 01:00:00',
  '     1234: explorer.exe',
  '     99999999999: x',
  'System             pid: 4      type: Token          D88: HK\\test01:17c025',
  'System             pid: 99999999999999999999 type: Token  D88: HK\\a:1',
  'lsass.exe pid: 960 type: Token FFFFFFFFFFFFFFFFFFFF: HK\\x:ffffffffff',
  '-'.repeat(78),
  'lsass.exe pid: 960 NT AUTHORITY\\SYSTEM',
  '  804: Token         HK\\test01:17c025',
  '  804: Token',
  'FFFFFFFFFFFFFFFFFFFFFF: Token x:1',
  'Handle type summary:',
  '  Token           : 1203',
  '  Token           : 99999999999999999999999',
  'Total handles: 5',
  'Process,PID,Type,Handle,Name',
  'Process,PID',
  'a,1,Token,0xD88,HK\\a:1',
  ',,,,',
  'a,999999999999999,Token,0xFFFFFFFFFFFFFFFFFFFF,HK\\a:1',
  ' SESSIONNAME       USERNAME                 ID  STATE   TYPE        DEVICE',
  ' USERNAME              SESSIONNAME        ID  STATE   IDLE TIME  LOGON TIME',
  ' SITZUNGSNAME      BENUTZERNAME             ID  STATUS  TYP         GERÄT',
  ' ID',
  '>rdp-tcp#1         Helge                     3  Active',
  '                   müller                    5  Getr.',
  ' rdp-tcp                                 65536  Abhör.  rdpwd',
  ' rdp-tcp                                 99999999999  Listen',
  ' x                                           7  Unknownstate',
  '>helge                 rdp-tcp#1           3  Active          .  06.04.2017 01:16',
  'No User exists for *',
  'Current LogonId is 0:0x17c025',
  '[0] Session 4 0:0x17c025 HK\\test01 Kerberos:RemoteInteractive',
  '[1] Session 99999999999 0:0x1 a Kerberos:Weird',
  '[1] Session 0 0:0x1 Kerberos:',
  '[8] Session 0 0:0xa748 \\ NTLM:(0)',
  'Process,PID,User,Handle,Type,Share Flags,Name',
  'lsass.exe,712,NT AUTHORITY\\SYSTEM,0x000009C4,Token,,CORP\\dana:a3b0c11 ',
  '    Sid:          (none)',
  'C:\\>handle.exe -a 17c025',
  '',
  '   ',
  '\u00a0',
];

const line = fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 60 }), fc.string({ unit: 'grapheme', maxLength: 30 }));
const text = fc.tuple(fc.array(line, { maxLength: 40 }), fc.constantFrom('\r\n', '\n', '\r', '\r\r\n')).map(([lines, eol]) => lines.join(eol));

describe('no input makes a parser throw', () => {
  for (const tool of CAPTURE_TOOLS) {
    it(`${tool}: always returns, with unknown line numbers inside the text`, () => {
      fc.assert(
        fc.property(fc.oneof(text, fc.string({ maxLength: 500 })), (t) => {
          const capture = parseAs(tool, t);
          const lineCount = t.split(/\r*\n|\r/).length;
          for (const n of capture.unknownLines) expect(n >= 1 && n <= lineCount).toBe(true);
          expect(recordCount(capture)).toBeLessThanOrEqual(lineCount);
        }),
        RUNS,
      );
    });
  }
});

describe('reading a file throws only the documented error', () => {
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 400 }),
    text.map((t) => new Uint8Array(Buffer.from(t, 'utf8'))),
    text.map((t) => new Uint8Array(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(t, 'utf16le')]))),
  );
  it('returns a capture or throws UsageError E_CAPTURE_UNRECOGNISED (exit 2)', () => {
    fc.assert(
      fc.property(bytes, fc.constantFrom('capture.txt', 'logonsessions.txt', 'qwinsta.txt', 'handle.txt', 'quser.txt', 'klist.txt'), (b, file) => {
        try {
          const read = readCaptureBytes(file, b);
          expect(CAPTURE_TOOLS).toContain(read.capture.tool);
        } catch (error) {
          expect(error).toBeInstanceOf(UsageError);
          expect((error as UsageError).code).toBe('E_CAPTURE_UNRECOGNISED');
          expect((error as UsageError).exitCode).toBe(2);
          expect((error as UsageError).message.startsWith(`${file}: `)).toBe(true);
          expect((error as UsageError).message).not.toContain('\n');
        }
      }),
      RUNS,
    );
  });
});

describe('any parsed captures make a valid snapshot that the analysis accepts', () => {
  it('never throws, and the snapshot passes the model schema', () => {
    const captures = fc.array(fc.tuple(fc.constantFrom(...CAPTURE_TOOLS), text), { maxLength: 5 }).map((list) => list.map(([tool, t]): Capture => parseAs(tool, t)));
    fc.assert(
      fc.property(captures, (list) => {
        const { snapshot } = capturesToSnapshot(list, '2024-03-05T09:00:00.000Z');
        expect(snapshotSchema.safeParse(snapshot).success).toBe(true);
        const { analysis } = analyzeSnapshot(snapshot, EMPTY_HISTORY, { gracePeriodMs: 0, zombieLogonTypes: new Set(['remote_interactive', 'interactive']) });
        for (const z of analysis.zombies ?? []) expect(z.logon.sessionId).toBeGreaterThan(0);
      }),
      RUNS,
    );
  });
});
