import { RdsLeakError } from '../../../errors.js';
import { formatLogonId } from '../../../model/logon-id.js';
import { FILETIME_NEVER, FILETIME_UNIX_EPOCH, LUID } from '../layouts.js';

/**
 * Bounds-checked little-endian reads. Every decoder goes through these: a read past the valid length of
 * a buffer throws RdsLeakError('E_NATIVE_DECODE') naming what was being read, never reads out of bounds.
 */
export function decodeError(what: string, detail: string): RdsLeakError {
  return new RdsLeakError('E_NATIVE_DECODE', `cannot decode ${what}: ${detail}`);
}

export function checkRange(buf: Uint8Array, validLength: number, offset: number, size: number, what: string): void {
  const limit = Math.min(validLength, buf.length);
  if (!Number.isInteger(offset) || offset < 0 || size < 0 || offset + size > limit) {
    throw decodeError(what, `needs bytes ${offset}..${offset + size} but only ${limit} are valid`);
  }
}

export function u8(buf: Buffer, len: number, off: number, what: string): number {
  checkRange(buf, len, off, 1, what);
  return buf.readUInt8(off);
}
export function u16(buf: Buffer, len: number, off: number, what: string): number {
  checkRange(buf, len, off, 2, what);
  return buf.readUInt16LE(off);
}
export function u32(buf: Buffer, len: number, off: number, what: string): number {
  checkRange(buf, len, off, 4, what);
  return buf.readUInt32LE(off);
}
export function i32(buf: Buffer, len: number, off: number, what: string): number {
  checkRange(buf, len, off, 4, what);
  return buf.readInt32LE(off);
}
export function u64(buf: Buffer, len: number, off: number, what: string): bigint {
  checkRange(buf, len, off, 8, what);
  return buf.readBigUInt64LE(off);
}
export function i64(buf: Buffer, len: number, off: number, what: string): bigint {
  checkRange(buf, len, off, 8, what);
  return buf.readBigInt64LE(off);
}

/** A LUID at `off`, as `HIGH:LOW` (the project's canonical logon id form). */
export function luid(buf: Buffer, len: number, off: number, what: string): string {
  checkRange(buf, len, off, LUID.size, what);
  return formatLogonId(buf.readInt32LE(off + LUID.HighPart), buf.readUInt32LE(off + LUID.LowPart));
}

/** A pointer-sized value as a safe integer (pids, handle values, counts); throws when it cannot be one. */
export function usize(buf: Buffer, len: number, off: number, what: string): number {
  const value = u64(buf, len, off, what);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw decodeError(what, `value ${value} is out of range`);
  return Number(value);
}

/** UTF-16LE text of `byteLength` bytes at `off`, no terminator expected. */
export function utf16(buf: Buffer, len: number, off: number, byteLength: number, what: string): string {
  if (byteLength % 2 !== 0) throw decodeError(what, `odd UTF-16 byte length ${byteLength}`);
  checkRange(buf, len, off, byteLength, what);
  return buf.toString('utf16le', off, off + byteLength);
}

/** FILETIME (100 ns since 1601) -> ISO string; null for 0, negative, "never" and out-of-range values. */
export function fileTimeToIso(value: bigint): string | null {
  if (value <= 0n || value >= FILETIME_NEVER) return null;
  const ms = (value - FILETIME_UNIX_EPOCH) / 10_000n;
  if (ms > 8_640_000_000_000_000n || ms < -8_640_000_000_000_000n) return null;
  return new Date(Number(ms)).toISOString();
}
