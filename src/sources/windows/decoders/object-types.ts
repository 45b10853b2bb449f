import { OBJECT_TYPE_INFO, OBJECT_TYPES, UNICODE_STRING } from '../layouts.js';
import { checkRange, decodeError, u16, u32, u8 } from './reader.js';

export interface ObjectTypeEntry {
  readonly name: string;
  /** OBJECT_TYPE_INFORMATION.TypeIndex (Windows 8.1+). */
  readonly typeIndex: number;
}

const alignUp8 = (n: number) => (n + 7) & ~7;

/**
 * Walks NtQueryObject(NULL, ObjectTypesInformation). Each entry is 0x68 bytes followed by its name; the
 * next entry starts at entry + 0x68 + alignUp(MaximumLength, 8). The name is read where it is laid out
 * (right after the entry), bounds-checked.
 */
export function decodeObjectTypes(buf: Buffer, validLength: number): ObjectTypeEntry[] {
  const count = u32(buf, validLength, OBJECT_TYPES.NumberOfTypes, 'NumberOfTypes');
  if (count > 4096) throw decodeError('object types', `NumberOfTypes ${count} is implausible`);
  const out: ObjectTypeEntry[] = [];
  let off = OBJECT_TYPES.firstEntry;
  for (let i = 0; i < count; i++) {
    checkRange(buf, validLength, off, OBJECT_TYPE_INFO.size, `object type ${i}`);
    const length = u16(buf, validLength, off + OBJECT_TYPE_INFO.TypeName + UNICODE_STRING.Length, 'TypeName.Length');
    const maximum = u16(buf, validLength, off + OBJECT_TYPE_INFO.TypeName + UNICODE_STRING.MaximumLength, 'TypeName.MaximumLength');
    const nameOff = off + OBJECT_TYPE_INFO.size;
    if (length > maximum || length % 2 !== 0) throw decodeError(`object type ${i}`, `bad TypeName Length ${length} / MaximumLength ${maximum}`);
    checkRange(buf, validLength, nameOff, length, `object type ${i} name`);
    out.push({
      name: buf.toString('utf16le', nameOff, nameOff + length),
      typeIndex: u8(buf, validLength, off + OBJECT_TYPE_INFO.TypeIndex, 'TypeIndex'),
    });
    off = nameOff + alignUp8(maximum);
  }
  return out;
}

export function tokenTypeIndexFromTypes(types: readonly ObjectTypeEntry[]): number | null {
  return types.find((t) => t.name === 'Token')?.typeIndex ?? null;
}
