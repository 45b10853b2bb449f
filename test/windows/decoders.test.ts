import { describe, expect, it } from 'vitest';
import { RdsLeakError } from '../../src/errors.js';
import { encodeHandleTable, findHandleEntry, handlesOfType, handleTableCount, countHandlesOfPid, formatObjectAddress } from '../../src/sources/windows/decoders/handle-table.js';
import { decodeLogonSessionData, readSid, sidToString } from '../../src/sources/windows/decoders/lsa.js';
import { RegionMemory } from '../../src/sources/windows/decoders/memory.js';
import { decodeObjectTypes, tokenTypeIndexFromTypes } from '../../src/sources/windows/decoders/object-types.js';
import { decodeProcessList, processImage } from '../../src/sources/windows/decoders/process-info.js';
import { fileTimeToIso } from '../../src/sources/windows/decoders/reader.js';
import { unicodeStringAt } from '../../src/sources/windows/decoders/strings.js';
import { decodeTokenStatistics } from '../../src/sources/windows/decoders/token.js';
import { decodeSessionInfo, decodeSessionInfo1 } from '../../src/sources/windows/decoders/wts.js';
import { LOGON_SESSION_DATA as LSD, PROCESS_INFO as PI, WTS_SESSION_INFO_1 as W1, WTS_SESSION_INFO as W0, OBJECT_TYPE_INFO as OTI } from '../../src/sources/windows/layouts.js';

const decodeFailure = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RdsLeakError);
    expect((error as RdsLeakError).code).toBe('E_NATIVE_DECODE');
    return (error as Error).message;
  }
  throw new Error('expected E_NATIVE_DECODE');
};

const utf16 = (s: string) => Buffer.from(s, 'utf16le'); // no terminator
const utf16z = (s: string) => Buffer.from(`${s}\0`, 'utf16le');

function unicodeString(buf: Buffer, off: number, text: Buffer, address: bigint, maximum = text.length): void {
  buf.writeUInt16LE(text.length, off);
  buf.writeUInt16LE(maximum, off + 2);
  buf.writeBigUInt64LE(address, off + 8);
}

function sid(...parts: number[]): Buffer {
  // S-1-5-21-a-b-c-rid: revision 1, authority 5
  const [authority, ...subs] = parts;
  const b = Buffer.alloc(8 + 4 * subs.length);
  b[0] = 1;
  b[1] = subs.length;
  b.writeUIntBE(authority ?? 0, 2, 6);
  subs.forEach((s, i) => b.writeUInt32LE(s, 8 + 4 * i));
  return b;
}

interface SessionSpec { user?: string; domain?: string; pkg?: string; sid?: Buffer | null; size?: number; logonTime?: bigint; type?: number; session?: number }

function layoutSession(mem: RegionMemory, spec: SessionSpec = {}): bigint {
  const buf = Buffer.alloc(LSD.size);
  buf.writeUInt32LE(spec.size ?? LSD.size, LSD.Size);
  buf.writeUInt32LE(0x17c025, LSD.LogonId);
  buf.writeInt32LE(0, LSD.LogonId + 4);
  for (const [field, text] of [[LSD.UserName, spec.user ?? 'alice'], [LSD.LogonDomain, spec.domain ?? 'CORP'], [LSD.AuthenticationPackage, spec.pkg ?? 'Kerberos']] as const) {
    const bytes = utf16(text);
    const addr = bytes.length ? mem.place(bytes) : 0n; // exactly Length bytes: no terminator in readable memory
    unicodeString(buf, field, bytes, addr);
  }
  buf.writeUInt32LE(spec.type ?? 10, LSD.LogonType);
  buf.writeUInt32LE(spec.session ?? 4, LSD.Session);
  const s = spec.sid === undefined ? sid(5, 21, 1, 2, 3, 1104) : spec.sid;
  buf.writeBigUInt64LE(s ? mem.place(s) : 0n, LSD.Sid);
  buf.writeBigInt64LE(spec.logonTime ?? 133_000_000_000_000_000n, LSD.LogonTime);
  return mem.place(buf.subarray(0, Math.max(4, Math.min(LSD.size, spec.size ?? LSD.size))));
}

describe('LSA logon session data', () => {
  it('decodes a session whose strings carry no terminator', () => {
    const mem = new RegionMemory();
    const s = decodeLogonSessionData(mem, layoutSession(mem));
    expect(s).toEqual({
      logonId: '00000000:0017c025',
      sessionId: 4,
      logonType: 'remote_interactive',
      user: 'alice',
      domain: 'CORP',
      authPackage: 'Kerberos',
      logonTime: fileTimeToIso(133_000_000_000_000_000n),
      sid: 'S-1-5-21-1-2-3-1104',
    });
  });

  it('returns null for NULL data (LocalSystem)', () => {
    expect(decodeLogonSessionData(new RegionMemory(), 0n)).toBeNull();
  });

  it('accepts a NULL SID, empty strings and a zero logon time', () => {
    const mem = new RegionMemory();
    const s = decodeLogonSessionData(mem, layoutSession(mem, { sid: null, user: '', logonTime: 0n, type: 99 }));
    expect(s?.sid).toBeNull();
    expect(s?.user).toBe('');
    expect(s?.logonTime).toBeNull();
    expect(s?.logonType).toBe('unknown');
  });

  it('reads only as far as Size allows and rejects a truncated structure', () => {
    const mem = new RegionMemory();
    // Size covers up to LogonTime: enough (older structure), fields past it are never read.
    expect(decodeLogonSessionData(mem, layoutSession(mem, { size: LSD.LogonTime + 8 }))?.user).toBe('alice');
    expect(decodeFailure(() => decodeLogonSessionData(mem, layoutSession(mem, { size: 0x40 })))).toMatch(/Size 64/);
  });

  it('rejects a string whose Length exceeds MaximumLength or runs past readable memory', () => {
    const mem = new RegionMemory();
    const buf = Buffer.alloc(16);
    const text = utf16('bob');
    unicodeString(buf, 0, text, mem.place(text), 2);
    decodeFailure(() => unicodeStringAt(buf, 16, 0, mem, 'UserName'));
    unicodeString(buf, 0, Buffer.alloc(40), mem.place(text), 40);
    decodeFailure(() => unicodeStringAt(buf, 16, 0, mem, 'UserName'));
    decodeFailure(() => unicodeStringAt(buf, 12, 0, mem, 'UserName')); // struct itself truncated
  });

  it('decodes SIDs and rejects a bad one', () => {
    expect(sidToString(sid(5, 18), 12)).toBe('S-1-5-18');
    const mem = new RegionMemory();
    expect(readSid(mem, 0n)).toBeNull();
    const bad = sid(5, 21, 1);
    bad[0] = 7;
    decodeFailure(() => readSid(mem, mem.place(bad)));
    const short = sid(5, 21, 1, 2, 3).subarray(0, 12); // claims 4 sub-authorities, has 1
    decodeFailure(() => readSid(mem, mem.place(Buffer.from(short))));
  });
});

describe('handle table (SystemExtendedHandleInformation)', () => {
  const entries = [
    { object: 0xffff8a0c12345670n, pid: 4, handle: 0x10, grantedAccess: 0x8, typeIndex: 5 },
    { object: 0n, pid: 1234, handle: 0x1a4, grantedAccess: 0xf01ff, typeIndex: 5 },
    { object: 0n, pid: 1234, handle: 0x1a8, grantedAccess: 0x1, typeIndex: 37 },
    { object: 0n, pid: 99, handle: 0x20, grantedAccess: 0x8, typeIndex: 5 },
  ];

  it('reads entries of the token type and finds the calibration entry', () => {
    const buf = encodeHandleTable(entries);
    expect(handleTableCount(buf, buf.length)).toBe(4);
    expect(handlesOfType(buf, buf.length, 5).map((e) => e.handle)).toEqual([0x10, 0x1a4, 0x20]);
    expect(handlesOfType(buf, buf.length, 5, 99).map((e) => e.pid)).toEqual([4, 1234]);
    expect(findHandleEntry(buf, buf.length, 1234, 0x1a8)?.typeIndex).toBe(37);
    expect(findHandleEntry(buf, buf.length, 1234, 0x999)).toBeNull();
    expect(countHandlesOfPid(buf, buf.length, 1234)).toBe(2);
    expect(handlesOfType(buf, buf.length, 5)[0]?.object).toBe(0xffff8a0c12345670n);
    expect(formatObjectAddress(0xffff8a0c12345670n)).toBe('0xffff8a0c12345670');
    expect(formatObjectAddress(0n)).toBeNull();
  });

  it('rejects a count that exceeds its buffer instead of reading past it', () => {
    const buf = encodeHandleTable(entries, 5);
    expect(decodeFailure(() => handlesOfType(buf, buf.length, 5))).toMatch(/NumberOfHandles 5 exceeds the 4 entries/);
    const ok = encodeHandleTable(entries);
    decodeFailure(() => handleTableCount(ok, ok.length - 1)); // valid length shorter than the entries
    decodeFailure(() => handleTableCount(Buffer.alloc(8), 8)); // header truncated
    const huge = encodeHandleTable([]);
    huge.writeBigUInt64LE(0xffffffffffffffffn, 0);
    decodeFailure(() => handleTableCount(huge, huge.length));
  });
});

describe('process list (SystemProcessInformation)', () => {
  const base = 0x7ff000000000n;
  function layout(procs: { pid: number; name: string; session: number; threads?: number }[]): Buffer {
    const parts: Buffer[] = [];
    let total = 0;
    const sizes = procs.map((p) => {
      const size = PI.size + (p.threads ?? 0) * PI.threadInfoSize + ((utf16(p.name).length + 7) & ~7);
      return size;
    });
    const buf = Buffer.alloc(sizes.reduce((a, b) => a + b, 0));
    procs.forEach((p, i) => {
      const off = total;
      const name = utf16(p.name);
      buf.writeUInt32LE(i === procs.length - 1 ? 0 : sizes[i]!, off + PI.NextEntryOffset);
      buf.writeUInt32LE(p.threads ?? 0, off + PI.NumberOfThreads);
      const nameOff = off + PI.size + (p.threads ?? 0) * PI.threadInfoSize;
      name.copy(buf, nameOff);
      unicodeString(buf, off + PI.ImageName, name, name.length ? base + BigInt(nameOff) : 0n);
      buf.writeBigUInt64LE(BigInt(p.pid), off + PI.UniqueProcessId);
      buf.writeUInt32LE(p.session, off + PI.SessionId);
      buf.writeBigInt64LE(1000n + BigInt(i), off + PI.CreateTime);
      total += sizes[i]!;
    });
    parts.push(buf);
    return buf;
  }

  it('walks entries and reads image names inside the same buffer', () => {
    const buf = layout([{ pid: 0, name: '', session: 0 }, { pid: 4, name: 'System', session: 0, threads: 2 }, { pid: 812, name: 'svchost.exe', session: 0 }, { pid: 5000, name: 'explorer.exe', session: 3 }]);
    const list = decodeProcessList(buf, buf.length, base);
    expect(list.map((p) => [p.pid, processImage(p), p.sessionId])).toEqual([[0, 'Idle', 0], [4, 'System', 0], [812, 'svchost.exe', 0], [5000, 'explorer.exe', 3]]);
    expect(list[2]?.createTime).toBe(1002n);
  });

  it('rejects a name pointer outside the buffer, a looping or overrunning entry, a short buffer', () => {
    const buf = layout([{ pid: 812, name: 'svchost.exe', session: 0 }]);
    decodeFailure(() => decodeProcessList(buf, buf.length, base + 0x100000n));
    decodeFailure(() => decodeProcessList(buf, PI.size - 1, base));
    const two = layout([{ pid: 1, name: 'a.exe', session: 0 }, { pid: 2, name: 'b.exe', session: 0 }]);
    two.writeUInt32LE(8, PI.NextEntryOffset);
    decodeFailure(() => decodeProcessList(two, two.length, base));
    const three = layout([{ pid: 1, name: 'a.exe', session: 0 }, { pid: 2, name: 'b.exe', session: 0 }]);
    three.writeUInt32LE(0x100000, PI.NextEntryOffset);
    decodeFailure(() => decodeProcessList(three, three.length, base));
  });
});

describe('object types (NtQueryObject class 3)', () => {
  function layout(types: { name: string; index: number }[]): Buffer {
    const chunks: Buffer[] = [Buffer.alloc(8)];
    chunks[0]!.writeUInt32LE(types.length, 0);
    for (const t of types) {
      const name = utf16z(t.name);
      const entry = Buffer.alloc(OTI.size + ((name.length + 7) & ~7));
      entry.writeUInt16LE(name.length - 2, 0);
      entry.writeUInt16LE(name.length, 2);
      entry.writeUInt8(t.index, OTI.TypeIndex);
      name.copy(entry, OTI.size);
      chunks.push(entry);
    }
    return Buffer.concat(chunks);
  }
  it('finds the Token type index and rejects a truncated list', () => {
    const buf = layout([{ name: 'Type', index: 2 }, { name: 'Directory', index: 3 }, { name: 'Token', index: 5 }]);
    const types = decodeObjectTypes(buf, buf.length);
    expect(types.map((t) => t.name)).toEqual(['Type', 'Directory', 'Token']);
    expect(tokenTypeIndexFromTypes(types)).toBe(5);
    decodeFailure(() => decodeObjectTypes(buf, buf.length - 20));
  });
});

describe('WTS sessions', () => {
  it('decodes WTS_SESSION_INFO_1W with NULL user names, and the WTS_SESSION_INFOW fallback', () => {
    const mem = new RegionMemory();
    const arr = Buffer.alloc(2 * W1.size);
    const put = (i: number, id: number, state: number, name: string, user: string | null) => {
      const o = i * W1.size;
      arr.writeUInt32LE(state, o + W1.State);
      arr.writeUInt32LE(id, o + W1.SessionId);
      arr.writeBigUInt64LE(mem.place(utf16z(name)), o + W1.pSessionName);
      arr.writeBigUInt64LE(user ? mem.place(utf16z(user)) : 0n, o + W1.pUserName);
      arr.writeBigUInt64LE(user ? mem.place(utf16z('CORP')) : 0n, o + W1.pDomainName);
    };
    put(0, 0, 4, 'Services', null);
    put(1, 3, 0, 'RDP-Tcp#7', 'alice');
    const list = decodeSessionInfo1(mem, mem.place(arr), 2);
    expect(list).toEqual([
      { sessionId: 0, name: 'Services', state: 'disconnected', user: null, domain: null },
      { sessionId: 3, name: 'RDP-Tcp#7', state: 'active', user: 'alice', domain: 'CORP' },
    ]);
    expect(decodeSessionInfo1(mem, 0n, 0)).toEqual([]);
    decodeFailure(() => decodeSessionInfo1(mem, 0n, 1));

    const legacy = Buffer.alloc(W0.size);
    legacy.writeUInt32LE(65536, W0.SessionId);
    legacy.writeBigUInt64LE(mem.place(utf16z('RDP-Tcp')), W0.pWinStationName);
    legacy.writeUInt32LE(6, W0.State);
    expect(decodeSessionInfo(mem, mem.place(legacy), 1)).toEqual([{ sessionId: 65536, name: 'RDP-Tcp', state: 'listen', user: null, domain: null }]);
  });

  it('rejects an unknown state, an array past readable memory, an unterminated string', () => {
    const mem = new RegionMemory();
    const arr = Buffer.alloc(W1.size);
    arr.writeUInt32LE(42, W1.State);
    decodeFailure(() => decodeSessionInfo1(mem, mem.place(arr), 1));
    decodeFailure(() => decodeSessionInfo1(mem, mem.place(Buffer.alloc(W1.size)), 2));
    const bad = Buffer.alloc(W1.size);
    bad.writeBigUInt64LE(mem.place(utf16('no-terminator')), W1.pSessionName);
    decodeFailure(() => decodeSessionInfo1(mem, mem.place(bad), 1));
  });
});

describe('TOKEN_STATISTICS', () => {
  it('decodes token id and logon id, and rejects a short buffer', () => {
    const buf = Buffer.alloc(56);
    buf.writeUInt32LE(0x3e9, 0);
    buf.writeUInt32LE(0x17c025, 8);
    buf.writeInt32LE(1, 12);
    buf.writeUInt32LE(2, 0x18);
    expect(decodeTokenStatistics(buf, 56)).toEqual({ tokenId: '00000000:000003e9', logonId: '00000001:0017c025', tokenType: 2 });
    decodeFailure(() => decodeTokenStatistics(buf, 12));
  });

  it('converts FILETIMEs, with 0 and never as null', () => {
    expect(fileTimeToIso(116444736000000000n)).toBe('1970-01-01T00:00:00.000Z');
    expect(fileTimeToIso(0n)).toBeNull();
    expect(fileTimeToIso(0x7fffffffffffffffn)).toBeNull();
  });
});
