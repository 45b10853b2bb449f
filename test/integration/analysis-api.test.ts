/**
 * /api/v1/analysis of a running agent (privacy both ways, history, behind the web config) and `report`
 * asking that agent first, falling back to collecting itself when none answers.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/cli/command-line.js';
import { agentTargetFrom } from '../../src/cli/agent-client.js';
import { reportCommand } from '../../src/cli/report-command.js';
import { startServer, type RunningServer } from '../../src/cli/serve-command.js';
import { AgentProcess, freePort, runCli } from '../fixtures/agent-process.js';
import { silentLogger } from '../fixtures/fake-sources.js';
import { tempDir } from '../fixtures/temp-dir.js';

// Scrape mode: these tests count one collection per scrape.
const LEAKY = ['--simulate.profile=leaky', '--simulate.advance=3h', '--simulate.seed=5', '--zombie.grace-period=0s', '--collection.mode=scrape'];
const API = '/api/v1/analysis';

interface ApiZombie {
  logonId: string;
  user: string | null;
  domain: string | null;
  sid: string | null;
}
interface ApiDocument {
  host: string;
  collectedAt: string;
  zombies: ApiZombie[];
  agent: { userNamesIncluded: boolean; source: string; version: string; lastCollection: { startedAt: string } | null };
  history: { at: string; highestSessionId: number; present: number }[];
  sessions: { highestSessionId: number };
}

async function getDocument(url: string, headers: Record<string, string> = {}): Promise<ApiDocument> {
  const response = await fetch(`${url}${API}`, { headers });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return (await response.json()) as ApiDocument;
}

/** report run in this process, so the time measured is report's own, without starting Node. */
async function reportInProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const { flags } = parseCommandLine(['report', ...args]);
  const started = performance.now();
  const code = await reportCommand(flags, silentLogger, { stdout, stderr });
  return { code, stdout: out, stderr: err, ms: performance.now() - started };
}

describe('/api/v1/analysis', () => {
  let hidden: AgentProcess;
  let named: AgentProcess;
  beforeAll(async () => {
    [hidden, named] = await Promise.all([AgentProcess.start(LEAKY), AgentProcess.start([...LEAKY, '--metrics.include-user-names'])]);
  });
  afterAll(async () => {
    await Promise.all([hidden?.stop(), named?.stop()]);
  });

  it('holds no user name, domain or SID without --metrics.include-user-names, and all of them with it', async () => {
    const withNames = await getDocument(named.url);
    const withoutNames = await getDocument(hidden.url);
    expect(withNames.agent.userNamesIncluded).toBe(true);
    expect(withoutNames.agent.userNamesIncluded).toBe(false);
    expect(withNames.zombies.length).toBeGreaterThan(0);
    expect(withoutNames.zombies.map((z) => z.logonId)).toEqual(withNames.zombies.map((z) => z.logonId));
    for (const z of withNames.zombies) {
      expect(z.user).toMatch(/\S/);
      expect(z.domain).toMatch(/\S/);
    }
    for (const z of withoutNames.zombies) expect([z.user, z.domain, z.sid]).toEqual([null, null, null]);
    // Nowhere else either: not one of the names the other agent shows appears in the private answer.
    const body = JSON.stringify(withoutNames);
    for (const z of withNames.zombies) {
      expect(body).not.toContain(`"${z.user}"`);
      if (z.sid) expect(body).not.toContain(z.sid);
    }
  });

  it('is the latest collection, with one history point per collection', async () => {
    const before = await getDocument(hidden.url);
    const scrape = await hidden.metrics();
    const after = await getDocument(hidden.url);
    expect(after.history.length).toBe(before.history.length + 1);
    expect(Date.parse(after.agent.lastCollection!.startedAt)).toBeGreaterThanOrEqual(Date.parse(before.agent.lastCollection!.startedAt));
    const last = after.history.at(-1)!;
    expect(last.highestSessionId).toBe(after.sessions.highestSessionId);
    expect(scrape).toContain(`rdsleak_session_id_highest ${last.highestSessionId}\n`);
  });
});

describe('the page and the API behind the web config', () => {
  let agent: AgentProcess;
  const user = 'admin';
  const password = 'correct horse';
  beforeAll(async () => {
    const dir = tempDir('api-web');
    const config = join(dir, 'web.yml');
    writeFileSync(config, `basic_auth_users:\n  ${user}: ${bcrypt.hashSync(password, 4)}\n`);
    agent = await AgentProcess.start([...LEAKY, `--web.config.file=${config}`]);
  });
  afterAll(async () => {
    await agent?.stop();
  });

  it('asks for credentials on /, the API and the page script', async () => {
    const auth = { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
    for (const path of ['/', API, '/status/status.js', '/status/status.css']) {
      expect((await fetch(`${agent.url}${path}`)).status).toBe(401);
      expect((await fetch(`${agent.url}${path}`, { headers: auth })).status).toBe(200);
    }
  });

  it('report: credentials from --agent.basic-auth-user and RDSLEAK_AGENT_PASSWORD, a clear refusal without', async () => {
    const refused = await runCli(['report', `--agent.url=${agent.url}`]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('refused the request (401)');
    expect(refused.stderr).not.toContain('    at ');
    const missing = await runCli(['report', `--agent.url=${agent.url}`, `--agent.basic-auth-user=${user}`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('RDSLEAK_AGENT_PASSWORD');
    process.env.RDSLEAK_AGENT_PASSWORD = password;
    try {
      const r = await reportInProcess([`--agent.url=${agent.url}`, `--agent.basic-auth-user=${user}`]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`answer of the running agent at ${agent.url}`);
    } finally {
      delete process.env.RDSLEAK_AGENT_PASSWORD;
    }
  });
});

describe('report asks the running agent first', () => {
  let agent: AgentProcess;
  beforeAll(async () => {
    agent = await AgentProcess.start([...LEAKY, '--collection.min-interval=1h']);
  });
  afterAll(async () => {
    await agent?.stop();
  });

  it('answers in under a second with the agent\'s analysis, in every format', async () => {
    const document = await getDocument(agent.url);
    const text = await reportInProcess([`--agent.url=${agent.url}`]);
    expect(text.ms).toBeLessThan(1000);
    expect(text.code).toBe(1);
    expect(text.stderr).toBe(`rds-leak-exporter: answer of the running agent at ${agent.url}, collected at ${document.collectedAt}\n`);
    expect(text.stdout).toContain(`Zombie logon sessions: ${document.zombies.length}`);
    expect(text.stdout).toContain(`highest session ID ${document.sessions.highestSessionId}`);
    // Names hidden by the agent: the account kind stands alone, no "\" of an empty domain and user.
    expect(text.stdout).not.toMatch(/\\ \(/);

    const json = await reportInProcess([`--agent.url=${agent.url}`, '--report.format=json']);
    const parsed = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(parsed.zombies).toEqual(document.zombies);
    expect(parsed).not.toHaveProperty('history');

    const prom = await reportInProcess([`--agent.url=${agent.url}`, '--report.format=prom']);
    expect(prom.stdout).toContain(`rdsleak_session_id_highest ${document.sessions.highestSessionId}\n`);
    expect(prom.code).toBe(1);
  });

  it('a whole run of the command, Node start included, is quick too', async () => {
    const started = performance.now();
    const r = await runCli(['report', `--agent.url=${agent.url}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('answer of the running agent');
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('collects itself, and says so, when no agent answers', async () => {
    const port = await freePort();
    const r = await reportInProcess([`--agent.url=http://127.0.0.1:${port}`, '--simulate.profile=healthy', '--simulate.advance=1h', '--zombie.grace-period=0s']);
    expect(r.stderr).toContain(`no agent answered at http://127.0.0.1:${port}: collecting here`);
    expect(r.stdout).toContain('(source simulate:healthy)');
    expect(r.ms).toBeLessThan(10_000);
  });

  it('does not ask any agent for a simulated or recorded source unless --agent.url is given', async () => {
    const r = await reportInProcess(['--simulate.profile=healthy', '--simulate.advance=1h', '--zombie.grace-period=0s']);
    expect(r.stderr).not.toContain('agent');
    expect(r.stdout).toContain('(source simulate:healthy)');
  });
});

describe('report and an agent over TLS', () => {
  let agent: RunningServer;
  let agentConfig: string;
  let otherConfig: string;
  beforeAll(async () => {
    const dir = tempDir('api-tls');
    const certificate = (name: string) => {
      // No name of 127.0.0.1 in it: the local agent is trusted by its certificate, not by names.
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${name}.example`, '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.pem`)], { stdio: 'ignore' });
      const config = join(dir, `${name}.yml`);
      writeFileSync(config, `tls_server_config:\n  cert_file: ${name}.pem\n  key_file: ${name}.key\n`);
      return config;
    };
    agentConfig = certificate('agent');
    otherConfig = certificate('other');
    const port = await freePort();
    const { flags } = parseCommandLine(['serve', ...LEAKY, `--web.listen-address=127.0.0.1:${port}`, `--web.config.file=${agentConfig}`]);
    agent = await startServer(flags, silentLogger, { notices: new PassThrough() });
  });
  afterAll(async () => {
    await agent?.close();
  });

  it('trusts exactly the certificate of the agent\'s web config', async () => {
    expect(agent.url).toMatch(/^https:/);
    const r = await reportInProcess([`--agent.url=${agent.url}`, `--web.config.file=${agentConfig}`]);
    expect(r.stderr).toContain(`answer of the running agent at ${agent.url}`);
    expect(r.code).toBe(1);
    await expect(reportInProcess([`--agent.url=${agent.url}`, `--web.config.file=${otherConfig}`])).rejects.toThrow(/shows a certificate other than cert_file/);
  });

  it('by default asks the local agent on --web.listen-address, over the web config\'s TLS, only for the host\'s own source', () => {
    const target = (args: string[], live: boolean) => agentTargetFrom(parseCommandLine(['report', ...args]).flags, live, {});
    expect(target([], false)).toBeNull();
    expect(target([], true)?.url.href).toBe('http://127.0.0.1:10189/');
    expect(target(['--web.listen-address=[::]:9000'], true)?.url.href).toBe('http://[::1]:9000/');
    const tls = target(['--web.listen-address=:9000', `--web.config.file=${agentConfig}`], true);
    expect(tls?.url.href).toBe('https://127.0.0.1:9000/');
    expect(tls?.pinnedCertificate).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    // Another host over https is checked the ordinary way (system CAs, NODE_EXTRA_CA_CERTS), not pinned.
    expect(target(['--agent.url=https://rds01.example:10189', `--web.config.file=${agentConfig}`], false)?.pinnedCertificate).toBeNull();
    expect(() => target(['--agent.basic-auth-user=admin'], true)).toThrow(/RDSLEAK_AGENT_PASSWORD/);
  });
});
