import { createHash, randomInt } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { sharedPasswordVerifier, type PasswordVerifier } from './password-verifier.js';

/** Verified (and refused) user:password pairs remembered per web config, so scrapes every 15 s pay bcrypt once. */
const ACCEPTED_CACHE_SIZE = 64;
/** Refusals are remembered in a cache of their own: a flood of wrong passwords never evicts a good one. */
const REFUSED_CACHE_SIZE = 1024;
/** What a client turned away while the verification queue is full is told to wait. */
const BUSY_RETRY_AFTER_SECONDS = 1;

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function bcryptCost(hash: string): number {
  return Number(/^\$2[aby]\$(\d\d)\$/.exec(hash)?.[1] ?? 10);
}

/**
 * A well-formed bcrypt hash that no password matches, at the highest cost among the users: an unknown
 * user costs one verification, as a known one with a wrong password does, so timing does not tell
 * which user names exist (exporter-toolkit does the same). Users whose hashes have a lower cost answer
 * faster; give all users the same cost.
 */
export function dummyHash(hashes: Iterable<string>): string {
  let cost = 4;
  for (const hash of hashes) cost = Math.max(cost, bcryptCost(hash));
  let tail = '';
  for (let i = 0; i < 53; i++) tail += BCRYPT_ALPHABET[randomInt(BCRYPT_ALPHABET.length)];
  return `$2b$${String(cost).padStart(2, '0')}$${tail}`;
}

/** A set of strings that forgets its oldest member past `limit`. */
class BoundedSet {
  private readonly members = new Set<string>();
  constructor(private readonly limit: number) {}
  has(key: string): boolean {
    return this.members.has(key);
  }
  add(key: string): void {
    this.members.add(key);
    if (this.members.size > this.limit) {
      const oldest = this.members.values().next();
      if (!oldest.done) this.members.delete(oldest.value);
    }
  }
}

function parseCredentials(header: string | undefined): { user: string; password: string } | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!m?.[1]) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Basic authentication against bcrypt hashes (exporter-toolkit's basic_auth_users). Verifications run
 * on worker threads (PasswordVerifier); results are remembered as SHA-256 digests of user and password,
 * never in clear. When the verification queue is full, an unremembered pair gets 429 with Retry-After
 * at once: a flood of wrong passwords then costs the agent a bounded amount of CPU, and a scraper
 * whose credentials were already verified is never queued behind it.
 */
export function basicAuth(users: ReadonlyMap<string, string>, verifier: Pick<PasswordVerifier, 'verify'> = sharedPasswordVerifier(), realm = 'rds-leak-exporter'): RequestHandler {
  const accepted = new BoundedSet(ACCEPTED_CACHE_SIZE);
  const refused = new BoundedSet(REFUSED_CACHE_SIZE);
  const unknownUserHash = dummyHash(users.values());
  const deny = (res: Response) => res.set('WWW-Authenticate', `Basic realm="${realm}"`).status(401).type('text/plain').send('Unauthorized\n');

  return (req, res, next) => {
    const credentials = parseCredentials(req.get('authorization'));
    if (!credentials) return deny(res);
    const key = createHash('sha256').update(credentials.user).update('\0').update(credentials.password).digest('base64');
    if (accepted.has(key)) return next();
    if (refused.has(key)) return deny(res);
    const hash = users.get(credentials.user);
    const verification = verifier.verify(credentials.password, hash ?? unknownUserHash);
    if (verification === null) {
      res.set('Retry-After', String(BUSY_RETRY_AFTER_SECONDS)).status(429).type('text/plain').send('Too many authentication attempts in progress\n');
      return;
    }
    void verification.then((match) => {
      if (match && hash !== undefined) {
        accepted.add(key);
        next();
      } else {
        refused.add(key);
        deny(res);
      }
    }, next);
  };
}
