import { describe, expect, it } from 'vitest';
import { RdsLeakError } from '../../src/errors.js';
import { decodeServiceEntries, encodeServiceEntries, type ServiceEntry } from '../../src/sources/windows/decoders/services.js';

const BASE = 0x2_5a40_0000n;

/** One ENUM_SERVICE_STATUS_PROCESSW laid out by hand with winsvc.h's x64 offsets (not layouts.ts). */
function handMade(): Buffer {
  const buf = Buffer.alloc(256, 0xcc); // garbage everywhere the SCM does not write
  const name = Buffer.from('Schedule\0', 'utf16le');
  const display = Buffer.from('Task Scheduler\0', 'utf16le');
  const nameAt = 256 - name.length;
  const displayAt = nameAt - display.length;
  name.copy(buf, nameAt);
  display.copy(buf, displayAt);
  buf.writeBigUInt64LE(BASE + BigInt(nameAt), 0); // lpServiceName
  buf.writeBigUInt64LE(BASE + BigInt(displayAt), 8); // lpDisplayName
  const status = [0x20, 4, 0x85, 0, 0, 0, 0, 1064, 0]; // SERVICE_STATUS_PROCESS @16: ..., dwProcessId @+28, dwServiceFlags
  status.forEach((v, i) => buf.writeUInt32LE(v, 16 + 4 * i));
  return buf;
}

const failure = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RdsLeakError);
    expect((error as RdsLeakError).code).toBe('E_NATIVE_DECODE');
    return (error as Error).message;
  }
  throw new Error('expected a decoding error');
};

describe('ENUM_SERVICE_STATUS_PROCESSW (EnumServicesStatusExW, SC_ENUM_PROCESS_INFO)', () => {
  it('reads the name and the pid at the x64 offsets, whatever lies around them', () => {
    expect(decodeServiceEntries(handMade(), 256, 1, BASE)).toEqual([{ name: 'Schedule', pid: 1064, serviceType: 0x20, currentState: 4 }]);
  });

  it('round-trips many entries laid out as the SCM does, strings packed at the end', () => {
    const entries: ServiceEntry[] = ['AppInfo', 'CryptSvc', 'Dnscache', 'ProfSvc', 'Schedule', 'UserManager', 'Ünïcødé_Svc', 'x'.repeat(256)].map((name, i) => ({
      name,
      pid: i === 2 ? 0 : 1000 + 4 * i,
      serviceType: i % 2 ? 0x10 : 0x20,
      currentState: i === 2 ? 2 : 4,
    }));
    const buf = Buffer.alloc(8192);
    const used = encodeServiceEntries(entries, buf, BASE);
    expect(used).not.toBeNull();
    expect(decodeServiceEntries(buf, buf.length, entries.length, BASE)).toEqual(entries);
    expect(decodeServiceEntries(buf, buf.length, 0, BASE)).toEqual([]);
  });

  it('refuses what does not fit: the array past the buffer, a name outside it or unterminated, too long, empty', () => {
    const buf = handMade();
    expect(failure(() => decodeServiceEntries(buf, 256, 5, BASE))).toMatch(/array of 5/);
    expect(failure(() => decodeServiceEntries(buf, 256, -1, BASE))).toMatch(/implausible count/);
    expect(failure(() => decodeServiceEntries(buf, 256, 1, BASE + 0x10000n))).toMatch(/outside the 256-byte buffer/);
    // The name runs into bytes the call did not write (validLength ends in the middle of it).
    expect(failure(() => decodeServiceEntries(buf, 250, 1, BASE))).toMatch(/no terminating NUL/);
    const long = Buffer.alloc(4096);
    encodeServiceEntries([{ name: 'y'.repeat(257), pid: 1, serviceType: 0x10, currentState: 4 }], long, BASE);
    expect(failure(() => decodeServiceEntries(long, long.length, 1, BASE))).toMatch(/within 256 characters/);
    const empty = handMade();
    empty.writeUInt16LE(0, Number(empty.readBigUInt64LE(0) - BASE));
    expect(failure(() => decodeServiceEntries(empty, 256, 1, BASE))).toMatch(/no service name/);
  });

  it('the encoder says when entries do not fit', () => {
    expect(encodeServiceEntries([{ name: 'Schedule', pid: 1, serviceType: 0x20, currentState: 4 }], Buffer.alloc(64), BASE)).toBeNull();
  });
});
