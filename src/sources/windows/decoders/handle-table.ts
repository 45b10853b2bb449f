import { HANDLE_ENTRY, HANDLE_TABLE } from '../layouts.js';
import { checkRange, decodeError, usize } from './reader.js';

/** One SYSTEM_HANDLE_TABLE_ENTRY_INFO_EX, as read from the table. */
export interface HandleEntry {
  /** Kernel object address; 0n when hidden (24H2 / Server 2025 without SeDebugPrivilege, Wine). */
  readonly object: bigint;
  readonly pid: number;
  readonly handle: number;
  readonly grantedAccess: number;
  readonly typeIndex: number;
}

/**
 * Validates the header of a SystemExtendedHandleInformation result and returns NumberOfHandles. A count
 * whose entries do not fit in `validLength` bytes is an error (E_NATIVE_DECODE), never an over-read.
 */
export function handleTableCount(buf: Buffer, validLength: number): number {
  checkRange(buf, validLength, 0, HANDLE_TABLE.headerSize, 'handle table header');
  const count = usize(buf, validLength, HANDLE_TABLE.NumberOfHandles, 'handle table NumberOfHandles');
  const capacity = Math.floor((Math.min(validLength, buf.length) - HANDLE_TABLE.headerSize) / HANDLE_ENTRY.size);
  if (count > capacity) {
    throw decodeError('handle table', `NumberOfHandles ${count} exceeds the ${capacity} entries that fit in ${validLength} bytes`);
  }
  return count;
}

function entryAt(buf: Buffer, offset: number): HandleEntry {
  return {
    object: buf.readBigUInt64LE(offset + HANDLE_ENTRY.Object),
    pid: Number(buf.readBigUInt64LE(offset + HANDLE_ENTRY.UniqueProcessId)),
    handle: Number(buf.readBigUInt64LE(offset + HANDLE_ENTRY.HandleValue)),
    grantedAccess: buf.readUInt32LE(offset + HANDLE_ENTRY.GrantedAccess),
    typeIndex: buf.readUInt16LE(offset + HANDLE_ENTRY.ObjectTypeIndex),
  };
}

/** The entry of (pid, handle value), e.g. for self-calibration of the token type index; null if absent. */
export function findHandleEntry(buf: Buffer, validLength: number, pid: number, handle: number): HandleEntry | null {
  const count = handleTableCount(buf, validLength);
  const bigPid = BigInt(pid);
  const bigHandle = BigInt(handle);
  for (let i = 0, off = HANDLE_TABLE.headerSize; i < count; i++, off += HANDLE_ENTRY.size) {
    if (buf.readBigUInt64LE(off + HANDLE_ENTRY.HandleValue) === bigHandle && buf.readBigUInt64LE(off + HANDLE_ENTRY.UniqueProcessId) === bigPid) {
      return entryAt(buf, off);
    }
  }
  return null;
}

/**
 * Every entry of one object type (the token type), read straight from the Buffer (DataView-speed; no
 * koffi.decode per entry). Entries of `excludePid` (the agent itself) are skipped.
 */
export function handlesOfType(buf: Buffer, validLength: number, typeIndex: number, excludePid = -1): HandleEntry[] {
  const count = handleTableCount(buf, validLength);
  const out: HandleEntry[] = [];
  for (let i = 0, off = HANDLE_TABLE.headerSize; i < count; i++, off += HANDLE_ENTRY.size) {
    if (buf.readUInt16LE(off + HANDLE_ENTRY.ObjectTypeIndex) !== typeIndex) continue;
    const entry = entryAt(buf, off);
    if (entry.pid === excludePid) continue;
    out.push(entry);
  }
  return out;
}

/** How many entries a process holds (the agent's own count where GetProcessHandleCount is a stub). */
export function countHandlesOfPid(buf: Buffer, validLength: number, pid: number): number {
  const count = handleTableCount(buf, validLength);
  const bigPid = BigInt(pid);
  let n = 0;
  for (let i = 0, off = HANDLE_TABLE.headerSize; i < count; i++, off += HANDLE_ENTRY.size) {
    if (buf.readBigUInt64LE(off + HANDLE_ENTRY.UniqueProcessId) === bigPid) n++;
  }
  return n;
}

/** Lays out a handle table (tests, benchmarks): the inverse of the decoders above. */
export function encodeHandleTable(entries: readonly HandleEntry[], declaredCount = entries.length): Buffer {
  const buf = Buffer.alloc(HANDLE_TABLE.headerSize + entries.length * HANDLE_ENTRY.size);
  buf.writeBigUInt64LE(BigInt(declaredCount), HANDLE_TABLE.NumberOfHandles);
  entries.forEach((e, i) => {
    const off = HANDLE_TABLE.headerSize + i * HANDLE_ENTRY.size;
    buf.writeBigUInt64LE(e.object, off + HANDLE_ENTRY.Object);
    buf.writeBigUInt64LE(BigInt(e.pid), off + HANDLE_ENTRY.UniqueProcessId);
    buf.writeBigUInt64LE(BigInt(e.handle), off + HANDLE_ENTRY.HandleValue);
    buf.writeUInt32LE(e.grantedAccess >>> 0, off + HANDLE_ENTRY.GrantedAccess);
    buf.writeUInt16LE(e.typeIndex, off + HANDLE_ENTRY.ObjectTypeIndex);
  });
  return buf;
}

/** Lower-case 0x hex of a kernel address, or null when hidden (0). */
export function formatObjectAddress(object: bigint): string | null {
  return object === 0n ? null : `0x${object.toString(16)}`;
}
