import { createServer, type RequestListener, type Server, type ServerOptions } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { UsageError } from '../errors.js';
import { HTTP_LIMITS, type HttpLimits } from './http-limits.js';
import type { LiveWebConfig } from './live-web-config.js';

/** Warn about the connection limit at most this often: a flood must not flood the log too. */
const DROP_WARNING_INTERVAL_MS = 60_000;

export interface HttpServerOptions {
  readonly handler: RequestListener;
  /** The web config in force: TLS from it at start, renewed certificates on each reload. */
  readonly web: LiveWebConfig;
  readonly logger: Logger;
  readonly limits?: HttpLimits;
}

/**
 * The exporter's HTTP or HTTPS server with its limits (src/server/http-limits.ts) applied: header and
 * request timeouts, keep-alive and TLS handshake timeouts, and a connection cap. With HTTPS, a reloaded
 * web config's certificate, key, CA and TLS versions apply to new connections.
 */
export function createHttpServer(options: HttpServerOptions): Server {
  const limits = options.limits ?? HTTP_LIMITS;
  const serverOptions: ServerOptions = {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: limits.timeoutCheckIntervalMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
  };
  const tls = options.web.current.tls;
  let server: Server;
  if (tls) {
    const https: HttpsServer = createHttpsServer({ ...tls, ...serverOptions, handshakeTimeout: limits.tlsHandshakeTimeoutMs }, options.handler);
    options.web.onChange((config) => {
      if (config.tls) https.setSecureContext(config.tls);
    });
    server = https;
  } else {
    server = createServer(serverOptions, options.handler);
  }
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  let lastDropWarning = 0;
  server.on('drop', (data?: { remoteAddress?: string }) => {
    const now = Date.now();
    if (now - lastDropWarning < DROP_WARNING_INTERVAL_MS) return;
    lastDropWarning = now;
    options.logger.warn({ max_connections: limits.maxConnections, remote_address: data?.remoteAddress }, 'connection limit reached: new connections are closed until some end');
  });
  return server;
}

/** A listen failure is the user's to fix (another exporter on the port, a wrong address): exit 2, one line. */
export function listenError(error: unknown, host: string, port: number): UsageError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new UsageError('E_USAGE', `--web.listen-address: host "${host}" not found`);
  const reason =
    code === 'EADDRINUSE' ? 'address already in use' : code === 'EACCES' ? 'permission denied' : code === 'EADDRNOTAVAIL' ? 'address not available on this host' : String(error);
  return new UsageError('E_LISTEN', `cannot listen on ${host}:${port}: ${reason}`);
}

export function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host === '' ? undefined : host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** How long a closing server lets requests in flight finish before it ends their connections. */
const CLOSE_GRACE_MS = 5_000;

/** Stops accepting, lets requests in flight finish (for CLOSE_GRACE_MS at most) and resolves once closed. */
export async function closeHttpServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
  timer.unref();
  await closed;
  clearTimeout(timer);
}
