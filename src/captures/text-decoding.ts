import iconv from 'iconv-lite';

/** One way of reading a capture's bytes as text. */
export interface DecodedText {
  readonly text: string;
  /** utf-8, utf-8-bom, utf-16le, utf-16be, cp850, windows-1252 */
  readonly encoding: string;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

/** UTF-16 without a BOM: ASCII text then has a zero in every other byte. */
function looksLikeUtf16(bytes: Uint8Array, zeroAt: 0 | 1): boolean {
  const n = Math.min(bytes.length - (bytes.length % 2), 4096);
  if (n < 4) return false;
  let zeros = 0;
  for (let i = zeroAt; i < n; i += 2) if (bytes[i] === 0) zeros += 1;
  return zeros / (n / 2) > 0.6;
}

/**
 * The readings worth trying, most likely first. A BOM or UTF-16 pattern is decisive (PowerShell's `>`
 * writes UTF-16LE with a BOM); valid UTF-8 is taken as such; otherwise the console's OEM code page
 * (cmd's `>` writes cp850 on German, French and Spanish hosts) and the ANSI code page (`Out-File
 * -Encoding Default`) are both tried and the parser keeps the reading it understands best.
 */
export function decodeCapture(bytes: Uint8Array): DecodedText[] {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (startsWith(bytes, [0xff, 0xfe])) return [{ text: iconv.decode(buffer.subarray(2), 'utf-16le'), encoding: 'utf-16le' }];
  if (startsWith(bytes, [0xfe, 0xff])) return [{ text: iconv.decode(buffer.subarray(2), 'utf-16be'), encoding: 'utf-16be' }];
  if (startsWith(bytes, [0xef, 0xbb, 0xbf])) return [{ text: iconv.decode(buffer.subarray(3), 'utf-8'), encoding: 'utf-8-bom' }];
  if (looksLikeUtf16(bytes, 1)) return [{ text: iconv.decode(buffer, 'utf-16le'), encoding: 'utf-16le' }];
  if (looksLikeUtf16(bytes, 0)) return [{ text: iconv.decode(buffer, 'utf-16be'), encoding: 'utf-16be' }];
  const legacy = (): DecodedText[] => [
    { text: iconv.decode(buffer, 'cp850'), encoding: 'cp850' },
    { text: iconv.decode(buffer, 'windows-1252'), encoding: 'windows-1252' },
  ];
  let utf8: string;
  try {
    utf8 = UTF8.decode(bytes);
  } catch {
    return legacy();
  }
  // A few code-page letters can form valid UTF-8 by chance (cp850 `ßéç` is the bytes of U+1087): when
  // the UTF-8 reading holds letters beyond the Latin scripts, the code pages are tried too (after it,
  // so a tie keeps UTF-8) and the parser keeps the reading with the real letters.
  return BEYOND_LATIN.test(utf8) ? [{ text: utf8, encoding: 'utf-8' }, ...legacy()] : [{ text: utf8, encoding: 'utf-8' }];
}

/** Characters after Latin Extended-B, other than punctuation and symbols that tools print. */
const BEYOND_LATIN = /[\u0250-\u1fff\u2c00-\uffff]/;

/**
 * Lines without their end (CRLF, LF, CR, and the CR CR LF some redirections write), trailing blanks
 * and NULs removed. Index i is line i + 1 of the file.
 */
export function captureLines(text: string): string[] {
  const clean = text.includes('\0') ? text.replace(/\0/g, '') : text;
  return clean.split(/\r*\n|\r/).map((line) => line.trimEnd());
}

/**
 * Letters of the languages `analyze` reads, and the symbols they turn into when a file is read in the
 * other code page (cp850 `ä` read as windows-1252 is `„`; windows-1252 `ä` read as cp850 is `õ`). Where
 * the two collide (1252 `à` reads as cp850 `Ó`, `é` as `Ú`, `Ö` as `Í`) the more common letter in
 * these outputs wins: `Ó` (Spanish `SESIÓN`), `é`, `Ö`.
 */
const LETTERS = /[äöüÄÖÜßéèêëâçñíóúìòùÉÈÀÇÑÓ]/g;
const MISREAD = /[\u0080-\u009f\u2500-\u259f\u0192\u2018-\u2122\u00a1-\u00bf\u00d7\u00f7\u0160\u0161\u017d\u017e\u0152\u0153\u0178\u02c6\u02dc\u00de\u00fe]/g;

/** Higher for the reading in the right code page: the tie-breaker between OEM and ANSI. */
export function readingScore(text: string): number {
  return (text.match(LETTERS)?.length ?? 0) - 2 * (text.match(MISREAD)?.length ?? 0);
}
