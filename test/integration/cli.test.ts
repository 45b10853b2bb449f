import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serializeSnapshot } from '../../src/sources/file/snapshot-file.js';
import { AgentProcess, runCli } from '../fixtures/agent-process.js';
import { Exposition } from '../fixtures/exposition.js';
import { articleHost, healthyHost } from '../fixtures/scenarios.js';
import { minutesAfter } from '../fixtures/scenario-builder.js';
import { tempDir } from '../fixtures/temp-dir.js';

const agents: AgentProcess[] = [];
afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
});

function tempFile(name: string, text: string): string {
  const path = join(tempDir('cli'), name);
  writeFileSync(path, text);
  return path;
}

describe('bad input: one line, exit code 2, no stack trace', () => {
  it.each([
    [['--bogus'], 'rds-leak-exporter: unknown flag --bogus (see --help)\n'],
    [['--source', 'foo'], 'rds-leak-exporter: --source: unknown value "foo" (expected simulate, file, windows)\n'],
    [['--source=windows'], 'rds-leak-exporter: --source windows needs Windows (this is linux); use --source simulate or --source file\n'],
    [['report', '--source=file', '--file.path=/nonexistent.json'], 'rds-leak-exporter: /nonexistent.json: cannot read snapshot: no such file\n'],
  ])('%j', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(message);
  });

  it('a malformed snapshot file names the file, line and field', async () => {
    const path = tempFile('broken.json', serializeSnapshot(articleHost().build()).replace('"sessionId": 4,', '"sessionId": -4,'));
    const r = await runCli(['report', '--source=file', `--file.path=${path}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^rds-leak-exporter: ${path}:\\d+: logonSessions\\[7\\]\\.sessionId: must be >= 0\\n$`));
  });
});

describe('report', () => {
  it('exits 1 and lists the zombie with its holders', async () => {
    const path = tempFile('article.json', serializeSnapshot(articleHost().build()));
    const r = await runCli(['report', '--source=file', `--file.path=${path}`, '--zombie.grace-period=0s']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Zombie logon sessions: 1, pinning session IDs 4');
    expect(r.stdout).toContain('Zombie logon session 00000000:0017c025  session 4  remote_interactive  CORP\\klein (user)');
    expect(r.stdout).toMatch(/CtxSvcHost\.exe\s+800\s+1/);
    expect(r.stdout).toContain('confirm with: handle.exe -a 17c025');
  });

  it('exits 0 on a healthy host, and applies the grace period over a recorded sequence', async () => {
    const healthy = tempFile('healthy.json', serializeSnapshot(healthyHost().build()));
    expect((await runCli(['report', '--source=file', `--file.path=${healthy}`])).code).toBe(0);
    const dir = tempDir('seq');
    writeFileSync(join(dir, '1.json'), serializeSnapshot(articleHost().build(minutesAfter('2026-11-25T10:00:00.000Z', 0))));
    writeFileSync(join(dir, '2.json'), serializeSnapshot(articleHost().build(minutesAfter('2026-11-25T10:00:00.000Z', 2))));
    const r = await runCli(['report', '--source=file', `--file.path=${dir}`, '--zombie.grace-period=5m', '--report.format=json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ zombies: [], pendingCandidates: 1 });
  });
});

describe('report on a live (simulated) source waits out the grace period', () => {
  it.each([4, 5, 10])('healthy host, seed %i: logoffs in progress are not zombies (exit 0)', async (seed) => {
    const r = await runCli(['report', '--simulate.profile=healthy', '--simulate.advance=2h', `--simulate.seed=${seed}`, '--simulate.speed=600']);
    expect(r.stdout).toContain('Zombie logon sessions: 0');
    expect(r.code).toBe(0);
  });

  it('leaky host: zombies confirmed after the wait (exit 1)', async () => {
    const r = await runCli(['report', '--simulate.profile=leaky', '--simulate.advance=3h', '--simulate.seed=5', '--simulate.speed=600']);
    expect(r.stderr).toMatch(/looks? orphaned; waiting 1s \(the grace period\) to confirm/);
    expect(r.stdout).toMatch(/Zombie logon sessions: [1-9]\d*, pinning session IDs/);
    expect(r.code).toBe(1);
  });

  it('a single recorded snapshot cannot show the grace period: orphaned logon sessions, not yet confirmed, exit 1', async () => {
    const path = tempFile('one.json', serializeSnapshot(articleHost().build()));
    const r = await runCli(['report', '--source=file', `--file.path=${path}`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Orphaned logon sessions, not yet confirmed: 1');
    expect(r.stdout).toContain('Orphaned logon session (not yet confirmed) 00000000:0017c025');
    expect(r.stdout).toMatch(/Note: .*single/i);
    const json = await runCli(['report', '--source=file', `--file.path=${path}`, '--report.format=json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ evidence: 'single_capture' });
    const healthy = tempFile('healthy.json', serializeSnapshot(healthyHost().build()));
    expect((await runCli(['report', '--source=file', `--file.path=${healthy}`])).code).toBe(0);
  });
});

describe('snapshot', () => {
  it('prints a snapshot that the file source reads back', async () => {
    const r = await runCli(['snapshot', '--simulate.advance=2h', '--simulate.seed=3']);
    expect(r.code).toBe(0);
    const path = tempFile('sim.json', r.stdout);
    const report = await runCli(['report', '--source=file', `--file.path=${path}`, '--zombie.grace-period=0s']);
    expect(report.code).toBe(1);
    expect(report.stdout).toContain('Host rds-sim-01');
  });
});

describe('npm start on a fresh machine (acceptance)', () => {
  it('serves /metrics within 10 s; leaky: zombies and a climbing session id within a minute at the default speed', async () => {
    const agent = await AgentProcess.start([], 10_000);
    agents.push(agent);
    expect(agent.output()).toContain('SIMULATED RDS HOST');
    const deadline = Date.now() + 60_000;
    let m = new Exposition(await agent.metrics());
    const done = () => m.sum('rdsleak_zombie_logon_sessions') > 0 && m.value('rdsleak_session_id_highest')! > m.sum('rdsleak_sessions') && m.sum('rdsleak_leaked_token_handles') > 0;
    while (Date.now() < deadline && !done()) {
      await new Promise((r) => setTimeout(r, 2000));
      m = new Exposition(await agent.metrics());
    }
    expect(m.sum('rdsleak_zombie_logon_sessions')).toBeGreaterThan(0);
    expect(m.value('rdsleak_session_id_highest')).toBeGreaterThan(m.sum('rdsleak_sessions'));
    expect(m.sum('rdsleak_leaked_token_handles')).toBeGreaterThan(0);
    expect(m.series('rdsleak_zombie_logon_session_info').length).toBeGreaterThan(0);
  }, 90_000);

  it('healthy profile keeps zero zombies', async () => {
    const agent = await AgentProcess.start(['--simulate.profile=healthy', '--simulate.speed=600', '--simulate.host-name=rds-sim-healthy']);
    agents.push(agent);
    for (let i = 0; i < 10; i++) {
      const m = new Exposition(await agent.metrics());
      expect(m.sum('rdsleak_zombie_logon_sessions')).toBe(0);
      expect(m.sum('rdsleak_leaked_token_handles')).toBe(0);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }, 30_000);
});

describe('promtool check metrics', () => {
  it('accepts the exposition', async () => {
    const agent = await AgentProcess.start(['--simulate.advance=6h', '--simulate.seed=5', '--zombie.grace-period=0s']);
    agents.push(agent);
    await agent.metrics();
    const text = await agent.metrics();
    expect(new Exposition(text).sum('rdsleak_zombie_logon_sessions')).toBeGreaterThan(0);
    let out: string;
    try {
      out = execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (error) {
      const e = error as { code?: string; stdout?: string; stderr?: string };
      if (e.code === 'ENOENT') throw new Error('promtool not found: install the Debian package prometheus (bash scripts/install-test-deps.sh)');
      throw new Error(`promtool check metrics rejected the exposition:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    }
    expect(out).toBe('');
  }, 30_000);
});

describe('a taken port', () => {
  it('exits 2 with one line, before the simulation banner and before any collection', async () => {
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await runCli(['serve', `--web.listen-address=127.0.0.1:${port}`, '--simulate.advance=6h']);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`rds-leak-exporter: cannot listen on 127.0.0.1:${port}: address already in use\n`);
      expect(r.stdout).toBe('');
    } finally {
      blocker.close();
    }
  });
});
