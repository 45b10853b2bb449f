import { UNICODE_STRING } from '../layouts.js';
import type { NativeMemory } from './memory.js';
import { decodeError, u16, u64 } from './reader.js';

/** The longest UNICODE_STRING we accept (Length is a u16 of bytes, so 32767 characters at most). */
const MAX_STRING_BYTES = 0xfffe;

/**
 * An LSA_UNICODE_STRING / UNICODE_STRING stored in `buf` at `off` whose Buffer points elsewhere: decoded
 * with its explicit Length (LSA strings are not guaranteed to be NUL-terminated). A NULL Buffer or a zero
 * Length gives ''.
 */
export function unicodeStringAt(buf: Buffer, len: number, off: number, memory: NativeMemory, what: string): string {
  const length = u16(buf, len, off + UNICODE_STRING.Length, `${what}.Length`);
  const maximum = u16(buf, len, off + UNICODE_STRING.MaximumLength, `${what}.MaximumLength`);
  const pointer = u64(buf, len, off + UNICODE_STRING.Buffer, `${what}.Buffer`);
  if (length === 0 || pointer === 0n) return '';
  if (length % 2 !== 0 || length > MAX_STRING_BYTES || (maximum !== 0 && length > maximum)) {
    throw decodeError(what, `bad UNICODE_STRING Length ${length} (MaximumLength ${maximum})`);
  }
  return memory.read(pointer, length, what).toString('utf16le');
}

/**
 * A UNICODE_STRING whose Buffer points inside the same output buffer (SYSTEM_PROCESS_INFORMATION,
 * OBJECT_TYPE_INFORMATION): offset = pointer - address of the buffer, bounds-checked.
 */
export function inlineUnicodeStringAt(buf: Buffer, len: number, off: number, bufferAddress: bigint, what: string): string {
  const length = u16(buf, len, off + UNICODE_STRING.Length, `${what}.Length`);
  const pointer = u64(buf, len, off + UNICODE_STRING.Buffer, `${what}.Buffer`);
  if (length === 0 || pointer === 0n) return '';
  if (length % 2 !== 0) throw decodeError(what, `odd UNICODE_STRING Length ${length}`);
  const start = pointer - bufferAddress;
  if (start < 0n || start + BigInt(length) > BigInt(Math.min(len, buf.length))) {
    throw decodeError(what, `string at 0x${pointer.toString(16)} (+${length}) lies outside the ${len}-byte buffer`);
  }
  const s = Number(start);
  return buf.toString('utf16le', s, s + length);
}

/**
 * A NUL-terminated UTF-16 string whose pointer points inside the same output buffer (the service names of
 * EnumServicesStatusExW): bounds-checked, at most `maxChars` characters, and it must end inside the buffer.
 */
export function inlineWideZAt(buf: Buffer, len: number, pointer: bigint, bufferAddress: bigint, maxChars: number, what: string): string {
  if (pointer === 0n) return '';
  const limit = Math.min(len, buf.length);
  const start = pointer - bufferAddress;
  if (start < 0n || start >= BigInt(limit) || start % 2n !== 0n) {
    throw decodeError(what, `string at 0x${pointer.toString(16)} lies outside the ${limit}-byte buffer`);
  }
  const s = Number(start);
  const end = Math.min(limit - 1, s + maxChars * 2 + 2);
  for (let o = s; o < end; o += 2) if (buf.readUInt16LE(o) === 0) return buf.toString('utf16le', s, o);
  throw decodeError(what, `no terminating NUL within ${maxChars} characters or before the end of the buffer`);
}
