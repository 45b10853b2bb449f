import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { createSecureContext, type SecureContextOptions, type TlsOptions, type TLSSocket } from 'node:tls';
import type { RequestHandler } from 'express';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { UsageError, errorMessage } from '../errors.js';
import { formatPath, lineOfPath } from '../text/source-position.js';

/**
 * The Prometheus exporter-toolkit web configuration (`--web.config.file`), the file users already share
 * between node_exporter, windows_exporter and friends: TLS, client certificates, basic auth with bcrypt
 * hashes, extra response headers.
 */
const TLS_VERSIONS = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const;
const CLIENT_AUTH_TYPES = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'] as const;

const webConfigSchema = z.strictObject({
  tls_server_config: z
    .strictObject({
      cert_file: z.string().min(1),
      key_file: z.string().min(1),
      client_auth_type: z.enum(CLIENT_AUTH_TYPES).default('NoClientCert'),
      client_ca_file: z.string().min(1).optional(),
      min_version: z.enum(Object.keys(TLS_VERSIONS) as [keyof typeof TLS_VERSIONS]).default('TLS12'),
      max_version: z.enum(Object.keys(TLS_VERSIONS) as [keyof typeof TLS_VERSIONS]).default('TLS13'),
      // Accepted for compatibility with shared files; Node negotiates its own defaults.
      cipher_suites: z.array(z.string()).optional(),
      curve_preferences: z.array(z.string()).optional(),
      prefer_server_cipher_suites: z.boolean().optional(),
    })
    .optional(),
  http_server_config: z
    .strictObject({
      http2: z.boolean().optional(),
      headers: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
  basic_auth_users: z.record(z.string(), z.string().regex(/^\$2[aby]\$\d\d\$.{53}$/, 'must be a bcrypt hash such as $2y$10$...')).optional(),
});

export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

export interface WebConfig {
  /** Options for https.createServer, or null for plain HTTP. */
  readonly tls: TlsOptions | null;
  /** How client certificates are checked; the handshake enforces only RequireAndVerifyClientCert. */
  readonly clientAuth: ClientAuthType;
  /** user -> bcrypt hash; empty means no authentication. */
  readonly basicAuthUsers: ReadonlyMap<string, string>;
  readonly headers: Readonly<Record<string, string>>;
}

export const PLAIN_HTTP: WebConfig = { tls: null, clientAuth: 'NoClientCert', basicAuthUsers: new Map(), headers: {} };

function readReferenced(configPath: string, key: string, file: string): Buffer {
  const path = isAbsolute(file) ? file : resolve(dirname(configPath), file);
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError('E_CONFIG', `${configPath}: ${key}: cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : errorMessage(error)}`);
  }
}

export function loadWebConfig(path: string): WebConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError('E_CONFIG', `${path}: cannot read web config file: ${code === 'ENOENT' ? 'no such file' : errorMessage(error)}`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const yamlError = doc.errors[0];
  if (yamlError) {
    throw new UsageError('E_CONFIG', `${path}:${lineCounter.linePos(yamlError.pos[0]).line}: not valid YAML (${yamlError.message.split('\n')[0] ?? ''})`);
  }
  const parsed = webConfigSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (!issue) throw new UsageError('E_CONFIG', `${path}: not a valid web configuration`);
    // An unknown key is reported at its own line, not at the object holding it.
    const line = lineOfPath(text, issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path);
    const problem = issue.code === 'unrecognized_keys' ? `unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}` : issue.message;
    throw new UsageError('E_CONFIG', `${path}${line ? `:${line}` : ''}: ${formatPath(issue.path)}: ${problem}`);
  }
  const config = parsed.data;
  let tls: TlsOptions | null = null;
  const t = config.tls_server_config;
  if (t) {
    const verify = t.client_auth_type === 'RequireAndVerifyClientCert' || t.client_auth_type === 'VerifyClientCertIfGiven';
    if (verify && !t.client_ca_file) throw new UsageError('E_CONFIG', `${path}: tls_server_config.client_ca_file: required with client_auth_type ${t.client_auth_type}`);
    const secure: SecureContextOptions = {
      cert: readReferenced(path, 'tls_server_config.cert_file', t.cert_file),
      key: readReferenced(path, 'tls_server_config.key_file', t.key_file),
      minVersion: TLS_VERSIONS[t.min_version],
      maxVersion: TLS_VERSIONS[t.max_version],
      ...(t.client_ca_file ? { ca: readReferenced(path, 'tls_server_config.client_ca_file', t.client_ca_file) } : {}),
    };
    try {
      // Fail at start, with the file names, on a key or certificate that TLS cannot use.
      createSecureContext(secure);
    } catch (error) {
      throw new UsageError('E_CONFIG', `${path}: tls_server_config: cert_file ${t.cert_file} / key_file ${t.key_file}${t.client_ca_file ? ` / client_ca_file ${t.client_ca_file}` : ''} unusable: ${errorMessage(error)}`);
    }
    tls = {
      ...secure,
      requestCert: t.client_auth_type !== 'NoClientCert',
      // Node rejects unverified certificates only at the handshake, and only all or nothing; the other
      // modes are enforced per request by clientCertificateCheck().
      rejectUnauthorized: t.client_auth_type === 'RequireAndVerifyClientCert',
    };
  }
  return { tls, clientAuth: t?.client_auth_type ?? 'NoClientCert', basicAuthUsers: new Map(Object.entries(config.basic_auth_users ?? {})), headers: config.http_server_config?.headers ?? {} };
}

/**
 * Enforces RequireAnyClientCert (some certificate, verified or not) and VerifyClientCertIfGiven (no
 * certificate, or a verified one) per request, which Node's handshake options cannot express.
 */
export function clientCertificateCheck(mode: ClientAuthType): RequestHandler | null {
  if (mode !== 'RequireAnyClientCert' && mode !== 'VerifyClientCertIfGiven') return null;
  return (req, res, next) => {
    const socket = req.socket as TLSSocket;
    const presented = typeof socket.getPeerCertificate === 'function' && Object.keys(socket.getPeerCertificate()).length > 0;
    const ok = mode === 'RequireAnyClientCert' ? presented : !presented || socket.authorized;
    if (ok) return next();
    res.status(403).type('text/plain').send(mode === 'RequireAnyClientCert' ? 'client certificate required\n' : 'client certificate not trusted\n');
  };
}
