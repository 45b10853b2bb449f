import type { SessionListCapture } from './capture-types.js';
import { parseSessionTable } from './session-table.js';

/** `quser` / `query user` in any language: the sessions with a user; idle and logon time are not used. */
export function parseQuser(text: string): SessionListCapture {
  return parseSessionTable(text, 'quser');
}
