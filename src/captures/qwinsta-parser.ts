import type { SessionListCapture } from './capture-types.js';
import { parseSessionTable } from './session-table.js';

/** `qwinsta` / `query session` in any language: every session, including services, console and listeners. */
export function parseQwinsta(text: string): SessionListCapture {
  return parseSessionTable(text, 'qwinsta');
}
