import type { LogonSessionRecord } from '../../../src/captures/capture-types.js';
import { joinLines, type Layout } from './encoding.js';

export const LOGONSESSIONS_VERSIONS = ['1.4', '1.41'] as const;

/** logonsessions.exe output as the tool prints it (field labels are English in every language). */
export function renderLogonSessions(records: readonly LogonSessionRecord[], layout: Layout, version: (typeof LOGONSESSIONS_VERSIONS)[number] = '1.41'): string {
  const lines: string[] = [];
  if (layout.banner) {
    lines.push(`LogonSessions v${version} - Lists logon session information`, `Copyright (C) 2004-${version === '1.4' ? '2016' : '2020'} Mark Russinovich`, 'Sysinternals - www.sysinternals.com', '');
  }
  records.forEach((r, i) => {
    const account = r.domain === '' ? r.user : `${r.domain}\\${r.user}`;
    lines.push(
      `[${i}] Logon session ${r.logonId}:`,
      `    User name:    ${account}`,
      `    Auth package: ${r.authPackage}`,
      `    Logon type:   ${r.logonType}`,
      `    Session:      ${r.sessionId}`,
      `    Sid:          ${r.sid ?? ''}`,
      `    Logon time:   ${r.logonTime ?? ''}`,
      '    Logon server: ',
      '    DNS Domain:   ',
      '    UPN:          ',
    );
    // As the documentation's example: the pid right-aligned in 9 columns.
    for (const p of r.processes ?? []) lines.push(`${String(p.pid).padStart(9)}: ${p.image}`);
    lines.push('');
  });
  return joinLines(lines, layout);
}
