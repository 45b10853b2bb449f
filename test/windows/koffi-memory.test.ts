import koffi from 'koffi';
import { describe, expect, it } from 'vitest';
import { decodeLogonSessionData } from '../../src/sources/windows/decoders/lsa.js';
import { decodeSessionInfo, decodeSessionInfo1 } from '../../src/sources/windows/decoders/wts.js';
import { KoffiMemory } from '../../src/sources/windows/koffi-memory.js';
import { LOGON_SESSION_DATA as LSD, WTS_SESSION_INFO_1 as W1, WTS_SESSION_INFO as W0 } from '../../src/sources/windows/layouts.js';

/**
 * The memory reader the Windows source really uses, on real pointers: Buffers kept alive here play the
 * part of the memory WTS and LSA hand out. (A mistake in how koffi decodes a string would crash the
 * agent at the first real session; Wine returns no sessions, so only this test exercises it.)
 */
class Arena {
  private readonly keep: Buffer[] = [];

  place(bytes: Buffer): bigint {
    const copy = Buffer.from(bytes);
    this.keep.push(copy);
    return BigInt(koffi.address(copy));
  }
}

const utf16 = (s: string) => Buffer.from(s, 'utf16le');
const utf16z = (s: string) => Buffer.from(`${s}\0`, 'utf16le');

describe('KoffiMemory on real pointers', () => {
  const memory = new KoffiMemory();

  it('reads bytes and NUL-terminated UTF-16 strings, bounded by maxChars', () => {
    const arena = new Arena();
    const bytes = arena.place(Buffer.from([1, 2, 3, 4]));
    expect([...memory.read(bytes, 4, 'bytes')]).toEqual([1, 2, 3, 4]);
    const text = arena.place(utf16z('ICA-CGP#12'));
    expect(memory.readWideZ(text, 512, 'name')).toBe('ICA-CGP#12');
    expect(memory.readWideZ(text, 3, 'name')).toBe('ICA');
    expect(memory.readWideZ(arena.place(utf16z('')), 512, 'empty')).toBe('');
    expect(() => memory.readWideZ(0n, 10, 'null name')).toThrow(/null name/);
    expect(() => memory.read(0n, 4, 'null bytes')).toThrow(/null bytes/);
  });

  it('decodes a WTS_SESSION_INFO_1W array and the WTS_SESSION_INFOW fallback', () => {
    const arena = new Arena();
    const arr = Buffer.alloc(3 * W1.size);
    const put = (i: number, id: number, state: number, name: string, user: string | null) => {
      const o = i * W1.size;
      arr.writeUInt32LE(state, o + W1.State);
      arr.writeUInt32LE(id, o + W1.SessionId);
      arr.writeBigUInt64LE(arena.place(utf16z(name)), o + W1.pSessionName);
      arr.writeBigUInt64LE(user ? arena.place(utf16z(user)) : 0n, o + W1.pUserName);
      arr.writeBigUInt64LE(user ? arena.place(utf16z('CORP')) : 0n, o + W1.pDomainName);
    };
    put(0, 0, 4, 'Services', null);
    put(1, 2, 0, 'RDP-Tcp#3', 'anna');
    put(2, 65536, 6, 'RDP-Tcp', null);
    expect(decodeSessionInfo1(memory, arena.place(arr), 3)).toEqual([
      { sessionId: 0, name: 'Services', state: 'disconnected', user: null, domain: null },
      { sessionId: 2, name: 'RDP-Tcp#3', state: 'active', user: 'anna', domain: 'CORP' },
      { sessionId: 65536, name: 'RDP-Tcp', state: 'listen', user: null, domain: null },
    ]);
    const legacy = Buffer.alloc(W0.size);
    legacy.writeUInt32LE(1, W0.SessionId);
    legacy.writeBigUInt64LE(arena.place(utf16z('Console')), W0.pWinStationName);
    legacy.writeUInt32LE(1, W0.State);
    expect(decodeSessionInfo(memory, arena.place(legacy), 1)).toEqual([{ sessionId: 1, name: 'Console', state: 'connected', user: null, domain: null }]);
  });

  it('decodes SECURITY_LOGON_SESSION_DATA whose strings carry no terminator', () => {
    const arena = new Arena();
    const buf = Buffer.alloc(LSD.size);
    buf.writeUInt32LE(LSD.size, LSD.Size);
    buf.writeUInt32LE(0x17c025, LSD.LogonId);
    for (const [field, text] of [
      [LSD.UserName, 'klein'],
      [LSD.LogonDomain, 'CORP'],
      [LSD.AuthenticationPackage, 'Kerberos'],
    ] as const) {
      const bytes = utf16(text);
      buf.writeUInt16LE(bytes.length, field);
      buf.writeUInt16LE(bytes.length, field + 2);
      buf.writeBigUInt64LE(arena.place(bytes), field + 8);
    }
    buf.writeUInt32LE(10, LSD.LogonType);
    buf.writeUInt32LE(4, LSD.Session);
    buf.writeBigInt64LE(133_000_000_000_000_000n, LSD.LogonTime);
    const logon = decodeLogonSessionData(memory, arena.place(buf));
    expect(logon).toMatchObject({ logonId: '00000000:0017c025', sessionId: 4, logonType: 'remote_interactive', user: 'klein', domain: 'CORP', authPackage: 'Kerberos', sid: null });
  });
});
