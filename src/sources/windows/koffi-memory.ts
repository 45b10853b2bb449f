import koffi from 'koffi';
import type { NativeMemory } from './decoders/memory.js';
import { decodeError } from './decoders/reader.js';

/**
 * Native memory read through koffi: the LSA and WTS results the OS hands out by pointer. Portable (koffi
 * loads on Linux too), so it is tested on Linux against real pointers into Buffers; only the bindings
 * that produce such pointers are win32-only.
 */
export class KoffiMemory implements NativeMemory {
  read(address: bigint, length: number, what: string): Buffer {
    if (address === 0n) throw decodeError(what, 'NULL pointer');
    if (length === 0) return Buffer.alloc(0);
    return Buffer.from(new Uint8Array(koffi.view(address, length)));
  }

  readWideZ(address: bigint, maxChars: number, what: string): string {
    if (address === 0n) throw decodeError(what, 'NULL pointer');
    // `char16_t` with length -1 reads up to the terminating NUL. ('char16_t *' would read the first
    // 8 bytes as a pointer and follow it: a crash.) WTS strings are NUL-terminated by contract.
    const text = koffi.decode(address, 'char16_t', -1) as unknown;
    if (typeof text !== 'string') throw decodeError(what, 'not a string');
    return text.length > maxChars ? text.slice(0, maxChars) : text;
  }
}
