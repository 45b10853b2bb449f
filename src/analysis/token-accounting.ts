import type { ProcessInfo, TokenHandle, UnresolvedReason } from '../model/snapshot.js';
import { WELL_KNOWN_LOGON_IDS } from '../model/logon-id.js';
import { UNKNOWN_PROCESS_IMAGE } from './process-label.js';

export interface ProcessTokenCounts {
  total: number;
  leaked: number;
  unresolved: Map<UnresolvedReason, number>;
  /** Resolved to a logon id that LSA did not describe (not enumerated, or its data could not be read). */
  undescribed: number;
}

export interface ZombieHolder {
  readonly pid: number;
  readonly image: string;
  readonly handles: number;
  /** The Windows services the holder hosts (`Schedule`, `ProfSvc`); absent when none, or unknown. */
  readonly services?: readonly string[];
}

export interface TokenAccounting {
  /** By holder image name (with .exe, as in the snapshot). */
  readonly byImage: ReadonlyMap<string, ProcessTokenCounts>;
  /** Holders of each zombie logon session's tokens, by logon id: what `handle.exe -a <luid>` shows. */
  readonly holdersByLogon: ReadonlyMap<string, readonly ZombieHolder[]>;
  readonly total: number;
  readonly leaked: number;
  /** Distinct logon ids held through token handles that LSA did not describe; null when LSA failed. */
  readonly undescribedLogonIds: number | null;
}

/** Accounts Windows itself runs as; LSA lists them but gives no data for LocalSystem: known, not undescribed. */
const WELL_KNOWN = new Set<string>(Object.values(WELL_KNOWN_LOGON_IDS));

/**
 * Counts token handles per holder image, which of them are leaked (their logon session is a zombie),
 * and which stay unresolved with their reason. One pass over the handles: hosts carry 10^5 of them.
 */
export function accountTokenHandles(
  handles: readonly TokenHandle[],
  processes: readonly ProcessInfo[] | null,
  zombieLogonIds: ReadonlySet<string> | null,
  describedLogonIds: ReadonlySet<string> | null = null,
): TokenAccounting {
  const undescribed = new Set<string>();
  const imageByPid = new Map<number, string>();
  const servicesByPid = new Map<number, readonly string[]>();
  for (const p of processes ?? []) {
    imageByPid.set(p.pid, p.image);
    if (p.services && p.services.length > 0) servicesByPid.set(p.pid, p.services);
  }

  const byImage = new Map<string, ProcessTokenCounts>();
  const holders = new Map<string, Map<number, number>>();
  let leaked = 0;
  for (const h of handles) {
    const image = imageByPid.get(h.pid) ?? UNKNOWN_PROCESS_IMAGE;
    let counts = byImage.get(image);
    if (!counts) {
      counts = { total: 0, leaked: 0, unresolved: new Map(), undescribed: 0 };
      byImage.set(image, counts);
    }
    counts.total += 1;
    if (h.unresolved !== null) {
      counts.unresolved.set(h.unresolved, (counts.unresolved.get(h.unresolved) ?? 0) + 1);
    } else if (describedLogonIds && h.logonId !== null && !describedLogonIds.has(h.logonId) && !WELL_KNOWN.has(h.logonId)) {
      // A token whose logon session LSA cannot describe may well be a zombie's: counted, never dropped.
      counts.undescribed += 1;
      undescribed.add(h.logonId);
    } else if (h.logonId !== null && zombieLogonIds?.has(h.logonId)) {
      counts.leaked += 1;
      leaked += 1;
      let perPid = holders.get(h.logonId);
      if (!perPid) holders.set(h.logonId, (perPid = new Map<number, number>()));
      perPid.set(h.pid, (perPid.get(h.pid) ?? 0) + 1);
    }
  }

  const holdersByLogon = new Map<string, ZombieHolder[]>();
  for (const [logonId, perPid] of holders) {
    const list = [...perPid].map(([pid, count]): ZombieHolder => {
      const services = servicesByPid.get(pid);
      return { pid, image: imageByPid.get(pid) ?? UNKNOWN_PROCESS_IMAGE, handles: count, ...(services ? { services } : {}) };
    });
    list.sort((a, b) => b.handles - a.handles || a.pid - b.pid);
    holdersByLogon.set(logonId, list);
  }
  return { byImage, holdersByLogon, total: handles.length, leaked, undescribedLogonIds: describedLogonIds ? undescribed.size : null };
}
