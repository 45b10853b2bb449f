import koffi from 'koffi';
import { describe, expect, it } from 'vitest';
import * as L from '../../src/sources/windows/layouts.js';
import { ALL_STRUCTS } from '../../src/sources/windows/native-types.js';

/** The numbers of docs/background.md (Windows API facts), typed in again here on purpose. */
const DOC: Record<keyof typeof ALL_STRUCTS, { size: number; offsets: Record<string, number> }> = {
  LUID: { size: 8, offsets: { LowPart: 0, HighPart: 4 } },
  UNICODE_STRING: { size: 16, offsets: { Length: 0, MaximumLength: 2, Buffer: 8 } },
  HANDLE_TABLE_HEADER: { size: 16, offsets: { NumberOfHandles: 0, Reserved: 8 } },
  HANDLE_ENTRY: {
    size: 40,
    offsets: { Object: 0x00, UniqueProcessId: 0x08, HandleValue: 0x10, GrantedAccess: 0x18, CreatorBackTraceIndex: 0x1c, ObjectTypeIndex: 0x1e, HandleAttributes: 0x20, Reserved: 0x24 },
  },
  PROCESS_INFO: {
    size: 0x100,
    offsets: { NextEntryOffset: 0, NumberOfThreads: 4, CreateTime: 0x20, ImageName: 0x38, UniqueProcessId: 0x50, InheritedFromUniqueProcessId: 0x58, HandleCount: 0x60, SessionId: 0x64 },
  },
  OBJECT_TYPE_INFO: { size: 0x68, offsets: { TypeName: 0, TypeIndex: 0x5a } },
  LOGON_SESSION_DATA: {
    size: 0x110,
    offsets: {
      Size: 0x00, LogonId: 0x04, UserName: 0x10, LogonDomain: 0x20, AuthenticationPackage: 0x30, LogonType: 0x40, Session: 0x44, Sid: 0x48,
      LogonTime: 0x50, LogonServer: 0x58, DnsDomainName: 0x68, Upn: 0x78, UserFlags: 0x88, LastLogonInfo: 0x90, LogonScript: 0xa8,
      ProfilePath: 0xb8, HomeDirectory: 0xc8, HomeDirectoryDrive: 0xd8, LogoffTime: 0xe8, KickOffTime: 0xf0, PasswordLastSet: 0xf8,
      PasswordCanChange: 0x100, PasswordMustChange: 0x108,
    },
  },
  WTS_SESSION_INFO: { size: 24, offsets: { SessionId: 0, pWinStationName: 8, State: 16 } },
  WTS_SESSION_INFO_1: {
    size: 56,
    offsets: { ExecEnvId: 0, State: 4, SessionId: 8, pSessionName: 0x10, pHostName: 0x18, pUserName: 0x20, pDomainName: 0x28, pFarmName: 0x30 },
  },
  TOKEN_STATISTICS: {
    size: 56,
    offsets: { TokenId: 0, AuthenticationId: 8, ExpirationTime: 0x10, TokenType: 0x18, ImpersonationLevel: 0x1c, DynamicCharged: 0x20, DynamicAvailable: 0x24, GroupCount: 0x28, PrivilegeCount: 0x2c, ModifiedId: 0x30 },
  },
  TOKEN_PRIVILEGES_1: { size: 16, offsets: { PrivilegeCount: 0, Luid: 4, Attributes: 12 } },
  SERVICE_STATUS_PROCESS: {
    size: 36,
    offsets: { dwServiceType: 0, dwCurrentState: 4, dwControlsAccepted: 8, dwWin32ExitCode: 12, dwServiceSpecificExitCode: 16, dwCheckPoint: 20, dwWaitHint: 24, dwProcessId: 28, dwServiceFlags: 32 },
  },
  ENUM_SERVICE_STATUS_PROCESS: { size: 56, offsets: { lpServiceName: 0, lpDisplayName: 8, ServiceStatusProcess: 16 } },
};

const LAYOUTS: Partial<Record<keyof typeof ALL_STRUCTS, Record<string, number>>> = {
  LUID: L.LUID,
  UNICODE_STRING: L.UNICODE_STRING,
  HANDLE_ENTRY: L.HANDLE_ENTRY,
  PROCESS_INFO: L.PROCESS_INFO,
  OBJECT_TYPE_INFO: L.OBJECT_TYPE_INFO,
  LOGON_SESSION_DATA: L.LOGON_SESSION_DATA,
  WTS_SESSION_INFO: L.WTS_SESSION_INFO,
  WTS_SESSION_INFO_1: L.WTS_SESSION_INFO_1,
  TOKEN_STATISTICS: L.TOKEN_STATISTICS,
  TOKEN_PRIVILEGES_1: L.TOKEN_PRIVILEGES_1,
  SERVICE_STATUS_PROCESS: L.SERVICE_STATUS_PROCESS,
  ENUM_SERVICE_STATUS_PROCESS: L.ENUM_SERVICE_STATUS_PROCESS,
};

describe('Windows x64 struct layouts (koffi on Linux, fixed-width types)', () => {
  for (const [name, doc] of Object.entries(DOC) as [keyof typeof ALL_STRUCTS, (typeof DOC)[keyof typeof DOC]][]) {
    it(`${name}: koffi sizeof/offsetof equal windows-native.md and layouts.ts`, () => {
      const type = ALL_STRUCTS[name];
      expect(koffi.sizeof(type)).toBe(doc.size);
      for (const [field, offset] of Object.entries(doc.offsets)) {
        expect(koffi.offsetof(type, field), `${name}.${field}`).toBe(offset);
      }
      const layout = LAYOUTS[name];
      if (layout) {
        expect(layout.size).toBe(doc.size);
        for (const [field, offset] of Object.entries(doc.offsets)) expect(layout[field], `layouts ${name}.${field}`).toBe(offset);
      }
    });
  }

  it('uses the documented constants', () => {
    expect(L.STATUS_INFO_LENGTH_MISMATCH).toBe(0xc0000004);
    expect(L.STATUS_NO_SUCH_LOGON_SESSION).toBe(0xc000005f);
    expect(L.SystemExtendedHandleInformation).toBe(64);
    expect(L.SystemProcessInformation).toBe(5);
    expect(L.PROCESS_QUERY_LIMITED_INFORMATION).toBe(0x1000);
    expect(L.PROCESS_DUP_HANDLE).toBe(0x40);
    expect(L.TOKEN_QUERY).toBe(0x8);
    expect(L.HANDLE_TABLE.headerSize).toBe(16);
    expect(L.OBJECT_TYPES.firstEntry).toBe(8);
    expect(L.ERROR_MORE_DATA).toBe(234);
    expect(L.SC_MANAGER_ENUMERATE_SERVICE).toBe(4);
    expect(L.SERVICE_WIN32).toBe(0x30);
    expect(L.SERVICE_ACTIVE).toBe(1);
  });

  it('reads the embedded SERVICE_STATUS_PROCESS fields at the entry\'s offset plus their own', () => {
    const embedded = koffi.offsetof(ALL_STRUCTS.ENUM_SERVICE_STATUS_PROCESS, 'ServiceStatusProcess');
    for (const field of ['dwServiceType', 'dwCurrentState', 'dwProcessId', 'dwServiceFlags'] as const) {
      expect(L.ENUM_SERVICE_STATUS_PROCESS[field], field).toBe(embedded + koffi.offsetof(ALL_STRUCTS.SERVICE_STATUS_PROCESS, field));
    }
  });
});
