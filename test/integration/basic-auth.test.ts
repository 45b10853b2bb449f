import bcrypt from 'bcryptjs';
import { afterAll, describe, expect, it } from 'vitest';
import { PasswordVerifier } from '../../src/server/password-verifier.js';
import { PLAIN_HTTP, type WebConfig } from '../../src/server/web-config.js';
import { basicHeader, listenWebApp } from '../fixtures/web-app.js';

// Cost 10 is what exporter-toolkit's documentation suggests: about 0.1 s of CPU per verification here.
const HASH = bcrypt.hashSync('s3cret', 10);
const web: WebConfig = { ...PLAIN_HTTP, basicAuthUsers: new Map([['prometheus', HASH]]) };
const verifiers: PasswordVerifier[] = [];
afterAll(async () => {
  await Promise.all(verifiers.map((v) => v.close()));
});

function verifier(threads: number, maxQueued: number): PasswordVerifier {
  const v = new PasswordVerifier({ threads, maxQueued, cpuShare: 1 });
  verifiers.push(v);
  return v;
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('basic auth under a flood of wrong passwords', () => {
  it('answers a scraper whose password was verified while verifications are in flight, and the event loop keeps turning', async () => {
    const v = verifier(1, 64);
    const app = await listenWebApp(web, { passwordVerifier: v });
    try {
      expect((await fetch(`${app.url}/health`, { headers: basicHeader('prometheus', 's3cret') })).status).toBe(200);
      let longestGap = 0;
      let last = performance.now();
      const ticker = setInterval(() => {
        const now = performance.now();
        longestGap = Math.max(longestGap, now - last);
        last = now;
      }, 5);
      const flood = Array.from({ length: 12 }, (_, i) => fetch(`${app.url}/metrics`, { headers: basicHeader('prometheus', `wrong-${i}`) }).then((r) => r.status));
      let floodDone = 0;
      for (const f of flood) void f.then(() => floodDone++);
      await until(() => v.pending >= 10);
      const scrape = await fetch(`${app.url}/metrics`, { headers: basicHeader('prometheus', 's3cret') });
      // 12 verifications take over a second on one thread; the scrape did not wait for them.
      expect(scrape.status).toBe(200);
      expect(v.pending).toBeGreaterThanOrEqual(6);
      expect(floodDone).toBeLessThanOrEqual(6);
      expect(await Promise.all(flood)).toEqual(Array(12).fill(401));
      clearInterval(ticker);
      // bcrypt on the event loop would stop it for about 0.1 s per wrong password, back to back.
      expect(longestGap).toBeLessThan(1000);
    } finally {
      await app.close();
    }
  });

  it('turns requests away with 429 and Retry-After once the queue is full, and still serves a verified scraper', async () => {
    const v = verifier(1, 2);
    const app = await listenWebApp(web, { passwordVerifier: v });
    try {
      expect((await fetch(`${app.url}/metrics`, { headers: basicHeader('prometheus', 's3cret') })).status).toBe(200);
      const flood = Array.from({ length: 10 }, (_, i) => fetch(`${app.url}/metrics`, { headers: basicHeader('prometheus', `guess-${i}`) }));
      const scrape = await fetch(`${app.url}/metrics`, { headers: basicHeader('prometheus', 's3cret') });
      expect(scrape.status).toBe(200);
      const answers = await Promise.all(flood);
      const statuses = answers.map((r) => r.status);
      // One running and two queued at most: the other seven are refused without any bcrypt.
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(7);
      expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(3);
      const busy = answers.find((r) => r.status === 429);
      expect(busy?.headers.get('retry-after')).toBe('1');
    } finally {
      await app.close();
    }
  });
});

describe('basic auth does not tell which user names exist', () => {
  it('verifies an unknown user against a dummy hash of the same cost', async () => {
    const calls: string[] = [];
    const spy = {
      verify: (password: string, hash: string) => {
        calls.push(hash);
        return Promise.resolve(bcrypt.compareSync(password, hash));
      },
    };
    const app = await listenWebApp(web, { passwordVerifier: spy });
    try {
      expect((await fetch(`${app.url}/metrics`, { headers: basicHeader('mallory', 'whatever') })).status).toBe(401);
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatch(/^\$2[aby]\$10\$[./A-Za-z0-9]{53}$/);
      expect(calls[0]).not.toBe(HASH);
      // The same wrong pair again is remembered: no second verification.
      expect((await fetch(`${app.url}/metrics`, { headers: basicHeader('mallory', 'whatever') })).status).toBe(401);
      expect(calls).toHaveLength(1);
      // A verified pair is remembered too.
      expect((await fetch(`${app.url}/metrics`, { headers: basicHeader('prometheus', 's3cret') })).status).toBe(200);
      expect((await fetch(`${app.url}/metrics`, { headers: basicHeader('prometheus', 's3cret') })).status).toBe(200);
      expect(calls).toHaveLength(2);
    } finally {
      await app.close();
    }
  });

  it('takes about as long for an unknown user as for a known one with a wrong password', async () => {
    const app = await listenWebApp(web, { passwordVerifier: verifier(1, 16) });
    const time = async (user: string, password: string) => {
      const started = performance.now();
      expect((await fetch(`${app.url}/metrics`, { headers: basicHeader(user, password) })).status).toBe(401);
      return performance.now() - started;
    };
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    try {
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 5; i++) {
        known.push(await time('prometheus', `nope-${i}`));
        unknown.push(await time(`nobody-${i}`, `nope-${i}`));
      }
      // Before the dummy hash: 2 ms against 132 ms. A loaded machine blurs both, never by a factor of 3.
      expect(median(unknown)).toBeGreaterThan(median(known) / 3);
    } finally {
      await app.close();
    }
  });
});

describe('password verifier', () => {
  it('runs bcrypt on worker threads', () => {
    expect(verifier(1, 1).offMainThread).toBe(true);
  });

  it('rests a thread as long again as each verification took with cpuShare 0.5, so a flood uses half a core at most', async () => {
    const v = new PasswordVerifier({ threads: 1, maxQueued: 4, cpuShare: 0.5 });
    verifiers.push(v);
    const hash = bcrypt.hashSync('right', 8);
    const started = performance.now();
    expect(await v.verify('wrong', hash)).toBe(false);
    const took = performance.now() - started;
    // Resting: still counted as busy, and the next verification waits for the rest to end.
    expect(v.pending).toBe(1);
    expect(await v.verify('right', hash)).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(took * 1.5);
    await until(() => v.pending === 0);
  });

  it('refuses rather than accepts when it closes with a verification running', async () => {
    const v = new PasswordVerifier({ threads: 1, maxQueued: 4, cpuShare: 1 });
    verifiers.push(v);
    const pending = v.verify('x', bcrypt.hashSync('x', 12));
    await v.close();
    expect(await pending).toBe(false);
  });
});
