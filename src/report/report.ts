import type { HostAnalysis, Zombie } from '../analysis/analyze.js';
import type { ZombieHolder } from '../analysis/token-accounting.js';
import { processLabel } from '../analysis/process-label.js';
import { shortLogonId } from '../model/logon-id.js';

/** Exit codes of `report`, usable from scripts and monitoring checks. */
export const REPORT_EXIT = { clean: 0, zombies: 1, error: 2 } as const;

/**
 * How far the zombies of an analysis are proven. `grace_period`: seen orphaned for the grace period (a
 * running agent, a replayed sequence). `single_capture`: one look at the host, analysed with a grace
 * period of 0: the orphaned logon sessions are candidates, since a logoff in progress looks the same.
 */
export type ZombieEvidence = 'grace_period' | 'single_capture';

export const SINGLE_CAPTURE_NOTE =
  'A single capture cannot show that these logon sessions stay orphaned for the grace period: a logoff in progress looks the same. Capture again after a few minutes (or run the agent) to confirm.';

function age(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)}h`;
  return `${(seconds / 86_400).toFixed(1)}d`;
}

function pad(text: string | number, width: number): string {
  return String(text).padEnd(width);
}

/** A holder as an administrator names it: `svchost.exe 1064 (Schedule, ProfSvc)`, or `lsass.exe 960`. */
export function holderLabel(h: ZombieHolder): string {
  return h.services && h.services.length > 0 ? `${h.image} ${h.pid} (${h.services.join(', ')})` : `${h.image} ${h.pid}`;
}

function zombieBlock(z: Zombie, evidence: ZombieEvidence, handlesKnown: boolean): string[] {
  const l = z.logon;
  // An agent without --metrics.include-user-names answers without names: the account kind stays.
  const account = l.user === '' ? z.accountKind : `${l.domain}\\${l.user} (${z.accountKind})`;
  const lines = [
    `${evidence === 'single_capture' ? 'Orphaned logon session (not yet confirmed)' : 'Zombie logon session'} ${l.logonId}  session ${l.sessionId}  ${l.logonType}  ${account}`,
    `  ${z.ageSeconds > 0 ? `orphaned for ${z.ageIsLowerBound ? 'at least ' : ''}${age(z.ageSeconds)}` : 'orphaned'} (${z.reason.replace('_', ' ')}), logon time ${l.logonTime ?? 'unknown'}, ${l.authPackage}`,
  ];
  if (!handlesKnown) {
    lines.push('  holders unknown: no token handles were collected');
  } else if (z.holders.length === 0) {
    lines.push('  no token handle found: held by a protected process or a non-handle reference (see the runbook)');
  } else {
    const labels = z.holders.map(holderLabel);
    const width = Math.max(31, ...labels.map((l) => l.length + 1));
    lines.push(`  ${pad('holder (pid, services)', width)} handles`);
    z.holders.forEach((h, i) => lines.push(`  ${pad(labels[i] ?? '', width)} ${h.handles}`));
  }
  lines.push(`  confirm with: handle.exe -a ${shortLogonId(l.logonId)}`);
  return lines;
}

/** The readable report: zombies and their holders, what `handle.exe -a <luid>` would show. */
export function renderTextReport(a: HostAnalysis, evidence: ZombieEvidence = 'grace_period'): string {
  const out: string[] = [`Host ${a.host} at ${new Date(a.collectedAt).toISOString()} (source ${a.source})`];
  const failed = a.collectors.filter((c) => !c.success);
  for (const c of failed) out.push(`WARNING: collector ${c.name} failed${c.timedOut ? ' (timed out)' : ''}: ${c.error ?? 'unknown error'}`);
  if (a.sessions) out.push(`RDS sessions: ${a.sessions.present} present, highest session ID ${a.sessions.highestSessionId}`);
  if (a.logonSessionsByType) out.push(`Logon sessions: ${[...a.logonSessionsByType.values()].reduce((s, n) => s + n, 0)}`);
  if (a.zombies && a.pinnedSessionIds) {
    const pinned = a.pinnedSessionIds.length > 0 ? `, pinning session IDs ${a.pinnedSessionIds.join(', ')}` : '';
    const heading = evidence === 'grace_period' ? 'Zombie logon sessions' : a.zombies.length > 0 ? 'Orphaned logon sessions, not yet confirmed' : 'Orphaned logon sessions';
    out.push(`${heading}: ${a.zombies.length}${pinned}${a.pendingCandidates > 0 ? ` (${a.pendingCandidates} more inside the grace period)` : ''}`);
  } else {
    out.push('Zombie logon sessions: unknown (WTS sessions, logon sessions or processes could not be collected)');
  }
  if (a.tokens) {
    let unresolved = 0;
    for (const c of a.tokens.byImage.values()) for (const n of c.unresolved.values()) unresolved += n;
    out.push(`Token handles: ${a.tokens.total} (${a.tokens.leaked} leaked, ${unresolved} unresolved, ${a.tokens.resolvedThroughSharedObject} attributed through shared token objects)`);
    if (a.tokens.undescribedLogonIds) {
      let handles = 0;
      for (const c of a.tokens.byImage.values()) handles += c.undescribed;
      out.push(`Unknown logon sessions: ${a.tokens.undescribedLogonIds}, held by ${handles} token handle(s): LSA does not describe them, so they cannot be told zombie or not (see the runbook)`);
    }
  }
  if (a.pendingCandidates > 0) {
    out.push(`Note: ${a.pendingCandidates} logon session(s) look orphaned but have not stayed so for the grace period yet (--zombie.grace-period=0s lists them now).`);
  }
  if (evidence === 'single_capture' && a.zombies && a.zombies.length > 0) out.push(`Note: ${SINGLE_CAPTURE_NOTE}`);
  for (const z of a.zombies ?? []) out.push('', ...zombieBlock(z, evidence, a.tokens !== null));
  if (a.tokens && a.tokens.leaked > 0) {
    out.push('', 'Leaked token handles by process:');
    const rows = [...a.tokens.byImage].filter(([, c]) => c.leaked > 0).sort((x, y) => y[1].leaked - x[1].leaked);
    for (const [image, c] of rows) out.push(`  ${pad(processLabel(image), 23)} ${c.leaked}`);
  }
  if (a.tokens) {
    const rows: string[] = [];
    for (const [image, c] of a.tokens.byImage) for (const [reason, n] of c.unresolved) rows.push(`  ${pad(processLabel(image), 24)}${pad(reason, 20)}${n}`);
    if (rows.length > 0) out.push('', 'Unresolved token handles (holder could not be opened; not attributable):', ...rows.sort());
  }
  return `${out.join('\n')}\n`;
}

/** The JSON report as an object, for callers that add to it (`analyze` adds its inputs). */
export function jsonReport(a: HostAnalysis, evidence: ZombieEvidence = 'grace_period'): Record<string, unknown> {
  const tokens = a.tokens
    ? {
        total: a.tokens.total,
        leaked: a.tokens.leaked,
        resolvedThroughSharedObject: a.tokens.resolvedThroughSharedObject,
        unknownLogonSessions: a.tokens.undescribedLogonIds,
        byProcess: Object.fromEntries(
          [...a.tokens.byImage].map(([image, c]) => [processLabel(image), { total: c.total, leaked: c.leaked, unknownLogonSession: c.undescribed, unresolved: Object.fromEntries(c.unresolved) }]),
        ),
      }
    : null;
  return {
    host: a.host,
    source: a.source,
    collectedAt: new Date(a.collectedAt).toISOString(),
    sessions: a.sessions,
    zombies: a.zombies?.map((z) => ({ ...z.logon, accountKind: z.accountKind, reason: z.reason, ageSeconds: z.ageSeconds, ageIsLowerBound: z.ageIsLowerBound, holders: z.holders })) ?? null,
    pendingCandidates: a.pendingCandidates,
    pinnedSessionIds: a.pinnedSessionIds,
    tokens,
    collectors: a.collectors,
    // Only a single capture says so: the live agent's report keeps its shape.
    ...(evidence === 'single_capture' ? { evidence, note: SINGLE_CAPTURE_NOTE } : {}),
  };
}

export function renderJsonReport(a: HostAnalysis, evidence: ZombieEvidence = 'grace_period'): string {
  return `${JSON.stringify(jsonReport(a, evidence), null, 2)}\n`;
}

export function reportExitCode(a: HostAnalysis): number {
  if (a.zombies === null) return REPORT_EXIT.error;
  return a.zombies.length > 0 ? REPORT_EXIT.zombies : REPORT_EXIT.clean;
}
