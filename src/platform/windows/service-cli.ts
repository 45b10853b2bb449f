/**
 * Entry of `rds-leak-exporter service ...` (wired in src/cli/main.ts): loads the koffi bindings on
 * win32 and runs the action; one line per error, never a stack trace for a known one.
 */
import { existsSync } from 'node:fs';
import { isSea } from 'node:sea';
import { resolve } from 'node:path';
import { RdsLeakError, UsageError, errorMessage } from '../../errors.js';
import { runServiceAction, SERVICE_USAGE, type ServiceCommandApi, type ServiceCommandContext, type ServiceCommandIo } from './service-command.js';
import { isWindows } from '../os.js';

/** The command line that starts this program: the single executable alone, or node.exe and the script. */
export function programCommand(execPath: string, script: string | undefined, sea: boolean): string[] {
  return sea || script === undefined ? [execPath] : [execPath, resolve(script)];
}

async function loadApi(): Promise<ServiceCommandApi> {
  const { loadRegistryApi, loadScmApi } = await import('./win32-service-bindings.js');
  return { scm: loadScmApi(), registry: loadRegistryApi() };
}

export async function runServiceCommand(argv: readonly string[], io: ServiceCommandIo, deps: { api?: ServiceCommandApi; context?: ServiceCommandContext } = {}): Promise<number> {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
    (argv.length === 0 ? io.stderr : io.stdout).write(SERVICE_USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  try {
    if (!deps.api && !isWindows()) {
      throw new UsageError('E_USAGE', `service commands manage a Windows service: they need Windows (this is ${process.platform})`);
    }
    const api = deps.api ?? (await loadApi());
    const context: ServiceCommandContext = deps.context ?? {
      program: programCommand(process.execPath, process.argv[1], isSea()),
      env: process.env,
      sleep: (ms) => new Promise((done) => setTimeout(done, ms)),
      fileExists: existsSync,
    };
    return await runServiceAction(argv, io, api, context);
  } catch (error) {
    if (error instanceof RdsLeakError) {
      io.stderr.write(`rds-leak-exporter: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr.write(`rds-leak-exporter: service: ${errorMessage(error)}\n`);
    return 1;
  }
}
