import { PROCESS_INFO } from '../layouts.js';
import { checkRange, decodeError, u32, u64, usize } from './reader.js';
import { inlineUnicodeStringAt } from './strings.js';

export interface RawProcess {
  readonly pid: number;
  readonly parentPid: number;
  /** File name as the kernel reports it (e.g. `svchost.exe`); '' for the idle process. */
  readonly imageName: string;
  readonly sessionId: number;
  /** FILETIME; 0n when unknown. Used to detect pid reuse. */
  readonly createTime: bigint;
  readonly handleCount: number;
}

/**
 * Walks a SystemProcessInformation result. `bufferAddress` is the address the kernel saw (koffi.address
 * of the Buffer): ImageName.Buffer points inside the same buffer. Every entry and name is bounds-checked;
 * a NextEntryOffset that does not move forward, or leaves the buffer, is an error.
 */
export function decodeProcessList(buf: Buffer, validLength: number, bufferAddress: bigint): RawProcess[] {
  const out: RawProcess[] = [];
  let off = 0;
  for (let guard = 0; ; guard++) {
    if (guard > 1_000_000) throw decodeError('process list', 'too many entries');
    checkRange(buf, validLength, off, PROCESS_INFO.size, `process entry at ${off}`);
    const next = u32(buf, validLength, off + PROCESS_INFO.NextEntryOffset, 'NextEntryOffset');
    const threads = u32(buf, validLength, off + PROCESS_INFO.NumberOfThreads, 'NumberOfThreads');
    if (next !== 0 && next < PROCESS_INFO.size) throw decodeError('process list', `NextEntryOffset ${next} at ${off} is smaller than an entry`);
    if (next !== 0 && threads * PROCESS_INFO.threadInfoSize + PROCESS_INFO.size > next) {
      throw decodeError('process list', `NumberOfThreads ${threads} at ${off} overruns the next entry`);
    }
    out.push({
      pid: usize(buf, validLength, off + PROCESS_INFO.UniqueProcessId, 'UniqueProcessId'),
      parentPid: usize(buf, validLength, off + PROCESS_INFO.InheritedFromUniqueProcessId, 'InheritedFromUniqueProcessId'),
      imageName: inlineUnicodeStringAt(buf, validLength, off + PROCESS_INFO.ImageName, bufferAddress, 'ImageName'),
      sessionId: u32(buf, validLength, off + PROCESS_INFO.SessionId, 'SessionId'),
      createTime: u64(buf, validLength, off + PROCESS_INFO.CreateTime, 'CreateTime'),
      handleCount: u32(buf, validLength, off + PROCESS_INFO.HandleCount, 'HandleCount'),
    });
    if (next === 0) return out;
    off += next;
  }
}

/** The image name in the snapshot: the kernel's file name; the idle process (pid 0) has none. */
export function processImage(p: RawProcess): string {
  if (p.imageName.length > 0) return p.imageName;
  return p.pid === 0 ? 'Idle' : p.pid === 4 ? 'System' : `pid-${p.pid}`;
}
