import { X509Certificate } from 'node:crypto';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { RdsLeakError, UsageError, errorMessage } from '../errors.js';
import type { FlagValues } from '../flags/flag-values.js';
import { AGENT_BASIC_AUTH_USER, AGENT_PASSWORD_ENV, AGENT_URL } from '../report/flags.js';
import { serverSettingsFrom, WEB_CONFIG_FILE } from '../server/flags.js';
import { loadWebConfig } from '../server/web-config.js';

/** How long report waits for an agent to accept the connection before collecting itself. */
export const AGENT_CONNECT_TIMEOUT_MS = 2000;

/** Where report asks, with what. */
export interface AgentTarget {
  readonly url: URL;
  readonly authorization: string | null;
  /**
   * SHA-256 fingerprint of the agent's own certificate (`cert_file` of --web.config.file): the local
   * agent over TLS is trusted by exactly that certificate, whatever names it carries or who issued it.
   */
  readonly pinnedCertificate: string | null;
}

/** The agent's answer to one GET, or null when no agent listens (refused, unreachable, no answer in time). */
export interface AgentResponse {
  readonly status: number;
  readonly body: string;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/**
 * The agent to ask, or null when report should not ask one: `--agent.url` when given; else, for the
 * host's own source (windows), the local agent on --web.listen-address over --web.config.file's TLS.
 */
export function agentTargetFrom(flags: FlagValues, liveHostSource: boolean, env: NodeJS.ProcessEnv = process.env): AgentTarget | null {
  const explicit = flags.get(AGENT_URL);
  if (explicit === null && !liveHostSource) return null;
  const webConfigFile = flags.get(WEB_CONFIG_FILE);
  const tls = webConfigFile === null ? null : loadWebConfig(webConfigFile).tls;
  let url: URL;
  if (explicit !== null) {
    url = new URL(explicit);
  } else {
    const listen = serverSettingsFrom(flags).listenAddress;
    // An agent with its HTTP listener off (textfile mode) cannot be asked.
    if (listen === null) return null;
    const { host, port } = listen;
    const local = host === '' || host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
    url = new URL(`${tls ? 'https' : 'http'}://${local}:${port}`);
  }
  const user = flags.get(AGENT_BASIC_AUTH_USER);
  let authorization: string | null = null;
  if (user !== null) {
    const password = env[AGENT_PASSWORD_ENV];
    if (password === undefined) throw new UsageError('E_USAGE', `--agent.basic-auth-user needs the password in the environment variable ${AGENT_PASSWORD_ENV}`);
    authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }
  const cert = tls?.cert;
  const pinnedCertificate = url.protocol === 'https:' && isLoopback(url.hostname) && cert ? new X509Certificate(Buffer.isBuffer(cert) ? cert : String(cert)).fingerprint256 : null;
  return { url, authorization, pinnedCertificate };
}

const ABSENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL', 'ETIMEDOUT']);

class NoAgent extends Error {}

/** A TLS connection to the agent that is used only if the agent shows the pinned certificate. */
function pinnedConnection(target: AgentTarget, fingerprint: string): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    // Unverified on purpose: the check is the fingerprint below, before a byte of the request is sent.
    const socket = tlsConnect({ host: target.url.hostname.replace(/^\[|\]$/g, ''), port: Number(target.url.port || 443), rejectUnauthorized: false });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new NoAgent('no answer within 2 s'));
    }, AGENT_CONNECT_TIMEOUT_MS);
    socket.once('error', (error: Error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      if (socket.getPeerCertificate().fingerprint256 === fingerprint) resolve(socket);
      else {
        socket.destroy();
        reject(new RdsLeakError('E_AGENT_ANSWER', `${target.url.origin} shows a certificate other than cert_file of --web.config.file: not asking it`));
      }
    });
  });
}

/**
 * GETs one path of the agent. Null when nothing answers (connection refused or not made within
 * AGENT_CONNECT_TIMEOUT_MS); once connected, the answer may take up to `answerTimeoutMs` (an agent
 * that has not collected yet collects once).
 */
export async function getFromAgent(target: AgentTarget, path: string, answerTimeoutMs: number): Promise<AgentResponse | null> {
  const url = new URL(path, target.url);
  const headers: Record<string, string> = { accept: path.startsWith('/api/') ? 'application/json' : 'text/plain' };
  if (target.authorization) headers.authorization = target.authorization;
  try {
    const options: RequestOptions = { method: 'GET', headers };
    if (target.pinnedCertificate !== null) {
      const socket = await pinnedConnection(target, target.pinnedCertificate);
      options.createConnection = () => socket;
    }
    return await new Promise<AgentResponse>((resolve, reject) => {
      const onResponse = (res: IncomingMessage) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      };
      // Over the pinned TLS socket the request itself is plain HTTP: given as options, not as an https URL.
      const req =
        options.createConnection !== undefined
          ? httpRequest({ ...options, host: url.hostname, port: url.port, path: `${url.pathname}${url.search}` }, onResponse)
          : (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, onResponse);
      const connectTimer = setTimeout(() => req.destroy(new NoAgent('no connection within 2 s')), AGENT_CONNECT_TIMEOUT_MS);
      req.once('socket', (socket) => {
        if (!socket.connecting) clearTimeout(connectTimer);
        else socket.once('connect', () => clearTimeout(connectTimer));
      });
      req.setTimeout(answerTimeoutMs, () => req.destroy(new RdsLeakError('E_AGENT_ANSWER', `${url.origin} accepted the connection but did not answer within ${answerTimeoutMs} ms`)));
      req.once('error', (error) => {
        clearTimeout(connectTimer);
        reject(error);
      });
      req.once('close', () => clearTimeout(connectTimer));
      req.end();
    });
  } catch (error) {
    if (error instanceof NoAgent) return null;
    if (error instanceof RdsLeakError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== undefined && ABSENT_CODES.has(code)) return null;
    throw new RdsLeakError('E_AGENT_ANSWER', `${url.origin}: ${errorMessage(error)}`);
  }
}
