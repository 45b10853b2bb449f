import { ENUM_SERVICE_STATUS_PROCESS } from '../layouts.js';
import { checkRange, decodeError, u32, u64 } from './reader.js';
import { inlineWideZAt } from './strings.js';

/** One entry of EnumServicesStatusExW(SC_ENUM_PROCESS_INFO). */
export interface ServiceEntry {
  /** The short (key) name: `Schedule`, `ProfSvc`. */
  readonly name: string;
  /** The hosting process; 0 while the service is not running (start or stop pending). */
  readonly pid: number;
  readonly serviceType: number;
  readonly currentState: number;
}

/** Service names are at most 256 characters (CreateService); anything longer is a decoding error. */
const MAX_SERVICE_NAME_CHARS = 256;
/** Far above any host (a few hundred services, plus per-user service instances per RDS session). */
const MAX_ENTRIES = 1_000_000;

/**
 * Decodes the ENUM_SERVICE_STATUS_PROCESSW array of one EnumServicesStatusExW call: `count` entries from
 * offset 0, whose name pointers point into the same buffer (the SCM packs the strings at its end), so
 * `bufferAddress` is the address the call saw. The display name is not read: nothing here shows it.
 */
export function decodeServiceEntries(buf: Buffer, validLength: number, count: number, bufferAddress: bigint): ServiceEntry[] {
  if (!Number.isInteger(count) || count < 0 || count > MAX_ENTRIES) throw decodeError('ENUM_SERVICE_STATUS_PROCESSW array', `implausible count ${count}`);
  const E = ENUM_SERVICE_STATUS_PROCESS;
  checkRange(buf, validLength, 0, count * E.size, `ENUM_SERVICE_STATUS_PROCESSW array of ${count}`);
  const out: ServiceEntry[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * E.size;
    const name = inlineWideZAt(buf, validLength, u64(buf, validLength, o + E.lpServiceName, 'lpServiceName'), bufferAddress, MAX_SERVICE_NAME_CHARS, `lpServiceName of entry ${i}`);
    if (name.length === 0) throw decodeError(`ENUM_SERVICE_STATUS_PROCESSW entry ${i}`, 'no service name');
    out.push({
      name,
      pid: u32(buf, validLength, o + E.dwProcessId, 'dwProcessId'),
      serviceType: u32(buf, validLength, o + E.dwServiceType, 'dwServiceType'),
      currentState: u32(buf, validLength, o + E.dwCurrentState, 'dwCurrentState'),
    });
  }
  return out;
}

/**
 * For tests (the Linux fake API): lays entries out as the SCM does (array first, strings packed at the end of
 * the buffer), for a buffer the call sees at `bufferAddress`. Returns the bytes the entries need, or null
 * when they do not fit in `buf` (nothing then is written).
 */
export function encodeServiceEntries(entries: readonly ServiceEntry[], buf: Buffer, bufferAddress: bigint): number | null {
  const E = ENUM_SERVICE_STATUS_PROCESS;
  const names = entries.map((e) => Buffer.from(`${e.name}\0`, 'utf16le'));
  const needed = entries.length * E.size + names.reduce((n, b) => n + b.length * 2, 0);
  if (needed > (buf.length & ~1)) return null;
  buf.fill(0, 0, entries.length * E.size);
  let tail = buf.length & ~1;
  entries.forEach((e, i) => {
    const o = i * E.size;
    const name = names[i] as Buffer;
    // The display name is written too (the same text), as the SCM does, so the strings are not all names.
    for (const field of [E.lpDisplayName, E.lpServiceName]) {
      tail -= name.length;
      name.copy(buf, tail);
      buf.writeBigUInt64LE(bufferAddress + BigInt(tail), o + field);
    }
    buf.writeUInt32LE(e.serviceType, o + E.dwServiceType);
    buf.writeUInt32LE(e.currentState, o + E.dwCurrentState);
    buf.writeUInt32LE(e.pid, o + E.dwProcessId);
  });
  return needed;
}
