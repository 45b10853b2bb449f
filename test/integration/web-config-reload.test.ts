import type { TLSSocket } from 'node:tls';
import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/cli/serve-command.js';
import { parseCommandLine } from '../../src/cli/command-line.js';
import { AgentProcess } from '../fixtures/agent-process.js';
import { silentLogger } from '../fixtures/fake-sources.js';
import { tempDir } from '../fixtures/temp-dir.js';
import { basicHeader } from '../fixtures/web-app.js';

const agents: AgentProcess[] = [];
const servers: RunningServer[] = [];
afterAll(async () => {
  await Promise.all([...agents.map((a) => a.stop()), ...servers.map((s) => s.close())]);
});

const hash = (password: string) => bcrypt.hashSync(password, 4);
const webConfig = (password: string, generation: number) => `basic_auth_users:\n  alice: ${hash(password)}\nhttp_server_config:\n  headers:\n    X-Generation: "${generation}"\n`;

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('not within the time limit');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the web config is re-read on SIGHUP and when its file changes', () => {
  it('applies a good file to new requests, keeps the previous one for a bad file, and never dies of SIGHUP', async () => {
    const dir = tempDir('reload');
    const path = join(dir, 'web.yml');
    writeFileSync(path, webConfig('one', 1));
    const agent = await AgentProcess.start([`--web.config.file=${path}`, '--simulate.speed=1']);
    agents.push(agent);
    const status = async (password: string) => (await fetch(`${agent.url}/health`, { headers: basicHeader('alice', password) })).status;
    expect(await status('one')).toBe(200);

    // SIGHUP right after the write: before the folder watch's debounce, so the signal does the reload.
    writeFileSync(path, webConfig('two', 2));
    agent.signal('SIGHUP');
    await eventually(async () => (await status('two')) === 200);
    expect(await status('one')).toBe(401);
    expect((await fetch(`${agent.url}/health`, { headers: basicHeader('alice', 'two') })).headers.get('x-generation')).toBe('2');
    expect(agent.output()).toMatch(/msg="web config reloaded" trigger=SIGHUP /);

    // A bad file: one error line with file and line; the previous config stays in force.
    writeFileSync(path, 'basic_auth_users: *everyone\n');
    agent.signal('SIGHUP');
    await eventually(async () => agent.output().includes('web config not reloaded'));
    const errors = agent.output().split('\n').filter((l) => l.includes('web config not reloaded'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`${path}:1: alias *everyone`);
    expect(errors[0]).toMatch(/^ts=\S+ level=error /);
    expect(await status('two')).toBe(200);

    // Replaced by a rename, as editors and configuration tools do; no signal.
    writeFileSync(join(dir, 'web.yml.tmp'), webConfig('three', 3));
    renameSync(join(dir, 'web.yml.tmp'), path);
    await eventually(async () => (await status('three')) === 200);
    expect(await status('two')).toBe(401);

    // Written in place; no signal.
    writeFileSync(path, webConfig('four', 4));
    await eventually(async () => (await status('four')) === 200);

    expect(agent.exitCode).toBeNull();
    expect(agent.output()).not.toMatch(/\n\s+at /);
  }, 30_000);

  it('without a web config, SIGHUP is logged and the agent keeps serving', async () => {
    const agent = await AgentProcess.start(['--simulate.speed=1']);
    agents.push(agent);
    agent.signal('SIGHUP');
    await eventually(async () => agent.output().includes('nothing to reload'));
    expect(agent.exitCode).toBeNull();
    expect((await fetch(`${agent.url}/health`)).status).toBe(200);
  });
});

describe('TLS certificates are renewed on reload', () => {
  const dir = tempDir('reload-tls');
  const newCertificate = (cn: string) =>
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${cn}`, '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  const peerFingerprint = (url: string) =>
    new Promise<string>((resolve, reject) => {
      // A new connection each time (agent: false): certificates apply to new handshakes.
      const req = request(`${url}/health`, { rejectUnauthorized: false, agent: false }, (res) => {
        const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        res.resume();
        res.on('end', () => resolve(fingerprint));
      });
      req.on('error', reject);
      req.end();
    });

  it('serves the new certificate to new connections; refuses a reload that would switch TLS off', async () => {
    newCertificate('first');
    const path = join(dir, 'web.yml');
    writeFileSync(path, 'tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n');
    const stderr = process.stderr.write;
    process.stderr.write = () => true;
    let server: RunningServer;
    try {
      server = await startServer(parseCommandLine(['--web.listen-address=127.0.0.1:0', `--web.config.file=${path}`, '--source=simulate']).flags, silentLogger);
      servers.push(server);
    } finally {
      process.stderr.write = stderr;
    }
    const first = await peerFingerprint(server.url!);
    expect(server.reloadWebConfig('test')).toBe('unchanged');
    newCertificate('second');
    expect(server.reloadWebConfig('test')).toBe('reloaded');
    const second = await peerFingerprint(server.url!);
    expect(second).not.toBe(first);
    expect(second).toBe(new (await import('node:crypto')).X509Certificate(readFileSync(join(dir, 'cert.pem'))).fingerprint256);

    writeFileSync(path, 'http_server_config:\n  headers:\n    X-Frame-Options: deny\n');
    expect(server.reloadWebConfig('test')).toBe('rejected');
    expect(await peerFingerprint(server.url!)).toBe(second);
  });
});
