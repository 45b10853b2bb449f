import { readdirSync } from 'node:fs';

/**
 * The exporter's own open file descriptors, where the OS lists them (/proc/self/fd on Linux, /dev/fd on
 * macOS). On Windows the native source answers with GetProcessHandleCount instead. Null when unknown.
 */
export function openFileDescriptors(): number | null {
  for (const dir of ['/proc/self/fd', '/dev/fd']) {
    try {
      // The listing itself opens one descriptor for the directory; do not count it.
      return readdirSync(dir).length - 1;
    } catch {
      // try the next one
    }
  }
  return null;
}
