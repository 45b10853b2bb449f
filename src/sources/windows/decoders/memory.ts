import { decodeError } from './reader.js';

/**
 * Reads native memory that the OS handed us by pointer (LSA and WTS results). On Windows it is backed by
 * koffi (win32/koffi-memory.ts); in tests by {@link RegionMemory}, so the decoders run on Linux on memory
 * the test lays out. Pointers are BigInt (koffi 3); NULL is 0n.
 */
export interface NativeMemory {
  /** A copy of `length` bytes at `address`. Throws E_NATIVE_DECODE when the range is not readable (tests). */
  read(address: bigint, length: number, what: string): Buffer;
  /** A NUL-terminated UTF-16 string at `address`, at most `maxChars` characters. */
  readWideZ(address: bigint, maxChars: number, what: string): string;
}

/** Test memory: a set of buffers placed at fake addresses; any other read throws E_NATIVE_DECODE. */
export class RegionMemory implements NativeMemory {
  private readonly regions: { base: bigint; bytes: Buffer }[] = [];
  private next = 0x10000n;

  /** Places `bytes` at a fresh address (or at `base`) and returns that address. */
  place(bytes: Buffer, base?: bigint): bigint {
    const address = base ?? this.next;
    this.regions.push({ base: address, bytes });
    this.next = address + BigInt(bytes.length) + 0x1000n;
    return address;
  }

  private find(address: bigint, length: number, what: string): { region: Buffer; offset: number } {
    if (address === 0n) throw decodeError(what, 'NULL pointer');
    for (const r of this.regions) {
      if (address >= r.base && address + BigInt(length) <= r.base + BigInt(r.bytes.length)) {
        return { region: r.bytes, offset: Number(address - r.base) };
      }
    }
    throw decodeError(what, `address 0x${address.toString(16)} (+${length}) is not readable`);
  }

  read(address: bigint, length: number, what: string): Buffer {
    const { region, offset } = this.find(address, length, what);
    return Buffer.from(region.subarray(offset, offset + length));
  }

  readWideZ(address: bigint, maxChars: number, what: string): string {
    const { region, offset } = this.find(address, 2, what);
    let end = offset;
    const limit = Math.min(region.length - 1, offset + maxChars * 2);
    while (end + 1 < region.length && end < limit && region.readUInt16LE(end) !== 0) end += 2;
    if (end + 1 >= region.length || region.readUInt16LE(end) !== 0) {
      if (end - offset >= maxChars * 2) return region.toString('utf16le', offset, offset + maxChars * 2);
      throw decodeError(what, 'string runs past the end of readable memory');
    }
    return region.toString('utf16le', offset, end);
  }
}
