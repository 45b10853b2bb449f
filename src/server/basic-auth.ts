import { createHash, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';
import type { RequestHandler } from 'express';

/**
 * Basic authentication against bcrypt hashes (exporter-toolkit's basic_auth_users). bcrypt is slow on
 * purpose, so a verified user:password pair is remembered (as a SHA-256 digest, never in clear) and
 * scrapes every 15 s do not pay for it again.
 */
export function basicAuth(users: ReadonlyMap<string, string>, realm = 'rds-leak-exporter'): RequestHandler {
  const verified = new Map<string, Buffer>();
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
    const decoded = m?.[1] ? Buffer.from(m[1], 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    const user = colon >= 0 ? decoded.slice(0, colon) : '';
    const hash = users.get(user);
    if (colon >= 0 && hash) {
      const digest = createHash('sha256').update(decoded).digest();
      const known = verified.get(user);
      if (known && timingSafeEqual(known, digest)) return next();
      if (bcrypt.compareSync(decoded.slice(colon + 1), hash)) {
        verified.set(user, digest);
        return next();
      }
    }
    res.set('WWW-Authenticate', `Basic realm="${realm}"`).status(401).type('text/plain').send('Unauthorized\n');
  };
}
