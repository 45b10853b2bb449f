import type { TokenHandle } from '../model/snapshot.js';

export interface ResolvedTokenHandles {
  readonly handles: readonly TokenHandle[];
  /** Handles whose holder could not be opened, attributed through another handle to the same token object. */
  readonly resolvedThroughSharedObject: number;
}

/**
 * A protected holder (lsass as a PPL, System) cannot be opened to duplicate its handles, but when the
 * kernel object address is visible, any other handle to the same token object tells which logon session
 * it belongs to. What stays unresolved keeps its reason; nothing is dropped.
 */
export function resolveThroughSharedObjects(handles: readonly TokenHandle[]): ResolvedTokenHandles {
  const byObject = new Map<string, { tokenId: string | null; logonId: string }>();
  for (const h of handles) {
    if (h.logonId !== null && h.objectAddress !== null && !byObject.has(h.objectAddress)) {
      byObject.set(h.objectAddress, { tokenId: h.tokenId, logonId: h.logonId });
    }
  }
  let resolvedThroughSharedObject = 0;
  const out = handles.map((h) => {
    if (h.logonId !== null || h.objectAddress === null) return h;
    const known = byObject.get(h.objectAddress);
    if (!known) return h;
    resolvedThroughSharedObject += 1;
    return { ...h, tokenId: h.tokenId ?? known.tokenId, logonId: known.logonId, unresolved: null };
  });
  return { handles: out, resolvedThroughSharedObject };
}
