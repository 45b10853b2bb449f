import type { Logger } from 'pino';
import { RdsLeakError } from '../../../errors.js';
import type { Win32Api } from '../api.js';
import { findHandleEntry, handlesOfType, type HandleEntry } from '../decoders/handle-table.js';
import { decodeObjectTypes, tokenTypeIndexFromTypes } from '../decoders/object-types.js';
import { GrowingBuffer } from '../growing-buffer.js';
import { SystemExtendedHandleInformation, TOKEN_QUERY } from '../layouts.js';

/** First guess of the handle table's size; the buffer grows and remembers what worked (2 M handles = 80 MB). */
export const HANDLE_TABLE_INITIAL_SIZE = 4 * 1024 * 1024;

export interface HandleScan {
  readonly tokenTypeIndex: number;
  readonly calibrated: boolean;
  readonly tokens: HandleEntry[];
  readonly totalHandles: number;
}

/**
 * Finds the token type index for this scan by self-calibration: our own process token is open while the
 * handle table is taken, so its entry (our pid, that handle value) carries the token type index. Falls
 * back to the last calibrated value, then to NtQueryObject's type list.
 */
export class TokenTypeIndex {
  private calibrated: number | null = null;
  private fromTypes: number | null | undefined;
  private warned = false;
  constructor(private readonly api: Win32Api, private readonly logger: Logger) {}

  /** NtQueryObject(NULL, ObjectTypesInformation) once: the cross-check. */
  typesListIndex(): number | null {
    if (this.fromTypes !== undefined) return this.fromTypes;
    this.fromTypes = null;
    try {
      const { buffer, length } = new GrowingBuffer('NtQueryObject(ObjectTypesInformation)', 64 * 1024, 16 * 1024 * 1024, 6).fillSync((b) => this.api.queryObjectTypes(b));
      this.fromTypes = tokenTypeIndexFromTypes(decodeObjectTypes(buffer, length));
    } catch (error) {
      this.logger.debug({ err: error }, 'NtQueryObject(ObjectTypesInformation) could not be decoded');
    }
    return this.fromTypes;
  }

  resolve(entry: HandleEntry | null): { index: number; calibrated: boolean } {
    const types = this.typesListIndex();
    if (entry) {
      if (this.calibrated !== entry.typeIndex && types !== null && types !== entry.typeIndex && !this.warned) {
        this.warned = true;
        this.logger.warn(
          { calibrated: entry.typeIndex, typesList: types },
          'token type index: self-calibration and NtQueryObject disagree; using the calibrated value (expected under Wine)',
        );
      }
      this.calibrated = entry.typeIndex;
      return { index: entry.typeIndex, calibrated: true };
    }
    if (this.calibrated !== null) return { index: this.calibrated, calibrated: false };
    if (types !== null) return { index: types, calibrated: false };
    throw new RdsLeakError('E_NATIVE_CALL', 'cannot tell which handle type is a token: self-calibration found no entry and NtQueryObject gave no Token type');
  }
}

/** The `handles` collector: the system handle table, reduced to the token handles of other processes. */
export async function collectHandles(api: Win32Api, table: GrowingBuffer, typeIndex: TokenTypeIndex): Promise<HandleScan> {
  const own = api.openProcessToken(api.currentProcess, TOKEN_QUERY);
  try {
    const { buffer, length } = await table.fill((b) => api.querySystemInformation(SystemExtendedHandleInformation, b));
    const entry = own.value === null ? null : findHandleEntry(buffer, length, api.selfPid, Number(own.value));
    const { index, calibrated } = typeIndex.resolve(entry);
    const tokens = handlesOfType(buffer, length, index, api.selfPid);
    return { tokenTypeIndex: index, calibrated, tokens, totalHandles: Number(buffer.readBigUInt64LE(0)) };
  } finally {
    if (own.value !== null) api.closeHandle(own.value);
  }
}
