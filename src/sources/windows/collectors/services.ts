import { RdsLeakError } from '../../../errors.js';
import type { ProcessInfo } from '../../../model/snapshot.js';
import type { ServiceEnumResult, Win32Api } from '../api.js';
import { decodeServiceEntries } from '../decoders/services.js';
import type { FillAnswer, GrowingBuffer } from '../growing-buffer.js';
import { ERROR_INSUFFICIENT_BUFFER, ERROR_MORE_DATA, SC_MANAGER_ENUMERATE_SERVICE } from '../layouts.js';

/** First guess of one call's buffer: a server's few hundred services fit in one call. */
export const SERVICE_LIST_INITIAL_SIZE = 64 * 1024;
/** EnumServicesStatusExW takes at most 256 KB per call; longer lists come in pages through the resume handle. */
export const SERVICE_LIST_MAX_SIZE = 256 * 1024;
/** 64 full pages are about 100 000 services: a resume handle that keeps going past that is not progressing. */
const MAX_PAGES = 64;

/** Service short names by hosting pid, in the order the SCM lists them. */
export type ServicesByPid = ReadonlyMap<number, readonly string[]>;

/**
 * The `services` collector: which Windows services each process hosts, so a holder reads
 * `svchost.exe 1064 (Schedule, ProfSvc)`. Opens the service control manager with SC_MANAGER_ENUMERATE_SERVICE
 * only (any authenticated user holds it) and closes it again in every case. EnumServicesStatusExW lists
 * active SERVICE_WIN32 services with their pids; a call whose buffer holds not even one entry is grown and
 * retried (the one rule of GrowingBuffer); a list longer than one call continues from the resume handle.
 */
export function collectServices(api: Win32Api, list: GrowingBuffer): ServicesByPid {
  const scm = api.openServiceManager(SC_MANAGER_ENUMERATE_SERVICE);
  if (scm.value === null) throw new RdsLeakError('E_NATIVE_CALL', `OpenSCManagerW(SC_MANAGER_ENUMERATE_SERVICE) failed with error ${scm.error}`);
  const handle = scm.value;
  try {
    const byPid = new Map<number, string[]>();
    const seen = new Set<string>();
    let resume = 0;
    for (let page = 1; page <= MAX_PAGES; page++) {
      let call = null as ServiceEnumResult | null;
      const { buffer, length } = list.fillWith((b): FillAnswer => {
        call = api.enumServices(handle, b, resume);
        if (call.ok || (call.error === ERROR_MORE_DATA && call.count > 0)) return { filled: true, length: b.length };
        // Nothing fitted: bytesNeeded counts what is left, on top of what this buffer could hold.
        if (call.error === ERROR_MORE_DATA || call.error === ERROR_INSUFFICIENT_BUFFER) return { filled: false, needed: b.length + call.bytesNeeded };
        throw new RdsLeakError('E_NATIVE_CALL', `EnumServicesStatusExW failed with error ${call.error}`);
      });
      if (call === null) throw new RdsLeakError('E_NATIVE_CALL', 'EnumServicesStatusExW was not called');
      for (const entry of decodeServiceEntries(buffer, length, call.count, api.bufferAddress(buffer))) {
        // A service can show on two pages when the list changed between calls; pid 0: not running yet or any more.
        if (entry.pid === 0 || seen.has(entry.name)) continue;
        seen.add(entry.name);
        const names = byPid.get(entry.pid);
        if (names) names.push(entry.name);
        else byPid.set(entry.pid, [entry.name]);
      }
      if (call.ok) return byPid;
      if (call.resumeHandle === resume) throw new RdsLeakError('E_NATIVE_CALL', `EnumServicesStatusExW asks for more data but its resume handle stays at ${resume}`);
      resume = call.resumeHandle;
    }
    throw new RdsLeakError('E_NATIVE_CALL', `EnumServicesStatusExW still has more data after ${MAX_PAGES} calls`);
  } finally {
    api.closeServiceHandle(handle);
  }
}

/**
 * The process list with each process's services; a process hosting none keeps no `services` field. Both
 * lists are taken within milliseconds of each other: a pid reused in between would lend its services to
 * the new process, which is rare and changes only a label. Services of a pid not in the list are dropped.
 */
export function withServices(processes: readonly ProcessInfo[], services: ServicesByPid): ProcessInfo[] {
  return processes.map((p) => {
    const names = services.get(p.pid);
    return names && names.length > 0 ? { ...p, services: [...names] } : p;
  });
}
