import type { ProcessInfo } from '../../../model/snapshot.js';
import type { Win32Api } from '../api.js';
import { decodeProcessList, processImage, type RawProcess } from '../decoders/process-info.js';
import { decodeTokenStatistics } from '../decoders/token.js';
import type { GrowingBuffer } from '../growing-buffer.js';
import type { IssueCounter } from '../issues.js';
import { ERROR_INVALID_PARAMETER, PROCESS_QUERY_LIMITED_INFORMATION, SystemProcessInformation, TOKEN_QUERY, TOKEN_STATISTICS } from '../layouts.js';
import { yieldToEventLoop } from '../yield.js';

/** First guess of the process list's size; the buffer grows and remembers what worked. */
export const PROCESS_TABLE_INITIAL_SIZE = 512 * 1024;

export interface ProcessScan {
  readonly processes: ProcessInfo[];
  readonly raw: Map<number, RawProcess>;
}

/** SystemProcessInformation + each process's primary-token logon id (QUERY_LIMITED + OpenProcessToken). */
/** The `processes` collector. */
export async function collectProcesses(api: Win32Api, table: GrowingBuffer, issues: IssueCounter): Promise<ProcessScan> {
  const { buffer, length } = await table.fill((b) => api.querySystemInformation(SystemProcessInformation, b));
  const list = decodeProcessList(buffer, length, api.bufferAddress(buffer));
  const stats = Buffer.alloc(TOKEN_STATISTICS.size);
  const raw = new Map<number, RawProcess>();
  const processes: ProcessInfo[] = [];
  let n = 0;
  for (const p of list) {
    raw.set(p.pid, p);
    processes.push({ pid: p.pid, image: processImage(p), sessionId: p.sessionId, logonId: primaryTokenLogonId(api, p.pid, stats, issues) });
    if (++n % 256 === 0) await yieldToEventLoop();
  }
  return { processes, raw };
}

function primaryTokenLogonId(api: Win32Api, pid: number, stats: Buffer, issues: IssueCounter): string | null {
  if (pid === 0) return null; // the idle process has no token
  const process = api.openProcess(pid, PROCESS_QUERY_LIMITED_INFORMATION);
  if (process.value === null) {
    issues.add('processes', process.error === ERROR_INVALID_PARAMETER ? 'process_exited' : 'process_open_denied');
    return null;
  }
  try {
    const token = api.openProcessToken(process.value, TOKEN_QUERY);
    if (token.value === null) {
      issues.add('processes', 'token_open_denied');
      return null;
    }
    try {
      const r = api.tokenStatistics(token.value, stats);
      if (r.value === null) {
        issues.add('processes', 'token_query_failed');
        return null;
      }
      return decodeTokenStatistics(stats, r.value).logonId;
    } finally {
      api.closeHandle(token.value);
    }
  } finally {
    api.closeHandle(process.value);
  }
}
