import { logonTypeFromNumber } from '../../../model/logon-types.js';
import type { LogonSession } from '../../../model/snapshot.js';
import { LOGON_SESSION_DATA, LOGON_SESSION_DATA_MIN_SIZE } from '../layouts.js';
import type { NativeMemory } from './memory.js';
import { decodeError, fileTimeToIso, i64, luid, u32, u64, u8 } from './reader.js';
import { unicodeStringAt } from './strings.js';

/** A SID in native memory -> `S-1-5-21-...`; null for a NULL pointer. */
export function readSid(memory: NativeMemory, address: bigint): string | null {
  if (address === 0n) return null;
  const head = memory.read(address, 8, 'SID header');
  const revision = u8(head, 8, 0, 'SID.Revision');
  const count = u8(head, 8, 1, 'SID.SubAuthorityCount');
  if (revision !== 1 || count > 15) throw decodeError('SID', `revision ${revision}, ${count} sub-authorities`);
  const full = memory.read(address, 8 + 4 * count, 'SID');
  return sidToString(full, full.length);
}

/** A SID laid out in a buffer -> string form. */
export function sidToString(buf: Buffer, validLength: number): string {
  const revision = u8(buf, validLength, 0, 'SID.Revision');
  const count = u8(buf, validLength, 1, 'SID.SubAuthorityCount');
  let authority = 0n;
  for (let i = 0; i < 6; i++) authority = (authority << 8n) | BigInt(u8(buf, validLength, 2 + i, 'SID.IdentifierAuthority'));
  const parts = [`S-${revision}-${authority}`];
  for (let i = 0; i < count; i++) parts.push(String(u32(buf, validLength, 8 + 4 * i, 'SID.SubAuthority')));
  return parts.join('-');
}

/**
 * Decodes the SECURITY_LOGON_SESSION_DATA that LsaGetLogonSessionData returned at `address`. Returns null
 * for NULL data (LocalSystem 0x3e7 is known to return success with NULL). Reads only as far as `Size`
 * allows; a structure shorter than the fields we need is an E_NATIVE_DECODE error.
 */
export function decodeLogonSessionData(memory: NativeMemory, address: bigint): LogonSession | null {
  if (address === 0n) return null;
  const sizeBuf = memory.read(address, 4, 'SECURITY_LOGON_SESSION_DATA.Size');
  const declared = sizeBuf.readUInt32LE(0);
  if (declared < LOGON_SESSION_DATA_MIN_SIZE) {
    throw decodeError('SECURITY_LOGON_SESSION_DATA', `Size ${declared} is smaller than the ${LOGON_SESSION_DATA_MIN_SIZE} bytes needed`);
  }
  const length = Math.min(declared, LOGON_SESSION_DATA.size);
  const buf = memory.read(address, length, 'SECURITY_LOGON_SESSION_DATA');
  const logonTime = i64(buf, length, LOGON_SESSION_DATA.LogonTime, 'LogonTime');
  return {
    logonId: luid(buf, length, LOGON_SESSION_DATA.LogonId, 'LogonId'),
    sessionId: u32(buf, length, LOGON_SESSION_DATA.Session, 'Session'),
    logonType: logonTypeFromNumber(u32(buf, length, LOGON_SESSION_DATA.LogonType, 'LogonType')),
    user: unicodeStringAt(buf, length, LOGON_SESSION_DATA.UserName, memory, 'UserName'),
    domain: unicodeStringAt(buf, length, LOGON_SESSION_DATA.LogonDomain, memory, 'LogonDomain'),
    authPackage: unicodeStringAt(buf, length, LOGON_SESSION_DATA.AuthenticationPackage, memory, 'AuthenticationPackage'),
    logonTime: fileTimeToIso(logonTime),
    sid: readSid(memory, u64(buf, length, LOGON_SESSION_DATA.Sid, 'Sid')),
  };
}
