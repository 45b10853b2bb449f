import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * The source of bcryptjs's CommonJS build, which the verification worker threads evaluate: a worker started
 * from source text needs no file of ours, so it works from dist/, under vitest, and in the single
 * executable, whose bundler (scripts/sea/build-exe.mjs) replaces this module by the text itself. Null where
 * neither is available; verifications then stay on the event loop.
 */
export function bcryptjsSource(): string | null {
  try {
    return readFileSync(createRequire(import.meta.url).resolve('bcryptjs'), 'utf8');
  } catch {
    return null;
  }
}
