/**
 * Sysinternals tools print a banner (name and version, copyright, web site) unless `-nobanner` is
 * given. These lines are recognised, not counted as unknown.
 */
const BANNER_LINES = [
  /^(?:Nt)?handle v\d+(?:\.\d+)*\b/i,
  /^LogonSessions v\d+(?:\.\d+)*\b/i,
  /^Copyright \(C\) \d{4}/i,
  /^Sysinternals - www\.sysinternals\.com$/i,
  /^Sysinternals\b.*\bsysinternals\.com/i,
];

export function isBannerLine(line: string): boolean {
  const trimmed = line.trim();
  return BANNER_LINES.some((re) => re.test(trimmed));
}

/** `C:\>handle.exe -a 17c025` or `PS C:\temp> qwinsta`: the command line copied along with the output. */
export function isPromptLine(line: string): boolean {
  return /^\s*(?:PS\s+)?[A-Za-z]:\\[^>]*>/.test(line);
}
