/**
 * The Win32 x64 layouts of the service structures, encoded into and decoded from Buffers (portable:
 * unit-tested byte by byte on Linux). Pointers inside a structure are addresses of other Buffers the
 * caller keeps alive for the duration of the call (koffi.address in the bindings).
 *
 * winsvc.h, x64: SERVICE_STATUS 28 bytes (7 DWORDs); SERVICE_STATUS_PROCESS 36 (+ dwProcessId,
 * dwServiceFlags); SERVICE_TABLE_ENTRYW 16 (LPWSTR, LPSERVICE_MAIN_FUNCTIONW); SC_ACTION 8 (Type,
 * Delay); SERVICE_FAILURE_ACTIONSW 40 (dwResetPeriod @0, lpRebootMsg @8, lpCommand @16, cActions @24,
 * lpsaActions @32); SERVICE_DESCRIPTIONW 8; SERVICE_DELAYED_AUTO_START_INFO, SERVICE_FAILURE_ACTIONS_FLAG
 * and SERVICE_PRESHUTDOWN_INFO 4 each (a BOOL or a DWORD).
 */
import type { FailureAction, ServiceStatus, ServiceStatusProcess } from './service-api.js';

export const SERVICE_STATUS_SIZE = 28;
export const SERVICE_STATUS_PROCESS_SIZE = 36;
export const SERVICE_TABLE_ENTRY_SIZE = 16;
export const SC_ACTION_SIZE = 8;
export const SERVICE_FAILURE_ACTIONS_SIZE = 40;

/** A NUL-terminated UTF-16LE string (LPCWSTR). */
export function wideString(text: string): Buffer {
  return Buffer.from(`${text}\0`, 'utf16le');
}

export function encodeServiceStatus(status: ServiceStatus, out: Buffer = Buffer.alloc(SERVICE_STATUS_SIZE)): Buffer {
  const fields = [status.serviceType, status.currentState, status.controlsAccepted, status.win32ExitCode, status.serviceSpecificExitCode, status.checkPoint, status.waitHint];
  fields.forEach((value, i) => out.writeUInt32LE(value >>> 0, i * 4));
  return out;
}

export function decodeServiceStatus(buffer: Buffer): ServiceStatus {
  const u = (i: number) => buffer.readUInt32LE(i * 4);
  return { serviceType: u(0), currentState: u(1), controlsAccepted: u(2), win32ExitCode: u(3), serviceSpecificExitCode: u(4), checkPoint: u(5), waitHint: u(6) };
}

export function decodeServiceStatusProcess(buffer: Buffer): ServiceStatusProcess {
  return { ...decodeServiceStatus(buffer), processId: buffer.readUInt32LE(28), serviceFlags: buffer.readUInt32LE(32) };
}

/** SERVICE_TABLE_ENTRYW[2]: our service, then the NULL terminator. */
export function encodeServiceTable(nameAddress: bigint, serviceMainAddress: bigint): Buffer {
  const table = Buffer.alloc(2 * SERVICE_TABLE_ENTRY_SIZE);
  table.writeBigUInt64LE(nameAddress, 0);
  table.writeBigUInt64LE(serviceMainAddress, 8);
  return table;
}

export function encodeScActions(actions: readonly FailureAction[]): Buffer {
  const out = Buffer.alloc(Math.max(1, actions.length) * SC_ACTION_SIZE);
  actions.forEach((a, i) => {
    out.writeUInt32LE(a.type, i * SC_ACTION_SIZE);
    out.writeUInt32LE(a.delayMs, i * SC_ACTION_SIZE + 4);
  });
  return out;
}

export interface FailureActionsPointers {
  /** 0n: NULL (leave unchanged, as sc.exe does when reboot= / command= are not given). */
  readonly rebootMessage: bigint;
  readonly command: bigint;
  readonly actions: bigint;
}

export function encodeFailureActions(resetPeriodSeconds: number, actionCount: number, pointers: FailureActionsPointers): Buffer {
  const out = Buffer.alloc(SERVICE_FAILURE_ACTIONS_SIZE);
  out.writeUInt32LE(resetPeriodSeconds >>> 0, 0);
  out.writeBigUInt64LE(pointers.rebootMessage, 8);
  out.writeBigUInt64LE(pointers.command, 16);
  out.writeUInt32LE(actionCount, 24);
  out.writeBigUInt64LE(pointers.actions, 32);
  return out;
}

/** A structure holding one pointer (SERVICE_DESCRIPTIONW). */
export function encodePointer(address: bigint): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(address, 0);
  return out;
}

/** A structure holding one DWORD or BOOL. */
export function encodeDword(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32LE(value >>> 0, 0);
  return out;
}
