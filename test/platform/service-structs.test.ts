import koffi from 'koffi';
import { describe, expect, it } from 'vitest';
import {
  decodeServiceStatusProcess,
  encodeFailureActions,
  encodeScActions,
  encodeServiceStatus,
  encodeServiceTable,
  SERVICE_FAILURE_ACTIONS_SIZE,
  SERVICE_STATUS_PROCESS_SIZE,
  SERVICE_STATUS_SIZE,
  wideString,
} from '../../src/platform/windows/service-structs.js';

/** The winsvc.h layouts declared for koffi with fixed-width types: koffi computes the x64 layout on Linux too. */
const T = (name: string, members: Record<string, string>) => {
  try {
    return koffi.type(name);
  } catch {
    return koffi.struct(name, members);
  }
};
const SERVICE_STATUS_PROCESS = T('TEST_SVC_SERVICE_STATUS_PROCESS', {
  dwServiceType: 'uint32_t', dwCurrentState: 'uint32_t', dwControlsAccepted: 'uint32_t', dwWin32ExitCode: 'uint32_t',
  dwServiceSpecificExitCode: 'uint32_t', dwCheckPoint: 'uint32_t', dwWaitHint: 'uint32_t', dwProcessId: 'uint32_t', dwServiceFlags: 'uint32_t',
});
const FAILURE_ACTIONS = T('TEST_SVC_SERVICE_FAILURE_ACTIONSW', { dwResetPeriod: 'uint32_t', lpRebootMsg: 'void *', lpCommand: 'void *', cActions: 'uint32_t', lpsaActions: 'void *' });
const SC_ACTION = T('TEST_SVC_SC_ACTION', { Type: 'int32_t', Delay: 'uint32_t' });
const TABLE_ENTRY = T('TEST_SVC_SERVICE_TABLE_ENTRYW', { lpServiceName: 'void *', lpServiceProc: 'void *' });

describe('service structures (x64 layouts)', () => {
  it('sizes and offsets agree with koffi', () => {
    expect(koffi.sizeof(SERVICE_STATUS_PROCESS)).toBe(SERVICE_STATUS_PROCESS_SIZE);
    expect(koffi.sizeof(FAILURE_ACTIONS)).toBe(SERVICE_FAILURE_ACTIONS_SIZE);
    expect(koffi.offsetof(FAILURE_ACTIONS, 'cActions')).toBe(24);
    expect(koffi.offsetof(FAILURE_ACTIONS, 'lpsaActions')).toBe(32);
    expect(koffi.sizeof(SC_ACTION)).toBe(8);
    expect(koffi.sizeof(TABLE_ENTRY)).toBe(16);
  });

  it('SERVICE_FAILURE_ACTIONSW holds the reset period, NULL reboot message and command, the count and the actions pointer', () => {
    const actions = encodeScActions([
      { type: 1, delayMs: 60_000 },
      { type: 1, delayMs: 60_000 },
      { type: 1, delayMs: 300_000 },
    ]);
    expect([...Array(3).keys()].map((i) => [actions.readInt32LE(i * 8), actions.readUInt32LE(i * 8 + 4)])).toEqual([
      [1, 60_000],
      [1, 60_000],
      [1, 300_000],
    ]);
    const info = encodeFailureActions(86_400, 3, { rebootMessage: 0n, command: 0n, actions: 0x1234_5678_9abcn });
    const decoded = koffi.decode(info, FAILURE_ACTIONS) as { dwResetPeriod: number; lpRebootMsg: unknown; lpCommand: unknown; cActions: number; lpsaActions: unknown };
    expect(decoded.dwResetPeriod).toBe(86_400);
    expect(decoded.lpRebootMsg).toBeNull();
    expect(decoded.lpCommand).toBeNull();
    expect(decoded.cActions).toBe(3);
    expect(info.readBigUInt64LE(32)).toBe(0x1234_5678_9abcn);
  });

  it('SERVICE_STATUS is seven DWORDs in declaration order; SERVICE_STATUS_PROCESS adds the pid and flags', () => {
    const status = { serviceType: 0x10, currentState: 3, controlsAccepted: 0x105, win32ExitCode: 1066, serviceSpecificExitCode: 2, checkPoint: 4, waitHint: 10_000 };
    const bytes = encodeServiceStatus(status);
    expect(bytes.length).toBe(SERVICE_STATUS_SIZE);
    const full = Buffer.concat([bytes, Buffer.from([0x39, 0x05, 0, 0, 1, 0, 0, 0])]);
    const decoded = koffi.decode(full, SERVICE_STATUS_PROCESS) as Record<string, number>;
    expect(decoded).toEqual({ dwServiceType: 0x10, dwCurrentState: 3, dwControlsAccepted: 0x105, dwWin32ExitCode: 1066, dwServiceSpecificExitCode: 2, dwCheckPoint: 4, dwWaitHint: 10_000, dwProcessId: 1337, dwServiceFlags: 1 });
    expect(decodeServiceStatusProcess(full)).toEqual({ ...status, processId: 1337, serviceFlags: 1 });
  });

  it('the dispatch table is our entry followed by a NULL entry; strings are NUL-terminated UTF-16', () => {
    const table = encodeServiceTable(0x1000n, 0x2000n);
    expect([table.readBigUInt64LE(0), table.readBigUInt64LE(8), table.readBigUInt64LE(16), table.readBigUInt64LE(24)]).toEqual([0x1000n, 0x2000n, 0n, 0n]);
    expect(wideString('rds')).toEqual(Buffer.from([0x72, 0, 0x64, 0, 0x73, 0, 0, 0]));
  });
});
