import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { CollectorRunner, type CollectorOutcome } from '../collector-runner.js';
import { RdsLeakError } from '../../errors.js';
import { requireWindows } from '../../platform/os.js';
import { SNAPSHOT_SCHEMA_VERSION, type Snapshot } from '../../model/snapshot.js';
import type { CollectContext, SnapshotSource } from '../source.js';
import type { Win32Api } from './api.js';
import { collectHandles, HANDLE_TABLE_INITIAL_SIZE, TokenTypeIndex, type HandleScan } from './collectors/handles.js';
import { collectLogonSessions, LogonSessionCache } from './collectors/lsa.js';
import { collectProcesses, PROCESS_TABLE_INITIAL_SIZE, type ProcessScan } from './collectors/processes.js';
import { collectServices, SERVICE_LIST_INITIAL_SIZE, SERVICE_LIST_MAX_SIZE, withServices, type ServicesByPid } from './collectors/services.js';
import { resolveTokenHandles } from './collectors/tokens.js';
import { emptyTokenCacheStats, fileTimeOf, TokenCache, type TokenCacheStats } from './token-cache.js';
import { collectWtsSessions } from './collectors/wts.js';
import { GrowingBuffer } from './growing-buffer.js';
import { IssueCounter } from './issues.js';
import { countHandlesOfPid } from './decoders/handle-table.js';
import { ERROR_NOT_ALL_ASSIGNED, SystemExtendedHandleInformation } from './layouts.js';
import type { WindowsSourceSettings } from './flags.js';

export interface WindowsSourceOptions extends Partial<WindowsSourceSettings> {
  readonly hostName?: string;
  /** The source's own child logger; each collector logs through a child of it. */
  readonly logger: Logger;
  /** Answers kept across scans (default: a fresh cache per source; tests pass their own to inspect it). */
  readonly tokenCache?: TokenCache;
  readonly logonSessionCache?: LogonSessionCache;
  /** Called after each token resolution with its cache counters (the Wine benchmark reads them). */
  readonly onTokenCacheStats?: (stats: TokenCacheStats) => void;
}

/**
 * GetProcessHandleCount, or, when it answers 0 (Wine's stub does; a real process always holds handles),
 * our own entries counted in a fresh handle table (synchronous, reusing the scan buffer).
 */
function ownHandleCountFromTable(api: Win32Api, table: GrowingBuffer, direct: number | null): number | null {
  try {
    const { buffer, length } = table.fillSync((b) => api.querySystemInformationSync(SystemExtendedHandleInformation, b));
    return countHandlesOfPid(buffer, length, api.selfPid);
  } catch {
    return direct;
  }
}

/** Per-handle loop: handles between two looks at the clock (it yields after 10 ms of work). */
const CHUNK_SIZE = 16;

/**
 * The Windows native source (`--source windows`). Loads the koffi bindings lazily: only on win32
 * (Windows, or Windows Node under Wine, which reports win32). On any other platform it fails with a
 * usage error naming the alternatives.
 */
export async function createWindowsSource(options: WindowsSourceOptions): Promise<SnapshotSource> {
  requireWindows('--source windows');
  let api: Win32Api;
  try {
    const { loadWin32Api } = await import('./win32/bindings.js');
    api = loadWin32Api();
  } catch (error) {
    if (error instanceof RdsLeakError) throw error;
    throw new RdsLeakError('E_SOURCE_UNAVAILABLE', `cannot load the Windows native bindings (koffi): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return createWindowsSourceWithApi(api, options);
}

/** The source over any {@link Win32Api}: the real bindings, or a fake in the Linux unit tests. */
export function createWindowsSourceWithApi(api: Win32Api, options: WindowsSourceOptions): SnapshotSource {
  const logger = options.logger;
  const host = options.hostName ?? hostname();
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
  const runner = new CollectorRunner();
  const handleTable = new GrowingBuffer('NtQuerySystemInformation(SystemExtendedHandleInformation)', HANDLE_TABLE_INITIAL_SIZE);
  const processTable = new GrowingBuffer('NtQuerySystemInformation(SystemProcessInformation)', PROCESS_TABLE_INITIAL_SIZE);
  const serviceList = new GrowingBuffer('EnumServicesStatusExW(SC_ENUM_PROCESS_INFO)', SERVICE_LIST_INITIAL_SIZE, SERVICE_LIST_MAX_SIZE);
  const log = {
    wts: logger.child({ collector: 'wts' }),
    lsa: logger.child({ collector: 'lsa' }),
    handles: logger.child({ collector: 'handles' }),
  };
  const typeIndex = new TokenTypeIndex(api, log.handles);
  const tokenCache = options.tokenCache ?? new TokenCache();
  const logonSessionCache = options.logonSessionCache ?? new LogonSessionCache();

  const privilege = api.enablePrivilege('SeDebugPrivilege');
  const debugPrivilege = privilege.value === true;
  if (!debugPrivilege) {
    logger.warn(
      { error: privilege.error, notHeld: privilege.error === ERROR_NOT_ALL_ASSIGNED },
      'SeDebugPrivilege could not be enabled: token handles held by other users\' processes and by services cannot be ' +
        'duplicated and are reported as unresolved (access_denied), primary-token logon ids of those processes are missing, ' +
        'and Windows 11 24H2 / Server 2025 hide kernel object addresses. Fix: run the exporter as LocalSystem (the Windows ' +
        'service, see docs/install-windows.md) or from an elevated administrator prompt.',
    );
  } else {
    logger.debug('SeDebugPrivilege enabled');
  }
  let closed = false;
  let ownTable: GrowingBuffer | undefined;

  async function collect(context: CollectContext): Promise<Snapshot> {
    if (closed) throw new RdsLeakError('E_SOURCE_UNAVAILABLE', 'the Windows source is closed');
    const deadline = context.deadline;
    const issues = new IssueCounter();
    const [wts, lsa] = await Promise.all([
      runner.run('wts', deadline, () => collectWtsSessions(api, log.wts)),
      runner.run('lsa', deadline, () => collectLogonSessions(api, issues, log.lsa, logonSessionCache)),
    ]);
    if (wts.value && !wts.value.userNamesKnown) issues.add('wts', 'user_names_unavailable');
    // The handle table first, the processes after: a process listed then existed when the table was read,
    // or was created after it (and is then not cached), so a cached answer never meets a pid's new owner.
    const tableTakenAt = fileTimeOf(Date.now());
    const handles: CollectorOutcome<HandleScan> = await runner.run('handles', deadline, () => collectHandles(api, handleTable, typeIndex));
    const [processes, services]: [CollectorOutcome<ProcessScan>, CollectorOutcome<ServicesByPid>] = await Promise.all([
      runner.run('processes', deadline, () => collectProcesses(api, processTable, issues)),
      runner.run('services', deadline, () => collectServices(api, serviceList)),
    ]);
    const scan = handles.value;
    const tokens = await runner.run('tokens', deadline, async () => {
      if (!scan) throw new RdsLeakError('E_NATIVE_CALL', 'no handle table in this scan (the handles collector failed)');
      const stats = emptyTokenCacheStats();
      tokenCache.beginScan();
      const resolved = await resolveTokenHandles(
        api,
        scan.tokens,
        processes.value?.raw ?? null,
        issues,
        { concurrency, chunkSize: CHUNK_SIZE, debugPrivilege, openProtectedProcesses: options.openProtectedProcesses ?? false },
        { cache: tokenCache, tableTakenAt, stats },
      );
      const dropped = tokenCache.endScan();
      log.handles.debug({ ...stats, dropped, cached: tokenCache.size }, 'token cache');
      options.onTokenCacheStats?.(stats);
      return resolved;
    });
    if (scan) log.handles.debug({ tokenTypeIndex: scan.tokenTypeIndex, calibrated: scan.calibrated, handles: scan.totalHandles, tokenHandles: scan.tokens.length }, 'handle table scanned');
    return {
      schemaVersion: SNAPSHOT_SCHEMA_VERSION,
      host,
      source: 'windows',
      collectedAt: new Date().toISOString(),
      wtsSessions: wts.value?.sessions ?? null,
      ...(wts.value && !wts.value.userNamesKnown ? { wtsUserNamesKnown: false } : {}),
      logonSessions: lsa.value,
      // Without the services collector the processes are still known, only not which services they host.
      processes: processes.value ? (services.value ? withServices(processes.value.processes, services.value) : processes.value.processes) : null,
      tokenHandles: tokens.value,
      collectors: [wts.status, lsa.status, processes.status, handles.status, tokens.status, services.status],
      issues: issues.list(),
    };
  }

  return {
    kind: 'windows',
    clock: { kind: 'live', scale: 1 },
    notice: null,
    description: `windows:native${debugPrivilege ? '' : ' (no SeDebugPrivilege)'}`,
    collect,
    ownHandleCount: () => {
      // A reader of its own: the scan's buffer may be in use by an async call of a running collection.
      const direct = api.ownHandleCount();
      if (direct !== null && direct > 0) return direct;
      ownTable ??= new GrowingBuffer('NtQuerySystemInformation(SystemExtendedHandleInformation)', 256 * 1024);
      return ownHandleCountFromTable(api, ownTable, direct);
    },
    async close() {
      closed = true;
    },
  };
}
