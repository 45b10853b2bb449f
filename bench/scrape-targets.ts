/**
 * The two servers `npm run bench:scrape` scrapes, each in a process of its own:
 *
 *   node dist/bench/scrape-targets.js agent <port> <collection delay ms> <agent flags...>
 *   node dist/bench/scrape-targets.js plain <port> <exposition file>
 *
 * `agent` is the agent's server as `serve` starts it (startServer with the same flags), with a delay
 * added to each collection; `plain` is a bare node:http server sending fixed exposition bytes.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { pino } from 'pino';
import { parseCommandLine } from '../src/cli/command-line.js';
import { startServer } from '../src/cli/serve-command.js';
import { delayedSource } from './delayed-source.js';

const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

async function main(): Promise<void> {
  const [kind, port, arg, ...rest] = process.argv.slice(2);
  if (kind === 'agent') {
    const delayMs = Number(arg ?? '0');
    const flags = parseCommandLine(['serve', `--web.listen-address=127.0.0.1:${port}`, ...rest]).flags;
    const server = await startServer(flags, pino({ level: 'error' }), {
      notices: { write: () => true } as unknown as NodeJS.WritableStream,
      wrapSource: (source) => (delayMs > 0 ? delayedSource(source, delayMs) : source),
    });
    process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
  } else if (kind === 'plain') {
    const body = readFileSync(arg ?? '');
    createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': CONTENT_TYPE, 'Content-Length': body.length }).end(body);
    }).listen(Number(port), '127.0.0.1');
    process.once('SIGTERM', () => process.exit(0));
  } else {
    throw new Error('usage: scrape-targets.js agent|plain <port> ...');
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
