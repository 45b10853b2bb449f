/**
 * Limits of the exporter's HTTP(S) server. A scrape sends one small GET and waits for the answer; nothing
 * legitimate needs minutes to send its headers or hundreds of connections, and every open connection costs
 * a socket and memory in an agent that runs on every RDS host of a farm.
 */
export interface HttpLimits {
  /** Time to receive the request headers (slowloris clients are disconnected after it). */
  readonly headersTimeoutMs: number;
  /** Time to receive the whole request, headers and body; never the time to answer it. */
  readonly requestTimeoutMs: number;
  /** How often Node checks the two timeouts above (Node's default, 30 s, would let a slow client stay 40 s). */
  readonly timeoutCheckIntervalMs: number;
  /** An idle keep-alive connection is closed after this. */
  readonly keepAliveTimeoutMs: number;
  /** TLS handshake deadline (https only). */
  readonly tlsHandshakeTimeoutMs: number;
  /** Connections open at once; further ones are closed as soon as they are accepted. */
  readonly maxConnections: number;
}

export const HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  timeoutCheckIntervalMs: 1_000,
  // Prometheus reconnects for each scrape (every 15 s or more) rather than holding an idle slot.
  keepAliveTimeoutMs: 5_000,
  tlsHandshakeTimeoutMs: 10_000,
  // Prometheus's own default (--web.max-connections): far above what scrapers and people need (HTTP
  // clients open a second connection under load), far below what exhausts sockets or memory.
  maxConnections: 512,
};
