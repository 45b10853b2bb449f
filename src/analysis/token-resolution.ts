import type { TokenHandle } from '../model/snapshot.js';

/** Logon id of each token object (by kernel address) that some handle resolved. */
export type SharedObjectLogons = ReadonlyMap<string, string>;

/**
 * A protected holder (lsass as a PPL, System) cannot be opened to duplicate its handles, but when the
 * kernel object address is visible, any other handle to the same token object tells which logon session
 * it belongs to. This is the first of the two passes over the handles: it only reads them (no copy of
 * the array, no object per handle); the accounting pass applies the map through {@link logonThroughSharedObject}.
 */
export function sharedObjectLogons(handles: readonly TokenHandle[]): SharedObjectLogons {
  const byObject = new Map<string, string>();
  for (const h of handles) {
    if (h.logonId !== null && h.objectAddress !== null && !byObject.has(h.objectAddress)) byObject.set(h.objectAddress, h.logonId);
  }
  return byObject;
}

/**
 * The logon id an unresolved handle gets through another handle to the same token object, or null when
 * the handle is resolved itself or no other handle tells. What stays unresolved keeps its reason.
 */
export function logonThroughSharedObject(h: TokenHandle, shared: SharedObjectLogons): string | null {
  if (h.logonId !== null || h.objectAddress === null) return null;
  return shared.get(h.objectAddress) ?? null;
}
