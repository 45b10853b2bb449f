import iconv from 'iconv-lite';

/** How a capture reaches us: cmd `>` (OEM code page), PowerShell `>` (UTF-16LE with BOM), editors (UTF-8, with or without BOM). */
export const ENCODINGS = ['utf-8', 'utf-8-bom', 'utf-16le-bom', 'utf-16le', 'cp850', 'windows-1252'] as const;
export type Encoding = (typeof ENCODINGS)[number];

export function encodeCapture(text: string, encoding: Encoding): Uint8Array {
  switch (encoding) {
    case 'utf-8':
      return Buffer.from(text, 'utf8');
    case 'utf-8-bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
    case 'utf-16le-bom':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    case 'utf-16le':
      return Buffer.from(text, 'utf16le');
    case 'cp850':
    case 'windows-1252':
      return iconv.encode(text, encoding);
  }
}

/** Line ends and blank-line habits of real files. */
export interface Layout {
  readonly eol: '\r\n' | '\n';
  /** Blanks after the text of some lines (consoles pad to the window width). */
  readonly trailingBlanks: boolean;
  readonly banner: boolean;
  readonly leadingBlankLines: number;
}

export function joinLines(lines: readonly string[], layout: Layout): string {
  const padded = layout.trailingBlanks ? lines.map((l, i) => (i % 3 === 0 ? `${l}   ` : l)) : lines;
  return `${Array(layout.leadingBlankLines).fill('').concat(padded).join(layout.eol)}${layout.eol}`;
}
