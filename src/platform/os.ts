import { UsageError } from '../errors.js';

/** Windows, or Windows Node under Wine (which reports win32): the only place the native source can run. */
export function isWindows(platform: NodeJS.Platform = process.platform): boolean {
  return platform === 'win32';
}

/** The one check before anything loads koffi: elsewhere, a usage error naming the alternatives. */
export function requireWindows(what: string, platform: NodeJS.Platform = process.platform): void {
  if (!isWindows(platform)) {
    throw new UsageError('E_SOURCE_UNAVAILABLE', `${what} needs Windows (this is ${platform}); use --source simulate or --source file`);
  }
}
