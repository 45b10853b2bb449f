import type { LogonSession } from '../model/snapshot.js';

/**
 * Per-session virtual accounts that Windows creates with every RDS session: `Window Manager\DWM-N`
 * (the desktop window manager) and `Font Driver Host\UMFD-N` (the user-mode font driver). They pin
 * session ids like user logons do, but the fix differs, so they are told apart in the output.
 */
export type AccountKind = 'user' | 'dwm' | 'umfd';

export function accountKindOf(logon: Pick<LogonSession, 'user' | 'domain'>): AccountKind {
  const domain = logon.domain.toLowerCase();
  const user = logon.user.toUpperCase();
  if (domain === 'window manager' && user.startsWith('DWM-')) return 'dwm';
  if (domain === 'font driver host' && user.startsWith('UMFD-')) return 'umfd';
  return 'user';
}
