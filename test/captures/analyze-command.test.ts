import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runAnalyze, type AnalyzeFormat } from '../../src/captures/analyze-command.js';
import { Exposition } from '../fixtures/exposition.js';
import { tempDir } from '../fixtures/temp-dir.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/captures');
const fixture = (...parts: string[]) => join(FIXTURES, ...parts);
const ARTICLE = ['logonsessions.txt', 'handle-a-17c025.txt', 'qwinsta.txt'].map((f) => fixture('article', f));

async function analyze(files: readonly string[], format: AnalyzeFormat = 'text') {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (b: Buffer) => out.push(b));
  stderr.on('data', (b: Buffer) => err.push(b));
  const code = await runAnalyze(files, format, { stdout, stderr });
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

interface JsonZombie {
  logonId: string;
  sessionId: number;
  user: string;
  domain: string;
  reason: string;
  logonTime: string | null;
  holders: { image: string; pid: number; handles: number }[];
}
interface JsonReport {
  zombies: JsonZombie[] | null;
  evidence?: string;
  note?: string;
  inputs: { file: string; tool: string; records: number; unknownLines: number }[];
  notes: string[];
  sessions: { present: number; highestSessionId: number; byState: Record<string, number> } | null;
}

/** The article's `handle -a 17c025`: holders and their handle counts. */
const ARTICLE_HOLDERS = [
  { image: 'System', pid: 4, handles: 4 },
  { image: 'lsass.exe', pid: 960, handles: 4 },
  { image: 'svchost.exe', pid: 1064, handles: 2 },
  { image: 'svchost.exe', pid: 1100, handles: 2 },
  { image: 'svchost.exe', pid: 1424, handles: 1 },
  { image: 'CtxSvcHost.exe', pid: 2148, handles: 1 },
  { image: 'svchost.exe', pid: 2960, handles: 1 },
  { image: 'svchost.exe', pid: 3164, handles: 1 },
];

describe('analyze on the article (logonsessions, handle -a 17c025, qwinsta)', () => {
  it('text: finds 0x17c025 of HK\\test01 in session 4, not yet confirmed, with its holders', async () => {
    const r = await analyze(ARTICLE);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('Orphaned logon sessions, not yet confirmed: 1, pinning session IDs 4');
    expect(r.stdout).toContain('Orphaned logon session (not yet confirmed) 00000000:0017c025  session 4  remote_interactive  HK\\test01 (user)');
    expect(r.stdout).toContain('A single capture cannot show');
    for (const h of ARTICLE_HOLDERS) expect(r.stdout).toMatch(new RegExp(`\\n  ${h.image.replace('.', '\\.')} +${h.pid} +${h.handles}\\n`));
    expect(r.stdout).toContain('confirm with: handle.exe -a 17c025');
    // Helge is still logged on in session 3 (qwinsta shows him): no zombie.
    expect(r.stdout).not.toContain('000fd2f5');
    expect(r.stdout).not.toMatch(/^Zombie logon sessions: 0/m);
  });

  it('json: the zombie, its holders, the inputs and the evidence', async () => {
    const r = await analyze(ARTICLE, 'json');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(report.evidence).toBe('single_capture');
    expect(report.zombies).toHaveLength(1);
    const z = report.zombies?.[0];
    expect(z).toMatchObject({ logonId: '00000000:0017c025', sessionId: 4, user: 'test01', domain: 'HK', reason: 'session_gone' });
    expect(z?.holders).toEqual(ARTICLE_HOLDERS);
    expect(report.inputs).toEqual([
      { file: ARTICLE[0], tool: 'logonsessions', records: 2, unknownLines: 0 },
      { file: ARTICLE[1], tool: 'handle', records: 17, unknownLines: 0 },
      { file: ARTICLE[2], tool: 'qwinsta', records: 4, unknownLines: 0 },
    ]);
  });

  it('prom: the zombie series and leaked handles per process, marked unconfirmed', async () => {
    const r = await analyze(ARTICLE, 'prom');
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')[0]).toMatch(/^# rds-leak-exporter analyze: one capture/);
    expect(r.stdout).toContain('# orphaned 00000000:0017c025 session 4: System pid 4 (4), lsass.exe pid 960 (4), svchost.exe pid 1064 (2)');
    const e = new Exposition(r.stdout);
    expect(e.series('rdsleak_zombie_logon_session_info')).toEqual([
      { labels: { logon_id: '00000000:0017c025', session_id: '4', logon_type: 'remote_interactive', account_kind: 'user' }, value: 1 },
    ]);
    expect(e.value('rdsleak_leaked_token_handles', { process: 'svchost' })).toBe(7);
    expect(e.value('rdsleak_leaked_token_handles', { process: 'System' })).toBe(4);
    expect(e.value('rdsleak_leaked_token_handles', { process: 'lsass' })).toBe(4);
    expect(e.value('rdsleak_leaked_token_handles', { process: 'CtxSvcHost' })).toBe(1);
    expect(e.value('rdsleak_session_id_highest')).toBe(6);
    // Privacy as on /metrics: no user names unless asked for.
    expect(r.stdout).not.toContain('test01');
  });
});

describe('analyze on hosts in other languages and encodings', () => {
  it('German host (logonsessions -p in UTF-16LE, handle dump and qwinsta in cp850, quser in UTF-8 with BOM)', async () => {
    const files = ['logonsessions-p.txt', 'handle-a.txt', 'qwinsta.txt', 'quser.txt'].map((f) => fixture('de-host', f));
    const r = await analyze(files, 'json');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(report.inputs.map((i) => [i.tool, i.records, i.unknownLines])).toEqual([
      ['logonsessions', 13, 0],
      ['handle', 18, 0],
      ['qwinsta', 7, 0],
      ['quser', 3, 0],
    ]);
    const zombies = report.zombies?.map((z) => [z.logonId, z.sessionId, `${z.domain}\\${z.user}`, z.reason]);
    expect(zombies).toEqual([
      ['00000000:0017b9a0', 3, 'Window Manager\\DWM-3', 'session_gone'],
      ['00000000:0017c025', 3, 'HK\\test01', 'session_gone'],
      ['00000000:001d4410', 4, 'HK\\meier', 'session_reused'],
    ]);
    expect(report.zombies?.[1]?.holders).toEqual([
      { image: 'System', pid: 4, handles: 2 },
      { image: 'svchost.exe', pid: 1064, handles: 2 },
      { image: 'lsass.exe', pid: 784, handles: 1 },
      { image: 'CtxSvcHost.exe', pid: 2148, handles: 1 },
    ]);
    // Getr., Verb., Aktiv and Abhör. read; the console, jürgen, schmidt and the nameless müller row present.
    expect(report.sessions).toMatchObject({ present: 4, highestSessionId: 5 });
    expect(report.sessions?.byState).toMatchObject({ active: 2, connected: 1, disconnected: 1, listen: 0 });
  });

  it('German host without a session list: live sessions inferred from logonsessions -p', async () => {
    const r = await analyze([fixture('de-host', 'logonsessions-p.txt'), fixture('de-host', 'handle-a.txt')], 'json');
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(report.zombies?.map((z) => z.logonId)).toEqual(['00000000:0017b9a0', '00000000:0017c025', '00000000:001d4410']);
    expect(report.notes.join(' ')).toContain('inferred from the processes logonsessions -p lists');
  });

  it('French host (qwinsta UTF-16LE, quser cp850, handle -v CSV with a comma in a file name)', async () => {
    const files = ['logonsessions.txt', 'handle-v.csv', 'qwinsta.txt', 'quser.txt'].map((f) => fixture('fr-host', f));
    const r = await analyze(files, 'json');
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(report.inputs.map((i) => [i.tool, i.records, i.unknownLines])).toEqual([
      ['logonsessions', 5, 0],
      ['handle', 6, 0],
      ['qwinsta', 5, 0],
      ['quser', 2, 0],
    ]);
    expect(report.zombies?.map((z) => [z.logonId, z.user, z.reason])).toEqual([
      ['00000000:0004f0aa', 'luc', 'session_gone'],
      ['00000000:0004f0b5', 'UMFD-5', 'session_gone'],
    ]);
    expect(report.zombies?.[0]?.holders).toEqual([
      { image: 'System', pid: 4, handles: 1 },
      { image: 'lsass.exe', pid: 812, handles: 1 },
      { image: 'svchost.exe', pid: 1312, handles: 1 },
    ]);
  });

  it('Spanish host (qwinsta windows-1252, klist sessions, handle -s): candidates without holders', async () => {
    const files = ['klist-sessions.txt', 'qwinsta.txt', 'handle-s.txt'].map((f) => fixture('es-host', f));
    const r = await analyze(files);
    expect(r.stdout).toContain('klist-sessions.txt: klist, 8 records, 0 unknown lines');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/qwinsta\.txt: qwinsta, 4 records, 0 unknown lines, windows-1252/);
    expect(r.stdout).toContain('Orphaned logon session (not yet confirmed) 00000000:0005a003  session 2  remote_interactive  MADRID\\pilar');
    expect(r.stdout).toContain('holders unknown: no token handles were collected');
    // josé is logged on in session 3 (qwinsta, windows-1252) and klist (cp850) agree on the name.
    expect(r.stdout).not.toContain('MADRID\\josé');
  });

  it('en-US host (AM/PM dates, handle -u search output of v3, quser cutting a long user name)', async () => {
    const files = ['logonsessions.txt', 'handle-a-a3b0c11.txt', 'quser.txt'].map((f) => fixture('en-us-host', f));
    const r = await analyze(files, 'json');
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(report.zombies?.map((z) => [z.logonId, z.user, z.logonTime])).toEqual([['00000000:0a3b0c11', 'dana', '2022-03-29T07:48:09.000Z']]);
    expect(report.zombies?.[0]?.holders.map((h) => h.image)).toEqual(['svchost.exe', 'lsass.exe', 'Citrix.Authentication.VirtualSmartcard.exe']);
  });

  it('en-US host with the whole-system handle -v CSV (7 columns) finds the same holders, and counts all tokens', async () => {
    const files = ['logonsessions.txt', 'handle-v-all.csv', 'quser.txt'].map((f) => fixture('en-us-host', f));
    const r = await analyze(files, 'json');
    const report = JSON.parse(r.stdout) as JsonReport & { tokens: { total: number; leaked: number } };
    expect(report.inputs[1]).toMatchObject({ tool: 'handle', records: 9, unknownLines: 0 });
    expect(report.zombies?.[0]?.holders).toEqual([
      { image: 'svchost.exe', pid: 1288, handles: 2 },
      { image: 'lsass.exe', pid: 712, handles: 1 },
      { image: 'Citrix.Authentication.VirtualSmartcard.exe', pid: 4410, handles: 1 },
    ]);
    expect(report.tokens).toMatchObject({ total: 6, leaked: 4 });
  });

  it('a host with nothing orphaned exits 0', async () => {
    const dir = tempDir('analyze-clean');
    const logonsessions = join(dir, 'logonsessions.txt');
    writeFileSync(logonsessions, '[9] Logon session 00000000:000fd2f5:\r\n    User name:    HK\\Helge\r\n    Logon type:   RemoteInteractive\r\n    Session:      3\r\n');
    const r = await analyze([logonsessions, fixture('article', 'qwinsta.txt')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Orphaned logon sessions: 0');
  });
});

describe('analyze refuses what it cannot read, in one line, exit 2', () => {
  it('names the file and what was expected when no tool wrote it', async () => {
    const file = fixture('not-a-capture.txt');
    const r = await analyze([...ARTICLE, file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `rds-leak-exporter: ${file}: not recognised as the output of a supported tool (expected logonsessions.exe, handle.exe, qwinsta/query session, quser/query user or klist sessions output)\n`,
    );
  });

  it('says so when a file is not what its name claims', async () => {
    const file = fixture('qwinsta-host7.txt');
    const r = await analyze([file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`rds-leak-exporter: ${file}: expected qwinsta / query session output (the file name says so), found Sysinternals logonsessions.exe output\n`);
  });

  it('reports a missing file and no file at all', async () => {
    expect((await analyze(['/nonexistent/logonsessions.txt'])).stderr).toBe('rds-leak-exporter: /nonexistent/logonsessions.txt: cannot read capture: no such file\n');
    const none = await analyze([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^rds-leak-exporter: analyze needs at least one file/);
  });

  it('counts unknown lines and shows where they are', async () => {
    const dir = tempDir('analyze-unknown');
    const file = join(dir, 'qwinsta.txt');
    writeFileSync(file, ' SESSIONNAME       USERNAME                 ID  STATE   TYPE        DEVICE\n>rdp-tcp#1         Helge                     3  Active  rdpwd\n garbage here\n rdp-tcp#2         anna                      4  Frobnicated\n');
    const r = await analyze([file]);
    expect(r.stdout).toContain(`${file}: qwinsta, 1 record, 2 unknown lines (line 3, 4), utf-8`);
    expect(r.stdout).toContain('line 4: unknown session state "Frobnicated"');
    const json = JSON.parse((await analyze([file], 'json')).stdout) as JsonReport;
    expect(json.inputs).toEqual([{ file, tool: 'qwinsta', records: 1, unknownLines: 2 }]);
  });
});
