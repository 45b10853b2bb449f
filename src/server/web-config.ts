import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { validateHeaderName, validateHeaderValue } from 'node:http';
import { dirname, isAbsolute, resolve } from 'node:path';
import { createSecureContext, type SecureContextOptions, type TlsOptions, type TLSSocket } from 'node:tls';
import type { RequestHandler } from 'express';
import { isAlias, isMap, isNode, isPair, isScalar, LineCounter, parseDocument, visit, type Document } from 'yaml';
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

/** A loaded web config with what is needed to notice that it changed. */
export interface LoadedWebConfig {
  readonly config: WebConfig;
  /** Digest of the file and every file it references: equal digests, nothing to reload. */
  readonly fingerprint: string;
  /** The file and the certificate/key/CA files it references, absolute. */
  readonly files: readonly string[];
}

/**
 * Headers the exporter sets itself or that frame the HTTP message: a web config that sets them would
 * break scrapes (a wrong Content-Length or Content-Type) rather than harden them.
 */
const RESERVED_HEADERS = new Set(['content-length', 'content-type', 'content-encoding', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'trailer', 'www-authenticate', 'retry-after', 'allow', 'date']);

/** The PEM certificates in a file (none for a file that is not PEM or holds only keys). */
function pemCertificates(bytes: Buffer): X509Certificate[] {
  const blocks = bytes.toString('latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => new X509Certificate(block));
}

/**
 * The YAML this file format allows: one document, a mapping at the top, no anchors, aliases, merge keys
 * or tags. exporter-toolkit's files never need them, and each is a way to make the file mean something
 * other than what a reader sees (or, for aliases, to make it huge).
 */
function yamlOddity(doc: Document, text: string): { offset: number; problem: string } | null {
  let found: { offset: number; problem: string } | null = null;
  const at = (node: unknown) => (isNode(node) && node.range ? node.range[0] : 0);
  visit(doc, (_key, node) => {
    if (isAlias(node)) found = { offset: at(node), problem: `alias *${node.source} (YAML anchors and aliases are not supported: write the value out)` };
    else if (isPair(node) && isScalar(node.key) && node.key.value === '<<') found = { offset: at(node.key), problem: 'merge key << (not supported: write the keys out)' };
    // A block node starts on the line after its anchor: point at the anchor itself.
    else if (isNode(node) && node.anchor) found = { offset: Math.max(0, text.lastIndexOf(`&${node.anchor}`, at(node))), problem: `anchor &${node.anchor} (YAML anchors and aliases are not supported)` };
    else if (isNode(node) && node.tag) found = { offset: at(node), problem: `tag ${node.tag} (YAML tags are not supported)` };
    return found ? visit.BREAK : undefined;
  });
  if (!found && doc.contents !== null && !isMap(doc.contents)) found = { offset: at(doc.contents), problem: 'expected a mapping of keys (tls_server_config, http_server_config, basic_auth_users) at the top level' };
  return found;
}

export function loadWebConfig(path: string): WebConfig {
  return loadWebConfigFile(path).config;
}

/** Reads and checks a web config file; every mistake is a UsageError of one line naming the file (and line). */
export function loadWebConfigFile(path: string): LoadedWebConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError('E_CONFIG', `${path}: cannot read web config file: ${code === 'ENOENT' ? 'no such file' : errorMessage(error)}`);
  }
  const fingerprint = createHash('sha256').update(text);
  const files = [resolve(path)];
  const fail = (line: number | null, key: readonly PropertyKey[] | null, problem: string): never => {
    throw new UsageError('E_CONFIG', `${path}${line ? `:${line}` : ''}: ${key ? `${formatPath(key)}: ` : ''}${problem}`);
  };
  const lineOf = (key: readonly PropertyKey[]) => lineOfPath(text, key);
  const readReferenced = (key: readonly PropertyKey[], file: string): Buffer => {
    const absolute = isAbsolute(file) ? file : resolve(dirname(path), file);
    try {
      const bytes = readFileSync(absolute);
      fingerprint.update(absolute).update(bytes);
      files.push(absolute);
      return bytes;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new UsageError('E_CONFIG', `${path}: ${formatPath(key)}: cannot read ${absolute}: ${code === 'ENOENT' ? 'no such file' : errorMessage(error)}`);
    }
  };

  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const syntax = doc.errors[0] ?? doc.warnings[0];
  if (syntax) {
    const problem = syntax.code === 'MULTIPLE_DOCS' ? 'more than one YAML document (---): put everything in one' : `not valid YAML (${syntax.message.split('\n')[0]})`;
    fail(lineCounter.linePos(syntax.pos[0]).line, null, problem);
  }
  // An empty file would silently mean no TLS and no authentication; a half-written one during a reload too.
  if (doc.contents === null) fail(null, null, 'the file is empty (leave out --web.config.file to serve plain HTTP without authentication)');
  const oddity = yamlOddity(doc, text);
  if (oddity) fail(lineCounter.linePos(oddity.offset).line, null, oddity.problem);

  const parsed = webConfigSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (!issue) return fail(null, null, 'invalid');
    const issuePath = issue.path.filter((p): p is PropertyKey => p !== undefined);
    // An unknown key is reported at its own line, not at the object holding it.
    const unknown = issue.code === 'unrecognized_keys' ? issue.keys : null;
    const line = lineOf(unknown?.[0] !== undefined ? [...issuePath, unknown[0]] : issuePath);
    return fail(line, issuePath, unknown ? `unknown key ${unknown.map((k) => `"${k}"`).join(', ')}` : issue.message);
  }
  const config = parsed.data;

  const headers = config.http_server_config?.headers ?? {};
  for (const [name, value] of Object.entries(headers)) {
    const key = ['http_server_config', 'headers', name];
    try {
      validateHeaderName(name);
      validateHeaderValue(name, value);
    } catch {
      fail(lineOf(key), key, /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) ? 'value has characters not allowed in an HTTP header' : 'not a valid HTTP header name');
    }
    if (RESERVED_HEADERS.has(name.toLowerCase())) fail(lineOf(key), key, 'set by the exporter itself; cannot be configured');
  }

  let tls: TlsOptions | null = null;
  const t = config.tls_server_config;
  if (t) {
    const versions = Object.keys(TLS_VERSIONS);
    if (versions.indexOf(t.min_version) > versions.indexOf(t.max_version)) {
      fail(lineOf(['tls_server_config', 'max_version']) ?? lineOf(['tls_server_config', 'min_version']), ['tls_server_config'], `min_version ${t.min_version} is above max_version ${t.max_version}: no client could connect`);
    }
    const verify = t.client_auth_type === 'RequireAndVerifyClientCert' || t.client_auth_type === 'VerifyClientCertIfGiven';
    if (verify && !t.client_ca_file) fail(lineOf(['tls_server_config', 'client_auth_type']), ['tls_server_config', 'client_ca_file'], `required with client_auth_type ${t.client_auth_type}`);
    let ca: Buffer | undefined;
    if (t.client_ca_file) {
      const key = ['tls_server_config', 'client_ca_file'];
      ca = readReferenced(key, t.client_ca_file);
      let count = 0;
      try {
        count = pemCertificates(ca).length;
      } catch (error) {
        fail(lineOf(key), key, `${t.client_ca_file}: not a usable PEM certificate: ${errorMessage(error)}`);
      }
      if (count === 0) fail(lineOf(key), key, `${t.client_ca_file} holds no PEM certificate (-----BEGIN CERTIFICATE-----): no client certificate could be verified`);
    }
    const secure: SecureContextOptions = {
      cert: readReferenced(['tls_server_config', 'cert_file'], t.cert_file),
      key: readReferenced(['tls_server_config', 'key_file'], t.key_file),
      minVersion: TLS_VERSIONS[t.min_version],
      maxVersion: TLS_VERSIONS[t.max_version],
      ...(ca ? { ca } : {}),
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
  return {
    config: { tls, clientAuth: t?.client_auth_type ?? 'NoClientCert', basicAuthUsers: new Map(Object.entries(config.basic_auth_users ?? {})), headers },
    fingerprint: fingerprint.digest('hex'),
    files,
  };
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
