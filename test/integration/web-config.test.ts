import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/cli/serve-command.js';
import { parseOptions } from '../../src/config/options.js';
import { UsageError } from '../../src/errors.js';
import { loadWebConfig } from '../../src/server/web-config.js';
import { silentLogger } from '../fixtures/fake-sources.js';
import { tempDir } from '../fixtures/temp-dir.js';

const dir = tempDir('web');

function get(url: string, ca: Buffer, auth?: string): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers: auth ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {} }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('--web.config.file (exporter-toolkit format)', () => {
  let server: RunningServer;
  let cert: Buffer;

  beforeAll(async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    cert = readFileSync(join(dir, 'cert.pem'));
    const hash = bcrypt.hashSync('s3cret', 4).replace(/^\$2b\$/, '$2y$');
    writeFileSync(
      join(dir, 'web.yml'),
      `tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\nbasic_auth_users:\n  prometheus: ${hash}\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n`,
    );
    const stderr = process.stderr.write;
    process.stderr.write = () => true;
    try {
      server = await startServer(parseOptions(['--web.listen-address=127.0.0.1:0', `--web.config.file=${join(dir, 'web.yml')}`], 'linux'), silentLogger);
    } finally {
      process.stderr.write = stderr;
    }
  });
  afterAll(() => server.close());

  it('serves over TLS and asks for credentials', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const anonymous = await get(`${server.url}/metrics`, cert);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Basic realm="rds-leak-exporter"');
    expect((await get(`${server.url}/metrics`, cert, 'prometheus:wrong')).status).toBe(401);
    const ok = await get(`${server.url}/metrics`, cert, 'prometheus:s3cret');
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('rdsleak_build_info');
    expect(ok.headers['x-frame-options']).toBe('deny');
    expect((await get(`${server.url}/metrics`, cert, 'prometheus:s3cret')).status).toBe(200);
  });

  it('rejects a bad file with its name, line and key', () => {
    const bad = join(dir, 'bad.yml');
    writeFileSync(bad, 'tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  client_auth: RequireAndVerifyClientCert\n');
    expect(() => loadWebConfig(bad)).toThrow(new UsageError('E_CONFIG', `${bad}:4: tls_server_config: unknown key "client_auth"`));
    const missing = join(dir, 'missing.yml');
    writeFileSync(missing, 'tls_server_config:\n  cert_file: nope.pem\n  key_file: key.pem\n');
    expect(() => loadWebConfig(missing)).toThrow(`${missing}: tls_server_config.cert_file: cannot read ${join(dir, 'nope.pem')}: no such file`);
    const hash = join(dir, 'hash.yml');
    writeFileSync(hash, 'basic_auth_users:\n  alice: plaintext\n');
    expect(() => loadWebConfig(hash)).toThrow(`${hash}:2: basic_auth_users.alice: must be a bcrypt hash such as $2y$10$...`);
  });
});
