import type { HandleRecord } from '../../../src/captures/capture-types.js';
import { joinLines, type Layout } from './encoding.js';

export const HANDLE_VERSIONS = ['3.51', '4.22', '5.0'] as const;
type Version = (typeof HANDLE_VERSIONS)[number];

function banner(version: Version): string[] {
  return [`Nthandle v${version} - Handle viewer`, `Copyright (C) 1997-${version === '5.0' ? '2022' : '2019'} Mark Russinovich`, 'Sysinternals - www.sysinternals.com', ''];
}

const hex = (n: number) => n.toString(16).toUpperCase();

/** `handle -a 17c025` (the article's layout); `user` adds the `-u` column. */
export function renderHandleSearch(records: readonly HandleRecord[], layout: Layout, version: Version = '4.22', user: string | null = null): string {
  const lines = layout.banner ? banner(version) : [];
  for (const r of records) {
    const owner = user === null ? '' : `${user}  `;
    lines.push(`${r.image.padEnd(18)} pid: ${String(r.pid).padEnd(7)}type: ${r.type.padEnd(13)}${owner}${hex(r.handle).padStart(5)}: ${r.name}`);
  }
  if (records.length === 0) lines.push('No matching handles found.');
  return joinLines(lines, layout);
}

/** `handle -a` for the whole system: a separator and `<image> pid: N <user>` before each process's handles. */
export function renderHandleDump(records: readonly HandleRecord[], layout: Layout, version: Version = '4.22'): string {
  const lines = layout.banner ? banner(version) : [];
  let last: number | null = null;
  for (const r of records) {
    if (r.pid !== last) {
      lines.push('-'.repeat(78), `${r.image} pid: ${r.pid} ${r.pid === 4 ? '\\<unable to open process>' : 'NT AUTHORITY\\SYSTEM'}`);
      last = r.pid;
    }
    const flags = r.type === 'File' ? ' (RW-)  ' : '        ';
    lines.push(`${hex(r.handle).padStart(5)}: ${r.type.padEnd(13)}${flags}${r.name}`);
  }
  return joinLines(lines, layout);
}

/**
 * `handle -v`: CSV, names unquoted with a trailing blank. With a name to search for: 5 columns; for the
 * whole system: 7 (`Process,PID,User,Handle,Type,Share Flags,Name`).
 */
export function renderHandleCsv(records: readonly HandleRecord[], layout: Layout, version: Version = '4.22', wholeSystem = false): string {
  const lines = layout.banner ? banner(version) : [];
  lines.push(wholeSystem ? 'Process,PID,User,Handle,Type,Share Flags,Name' : 'Process,PID,Type,Handle,Name');
  for (const r of records) {
    const handle = `0x${hex(r.handle).padStart(8, '0')}`;
    const flags = r.type === 'File' ? 'RW-' : '';
    lines.push(wholeSystem ? `${r.image},${r.pid},NT AUTHORITY\\SYSTEM,${handle},${r.type},${flags},${r.name} ` : `${r.image},${r.pid},${r.type},${handle},${r.name} `);
  }
  return joinLines(lines, layout);
}

/** `handle -s`. */
export function renderHandleSummary(summary: ReadonlyMap<string, number>, layout: Layout, version: Version = '4.22'): string {
  const lines = layout.banner ? banner(version) : [];
  lines.push('Handle type summary:');
  let total = 0;
  for (const [type, count] of summary) {
    lines.push(`  ${type.padEnd(16)}: ${count}`);
    total += count;
  }
  lines.push(`Total handles: ${total}`);
  return joinLines(lines, layout);
}
