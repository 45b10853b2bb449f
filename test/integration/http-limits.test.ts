import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/cli/serve-command.js';
import { parseCommandLine } from '../../src/cli/command-line.js';
import { HTTP_LIMITS, type HttpLimits } from '../../src/server/http-limits.js';
import { closeHttpServer, createHttpServer, listen } from '../../src/server/http-server.js';
import { LiveWebConfig } from '../../src/server/live-web-config.js';
import { silentLogger } from '../fixtures/fake-sources.js';

const servers: RunningServer[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(limits: Partial<HttpLimits>): Promise<{ url: string; host: string; port: number }> {
  const stderr = process.stderr.write;
  process.stderr.write = () => true; // the simulation banner
  try {
    const server = await startServer(parseCommandLine(['--web.listen-address=127.0.0.1:0', '--simulate.speed=1', '--source=simulate']).flags, silentLogger, { limits: { ...HTTP_LIMITS, ...limits } });
    servers.push(server);
    const url = new URL(server.url!);
    return { url: server.url!, host: url.hostname, port: Number(url.port) };
  } finally {
    process.stderr.write = stderr;
  }
}

function open(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host, () => resolve(socket));
    socket.once('error', reject);
    sockets.push(socket);
  });
}

const closed = (socket: Socket) => new Promise<void>((resolve) => (socket.closed ? resolve() : socket.once('close', () => resolve())));

describe('HTTP server limits', () => {
  it('the limits are declared once and fit a scrape', () => {
    expect(HTTP_LIMITS.headersTimeoutMs).toBeLessThanOrEqual(HTTP_LIMITS.requestTimeoutMs);
    expect(HTTP_LIMITS.timeoutCheckIntervalMs).toBeLessThan(HTTP_LIMITS.headersTimeoutMs);
    expect(HTTP_LIMITS.maxConnections).toBeGreaterThanOrEqual(16);
  });

  it('disconnects a client that never finishes its headers (slowloris)', async () => {
    const { host, port, url } = await serve({ headersTimeoutMs: 600, requestTimeoutMs: 1_000, timeoutCheckIntervalMs: 100 });
    const socket = await open(host, port);
    const started = Date.now();
    socket.write('GET /metrics HTTP/1.1\r\nHost: localhost\r\n');
    let answer = '';
    socket.on('data', (d) => (answer += String(d)));
    // One more header line every 100 ms, forever: each keeps the connection busy, none ends the headers.
    const drip = setInterval(() => socket.writable && socket.write(`X-Drip-${Date.now()}: x\r\n`), 100);
    try {
      await closed(socket);
    } finally {
      clearInterval(drip);
    }
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(500);
    expect(elapsed).toBeLessThan(5_000);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect((await fetch(`${url}/health`)).status).toBe(200);
  });

  it('closes connections beyond the limit; scrapes work again once others end', async () => {
    const { host, port, url } = await serve({ maxConnections: 4 });
    const idle = await Promise.all(Array.from({ length: 4 }, () => open(host, port)));
    await new Promise((r) => setTimeout(r, 200)); // the server accepts them
    const extra = await open(host, port);
    await closed(extra); // accepted by the kernel, then closed by the server at once
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    for (const s of idle) s.destroy();
    await Promise.all(idle.map(closed));
    await new Promise((r) => setTimeout(r, 200)); // the server sees them end
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('rdsleak_build_info');
  });
});

describe('HTTP server limits never cut a slow answer', () => {
  it('answers a scrape whose collection takes longer than the request timeout', async () => {
    const limits = { ...HTTP_LIMITS, headersTimeoutMs: 300, requestTimeoutMs: 500, timeoutCheckIntervalMs: 50 };
    const server = createHttpServer({ handler: (_req, res) => void setTimeout(() => res.end('collected\n'), 1_500), web: LiveWebConfig.load(null, silentLogger), logger: silentLogger, limits });
    const address = await listen(server, '127.0.0.1', 0);
    try {
      const res = await fetch(`http://127.0.0.1:${address.port}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('collected\n');
    } finally {
      await closeHttpServer(server);
    }
  });
});
