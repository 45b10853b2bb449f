import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.js';
import { LogOutput } from '../../src/logging/log-output.js';
import { EventLogSink, eventFromLogLine } from '../../src/platform/windows/event-log-sink.js';
import { spawn } from 'node:child_process';
import { CLI, freePort, runCli } from '../fixtures/agent-process.js';
import { tempDir } from '../fixtures/temp-dir.js';
import { FakeEventLog } from './fake-service-api.js';

function collector(): { write(line: string): void; lines: string[] } {
  const lines: string[] = [];
  return { lines, write: (line: string) => void lines.push(line) };
}

describe('--log.file eventlog', () => {
  it('sends warnings and errors to ReportEventW with their type, event ID and text; info and debug stay out', async () => {
    const api = new FakeEventLog();
    const stderr = collector();
    const output = await LogOutput.open('eventlog', stderr, { openEventLog: (fallback) => Promise.resolve(new EventLogSink(api, 'rds-leak-exporter', fallback)) });
    const logger = createLogger({ level: 'debug', format: 'logfmt', destination: output.destination, alerts: output.alerts });
    logger.debug('detail');
    logger.info({ port: 10189 }, 'listening');
    logger.warn({ privilege: 'SeDebugPrivilege' }, 'privilege not held');
    logger.error({ err: 'boom', n: 2 }, 'collection failed');
    await output.close();
    expect(api.calls).toEqual([
      { fn: 'RegisterEventSourceW', args: ['rds-leak-exporter'] },
      { fn: 'ReportEventW', args: [0x300n, 2, 2, 'privilege not held\r\n\r\nprivilege=SeDebugPrivilege'] },
      { fn: 'ReportEventW', args: [0x300n, 1, 3, 'collection failed\r\n\r\nerr=boom n=2'] },
      { fn: 'DeregisterEventSource', args: [0x300n] },
    ]);
    // Every record still goes to the text destination (stderr here).
    expect(stderr.lines.map((l) => /msg=("[^"]*"|\S+)/.exec(l)?.[1])).toEqual(['detail', 'listening', '"privilege not held"', '"collection failed"']);
  });

  it('honours --log.level: a warn-level logger sends no info, an error-level one no warnings', async () => {
    const api = new FakeEventLog();
    const output = await LogOutput.open('eventlog', collector(), { openEventLog: (fallback) => Promise.resolve(new EventLogSink(api, 'src', fallback)) });
    const logger = createLogger({ level: 'error', format: 'json', destination: output.destination, alerts: output.alerts });
    logger.warn('w');
    logger.error('e');
    expect(api.calls.filter((c) => c.fn === 'ReportEventW').map((c) => c.args[3])).toEqual(['e']);
  });

  it('says once on stderr when the Event Log refuses records', async () => {
    const api = new FakeEventLog();
    api.reportError = 1502; // ERROR_LOG_FILE_FULL
    const stderr = collector();
    const sink = new EventLogSink(api, 'src', stderr);
    sink.write(JSON.stringify({ level: 'error', msg: 'a' }));
    sink.write(JSON.stringify({ level: 'error', msg: 'b' }));
    expect(stderr.lines).toEqual(['rds-leak-exporter: ReportEventW failed (Win32 error 1502); further Event Log failures are not reported\n']);
  });

  it('maps levels to event types and IDs and bounds the text', () => {
    expect(eventFromLogLine(JSON.stringify({ level: 'fatal', msg: 'x' }))).toEqual({ type: 1, eventId: 3, text: 'x' });
    expect(eventFromLogLine(JSON.stringify({ level: 'info', msg: 'x', obj: { a: 1 } }))).toEqual({ type: 4, eventId: 1, text: 'x\r\n\r\nobj="{\\"a\\":1}"' });
    expect(eventFromLogLine(JSON.stringify({ level: 'warn', msg: 'y'.repeat(40_000) })).text.length).toBe(31_839);
  });

  it('needs Windows elsewhere: one usage line, exit 2', async () => {
    if (process.platform === 'win32') return;
    await expect(LogOutput.open('eventlog', collector())).rejects.toMatchObject({ exitCode: 2, message: '--log.file=eventlog needs Windows (this is linux)' });
  });
});

describe('--log.file <path>', () => {
  it('writes formatted records to the file and rotates it by size, keeping a bounded number of old files', async () => {
    const dir = tempDir('logfile');
    const path = join(dir, 'logs', 'exporter.log');
    const output = await LogOutput.open(path, collector(), { rotation: { size: '2K', keep: 2 } });
    const logger = createLogger({ level: 'info', format: 'logfmt', destination: output.destination });
    for (let i = 0; i < 200; i++) {
      logger.info({ i, pad: 'x'.repeat(40) }, 'record');
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 20)); // let the stream rotate
    }
    await output.close();
    const files = readdirSync(join(dir, 'logs')).sort();
    expect(files).toEqual(['exporter.log', 'exporter.log.1', 'exporter.log.2']);
    for (const f of files) expect(statSync(join(dir, 'logs', f)).size).toBeLessThan(2048 + 200);
    const current = readFileSync(path, 'utf8').trim().split('\n');
    expect(current.at(-1)).toMatch(/^ts=\S+ level=info msg=record i=199 pad=x{40}$/);
  });

  it('under the service, stderr becomes the rotated file plus the Event Log; an explicit choice is kept', async () => {
    const dir = tempDir('svclog');
    const api = new FakeEventLog();
    const openEventLog = (fallback: { write(l: string): unknown }) => Promise.resolve(new EventLogSink(api, 'rds-leak-exporter', fallback));
    const stderr = collector();
    const output = await LogOutput.open('stderr', stderr, { openEventLog });
    const logger = createLogger({ level: 'info', format: 'logfmt', destination: output.destination, alerts: output.alerts });
    logger.info('before');
    await output.useServiceDefaults(join(dir, 'svc', 'rds-leak-exporter.log'));
    logger.error('after');
    await output.close();
    expect(stderr.lines).toHaveLength(1);
    expect(readFileSync(join(dir, 'svc', 'rds-leak-exporter.log'), 'utf8')).toMatch(/level=error msg=after/);
    expect(api.calls.filter((c) => c.fn === 'ReportEventW')).toHaveLength(1);

    const explicit = await LogOutput.open(join(dir, 'mine.log'), collector(), { openEventLog });
    await explicit.useServiceDefaults(join(dir, 'other.log'));
    await explicit.close();
    expect(readdirSync(dir).sort()).toEqual(['mine.log', 'svc']);
  });
});

describe('the log.file flag and the service command through the CLI', () => {
  it('parses --log.file and the config key; stderr is the default', async () => {
    const { parseCommandLine } = await import('../../src/cli/command-line.js');
    const { LOG_FILE } = await import('../../src/logging/flags.js');
    const parseOptions = (argv: string[]) => ({ logFile: parseCommandLine(argv).flags.get(LOG_FILE) });
    expect(parseOptions([]).logFile).toBe('stderr');
    expect(parseOptions(['--log.file', 'eventlog']).logFile).toBe('eventlog');
    const dir = tempDir('logflag');
    const config = join(dir, 'c.yaml');
    writeFileSync(config, `log.file: ${join(dir, 'x.log')}\n`);
    expect(parseOptions(['--config.file', config]).logFile).toBe(join(dir, 'x.log'));
  });

  it('serve with --log.file writes the file, and flushes it when stopped by SIGTERM', async () => {
    const dir = tempDir('logcli');
    const path = join(dir, 'sub', 'agent.log');
    const port = await freePort();
    const child = spawn(process.execPath, [CLI, 'serve', '--source', 'simulate', '--web.listen-address', `127.0.0.1:${port}`, '--log.file', path], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      for (let i = 0; i < 100; i++) {
        const ok = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.ok, () => false);
        if (ok) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
    const log = readFileSync(path, 'utf8');
    expect(log).toMatch(/^ts=\S+ level=info msg=listening /m);
    expect(log).toMatch(/^ts=\S+ level=info msg="shutting down" signal=SIGTERM$/m);
    // Records go to the file only (the simulation banner is not a log record).
    expect(stderr).not.toMatch(/level=/);
  });

  it('service commands need Windows: one line, exit 2', async () => {
    if (process.platform === 'win32') return;
    const r = await runCli(['service', 'status']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('rds-leak-exporter: service commands manage a Windows service: they need Windows (this is linux)\n');
  });
});

describe('service defaults when a destination fails', () => {
  it('an unusable log file is reported to the Event Log, which keeps working', async () => {
    const dir = tempDir('badlog');
    writeFileSync(join(dir, 'file'), 'a file, not a directory');
    const api = new FakeEventLog();
    const output = await LogOutput.open('stderr', collector(), { openEventLog: (fallback) => Promise.resolve(new EventLogSink(api, 'src', fallback)) });
    await output.useServiceDefaults(join(dir, 'file', 'logs', 'x.log'));
    const reports = api.calls.filter((c) => c.fn === 'ReportEventW');
    expect(reports).toHaveLength(1);
    expect(reports[0]?.args[1]).toBe(1);
    expect(reports[0]?.args[3]).toMatch(/^cannot open the log file: logging to the Event Log only\r\n\r\nfile=\S+x\.log err=/);
    await output.close();
  });
});
