/**
 * The `process` label: the image name without `.exe`, as windows_exporter's process collector spells
 * it, so `rdsleak_token_handles` joins with `windows_process_handles`.
 */
export function processLabel(image: string): string {
  return image.replace(/\.exe$/i, '');
}

/** Holder of a handle whose process is no longer in the process list (exited during the scan). */
export const UNKNOWN_PROCESS_IMAGE = 'unknown';
