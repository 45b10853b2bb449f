import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/cli/serve-command.js';
import { parseCommandLine } from '../../src/cli/command-line.js';
import { UsageError } from '../../src/errors.js';
import { loadWebConfig } from '../../src/server/web-config.js';
import { silentLogger } from '../fixtures/fake-sources.js';
import { runCli } from '../fixtures/agent-process.js';
import { tempDir } from '../fixtures/temp-dir.js';

const dir = tempDir('web');

function get(url: string, ca: Buffer, auth?: string, client?: { cert: Buffer; key: Buffer }): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, ...(client ?? {}), headers: auth ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {} }, (res) => {
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
      server = await startServer(parseCommandLine(['--web.listen-address=127.0.0.1:0', `--web.config.file=${join(dir, 'web.yml')}`]).flags, silentLogger);
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

describe('client certificates', () => {
  const certs = tempDir('certs');
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore', cwd: certs });
  const servers: RunningServer[] = [];
  let serverCert: Buffer;
  let trusted: { cert: Buffer; key: Buffer };
  let untrusted: { cert: Buffer; key: Buffer };

  async function serve(mode: string): Promise<RunningServer> {
    const path = join(certs, `${mode}.yml`);
    writeFileSync(path, `tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  client_ca_file: ca.pem\n  client_auth_type: ${mode}\n`);
    const stderr = process.stderr.write;
    process.stderr.write = () => true;
    try {
      const server = await startServer(parseCommandLine(['--web.listen-address=127.0.0.1:0', `--web.config.file=${path}`]).flags, silentLogger);
      servers.push(server);
      return server;
    } finally {
      process.stderr.write = stderr;
    }
  }

  beforeAll(() => {
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=test-ca', '-keyout', 'ca.key', '-out', 'ca.pem');
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', 'server.key', '-out', 'server.pem');
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=prometheus', '-keyout', 'client.key', '-out', 'client.csr');
    openssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-out', 'client.pem');
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=intruder', '-keyout', 'rogue.key', '-out', 'rogue.pem');
    serverCert = readFileSync(join(certs, 'server.pem'));
    trusted = { cert: readFileSync(join(certs, 'client.pem')), key: readFileSync(join(certs, 'client.key')) };
    untrusted = { cert: readFileSync(join(certs, 'rogue.pem')), key: readFileSync(join(certs, 'rogue.key')) };
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  const status = (server: RunningServer, client?: { cert: Buffer; key: Buffer }) =>
    get(`${server.url}/metrics`, serverCert, undefined, client).then(
      (r) => r.status,
      () => 'refused',
    );

  it('RequireAnyClientCert: any certificate, none refused', async () => {
    const server = await serve('RequireAnyClientCert');
    expect(await status(server)).toBe(403);
    expect(await status(server, untrusted)).toBe(200);
    expect(await status(server, trusted)).toBe(200);
  });

  it('VerifyClientCertIfGiven: none or a trusted one', async () => {
    const server = await serve('VerifyClientCertIfGiven');
    expect(await status(server)).toBe(200);
    expect(await status(server, untrusted)).toBe(403);
    expect(await status(server, trusted)).toBe(200);
  });

  it('RequireAndVerifyClientCert: only a trusted one, at the handshake', async () => {
    const server = await serve('RequireAndVerifyClientCert');
    expect(await status(server)).toBe('refused');
    expect(await status(server, untrusted)).toBe('refused');
    expect(await status(server, trusted)).toBe(200);
  });

  it('an unusable certificate stops the agent with a clear message', () => {
    const path = join(certs, 'bad-cert.yml');
    writeFileSync(join(certs, 'not-a-cert.pem'), 'hello\n');
    writeFileSync(path, 'tls_server_config:\n  cert_file: not-a-cert.pem\n  key_file: server.key\n');
    expect(() => loadWebConfig(path)).toThrow(new RegExp(`^${path}: tls_server_config: cert_file not-a-cert.pem / key_file server.key unusable: `));
  });
});

describe('web config mistakes stop the agent at start, in one line with file and line', () => {
  const files = tempDir('web-bad');
  let pem = '';
  beforeAll(() => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', join(files, 'key.pem'), '-out', join(files, 'cert.pem')], { stdio: 'ignore' });
    pem = 'tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n';
    writeFileSync(join(files, 'not-a-ca.pem'), 'hello, I am not a certificate\n');
    execFileSync('cp', [join(files, 'key.pem'), join(files, 'only-a-key.pem')]);
  });
  const write = (name: string, text: string) => {
    const path = join(files, name);
    writeFileSync(path, text);
    return path;
  };

  it.each([
    ['header name with a space', 'http_server_config:\n  headers:\n    "X-Bad Name": deny\n', ':3: http_server_config.headers.X-Bad Name: not a valid HTTP header name'],
    ['header value with a control character', 'http_server_config:\n  headers:\n    X-Frame-Options: "deny\\u0007"\n', ':3: http_server_config.headers.X-Frame-Options: value has characters not allowed in an HTTP header'],
    ['header value with a line break', 'http_server_config:\n  headers:\n    X-Note: "a\\nSet-Cookie: x=1"\n', ':3: http_server_config.headers.X-Note: value has characters not allowed in an HTTP header'],
    ['header the exporter sets', 'http_server_config:\n  headers:\n    Content-Type: text/html\n', ':3: http_server_config.headers.Content-Type: set by the exporter itself; cannot be configured'],
    ['anchor and alias', 'defaults: &d\n  X-Frame-Options: deny\nhttp_server_config:\n  headers: *d\n', ':1: anchor &d (YAML anchors and aliases are not supported)'],
    ['alias without anchor', 'http_server_config: *nowhere\n', ':1: alias *nowhere (YAML anchors and aliases are not supported: write the value out)'],
    ['merge key', 'http_server_config:\n  <<: {}\n', ':2: merge key << (not supported: write the keys out)'],
    ['standard tag', 'basic_auth_users: !!map {}\n', ':1: tag tag:yaml.org,2002:map (YAML tags are not supported)'],
    ['custom tag', 'http_server_config: !mine {}\n', ':1: not valid YAML (Unresolved tag: !mine)'],
    ['two documents', 'http_server_config: {}\n---\nbasic_auth_users: {}\n', ':2: more than one YAML document (---): put everything in one'],
    ['duplicate keys', 'http_server_config: {}\nhttp_server_config: {}\n', ':2: not valid YAML (Map keys must be unique)'],
    ['a list at the top', '- tls_server_config\n', ':1: expected a mapping of keys (tls_server_config, http_server_config, basic_auth_users) at the top level'],
    ['a string at the top', 'tls\n', ':1: expected a mapping of keys (tls_server_config, http_server_config, basic_auth_users) at the top level'],
    ['an empty file', '', ': the file is empty (leave out --web.config.file to serve plain HTTP without authentication)'],
    ['only comments', '# nothing yet\n', ': the file is empty (leave out --web.config.file to serve plain HTTP without authentication)'],
    ['broken YAML', 'http_server_config:\n  headers: [\n', ':3: not valid YAML ('],
  ])('%s', async (name, text, expected) => {
    const path = write(`${name.replaceAll(' ', '-')}.yml`, text);
    expect(() => loadWebConfig(path)).toThrow(UsageError);
    expect(() => loadWebConfig(path)).toThrow(`${path}${expected}`);
  });

  it('min_version above max_version', () => {
    const path = write('versions.yml', `${pem}  min_version: TLS13\n  max_version: TLS12\n`);
    expect(() => loadWebConfig(path)).toThrow(`${path}:5: tls_server_config: min_version TLS13 is above max_version TLS12: no client could connect`);
  });

  it('a client_ca_file without a certificate, or unreadable', () => {
    const junk = write('ca-junk.yml', `${pem}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: not-a-ca.pem\n`);
    expect(() => loadWebConfig(junk)).toThrow(`${junk}:5: tls_server_config.client_ca_file: not-a-ca.pem holds no PEM certificate (-----BEGIN CERTIFICATE-----): no client certificate could be verified`);
    const key = write('ca-key.yml', `${pem}  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: only-a-key.pem\n`);
    expect(() => loadWebConfig(key)).toThrow(`${key}:5: tls_server_config.client_ca_file: only-a-key.pem holds no PEM certificate`);
    const folder = write('ca-folder.yml', `${pem}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: .\n`);
    expect(() => loadWebConfig(folder)).toThrow(`${folder}: tls_server_config.client_ca_file: cannot read ${files}: `);
  });

  it('the agent exits 2 with that line alone', async () => {
    const path = write('cli-alias.yml', 'http_server_config: *oops\n');
    const r = await runCli(['serve', '--web.listen-address=127.0.0.1:0', `--web.config.file=${path}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`rds-leak-exporter: ${path}:1: alias *oops (YAML anchors and aliases are not supported: write the value out)\n`);
    const header = write('cli-header.yml', 'http_server_config:\n  headers:\n    "Bad:Name": x\n');
    const h = await runCli(['serve', '--web.listen-address=127.0.0.1:0', `--web.config.file=${header}`]);
    expect(h.code).toBe(2);
    expect(h.stderr).toBe(`rds-leak-exporter: ${header}:3: http_server_config.headers.Bad:Name: not a valid HTTP header name\n`);
  });

  it('an ordinary file with every section still loads', () => {
    const path = write('good.yml', `# shared with node_exporter\n${pem}  min_version: TLS12\n  max_version: TLS13\nhttp_server_config:\n  http2: true\n  headers:\n    X-Frame-Options: deny\n    Strict-Transport-Security: max-age=31536000\nbasic_auth_users:\n  prometheus: ${bcrypt.hashSync('x', 4)}\n`);
    const config = loadWebConfig(path);
    expect(config.headers).toEqual({ 'X-Frame-Options': 'deny', 'Strict-Transport-Security': 'max-age=31536000' });
    expect(config.tls?.minVersion).toBe('TLSv1.2');
    expect([...config.basicAuthUsers.keys()]).toEqual(['prometheus']);
  });
});
