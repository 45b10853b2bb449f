/**
 * Runs `serve` in the foreground (stopped by SIGINT/SIGTERM) or, on Windows when the Service Control
 * Manager started the process, as a service (stopped by STOP/SHUTDOWN/PRESHUTDOWN).
 *
 * Detection: the process always calls StartServiceCtrlDispatcherW on Windows; it fails at once with
 * ERROR_FAILED_SERVICE_CONTROLLER_CONNECT when the SCM did not start us (Microsoft's documented way to
 * tell a console start). No marker argument: a service registered by hand, by the MSI or by
 * `service install` behaves the same, and `serve` keeps one command line.
 */
import type { Logger } from 'pino';
import type { ServiceHostApi } from './windows/service-api.js';
import type { Stoppable } from './windows/service-state-machine.js';

export type { Stoppable };

export interface ServeHostOptions {
  readonly logger: Logger;
  /** Switches logging to the service defaults (Event Log + rotated file); closes it before exit. */
  readonly logOutput: { useServiceDefaults(defaultFile: string): Promise<void>; close(): Promise<void> };
  readonly platform?: NodeJS.Platform;
  readonly loadHost?: () => Promise<ServiceHostApi>;
  readonly exit?: (code: number) => void;
  readonly env?: NodeJS.ProcessEnv;
}

async function loadWindowsHost(): Promise<ServiceHostApi> {
  const { loadServiceHostApi } = await import('./windows/win32-service-bindings.js');
  return loadServiceHostApi();
}

function runInForeground(running: Stoppable, options: ServeHostOptions, exit: (code: number) => void): void {
  const stop = (signal: string) => {
    options.logger.info({ signal }, 'shutting down');
    void running
      .stop()
      .then(() => 0, () => 1)
      // Flush the log file before the process ends.
      .then((code) => options.logOutput.close().then(() => exit(code), () => exit(code)));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

/**
 * Starts the exporter with `start` and returns once it runs (foreground) or once the SCM took over
 * (service); the process then lives until stopped. Returns null, as `serve` does.
 */
export async function serveUntilStopped(start: () => Promise<Stoppable>, options: ServeHostOptions): Promise<null> {
  const { logger } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  if ((options.platform ?? process.platform) !== 'win32') {
    runInForeground(await start(), options, exit);
    return null;
  }
  let host: ServiceHostApi;
  try {
    host = await (options.loadHost ?? loadWindowsHost)();
  } catch (error) {
    logger.debug({ err: error instanceof Error ? error.message : String(error) }, 'service control unavailable: running in the foreground');
    runInForeground(await start(), options, exit);
    return null;
  }
  const [{ ServiceStateMachine }, { SERVICE_NAME }, { defaultServiceLogPath }] = await Promise.all([
    import('./windows/service-state-machine.js'),
    import('./windows/scm-constants.js'),
    import('./windows/service-spec.js'),
  ]);
  let exitCode = 0;
  const mode = await new Promise<'service' | 'console'>((resolve) => {
    let serviceMainCalled = false;
    const machine = new ServiceStateMachine(
      host,
      SERVICE_NAME,
      async () => {
        await options.logOutput.useServiceDefaults(defaultServiceLogPath(options.env ?? process.env));
        return start();
      },
      logger,
      (code) => {
        exitCode = code;
        // Exit even if the dispatcher never returns (it does within milliseconds of STOPPED).
        setTimeout(() => void finish(), 3_000).unref();
      },
    );
    let finishing = false;
    const finish = async () => {
      if (finishing) return;
      finishing = true;
      await options.logOutput.close().catch(() => undefined);
      exit(exitCode);
    };
    void host
      .startDispatcher(SERVICE_NAME, () => {
        serviceMainCalled = true;
        resolve('service');
        machine.serviceMain();
      })
      .then((error) => {
        if (!serviceMainCalled) {
          logger.debug({ win32_error: error }, 'not started by the Service Control Manager: running in the foreground');
          resolve('console');
          return;
        }
        // The dispatcher returns after STOPPED: exit promptly, so an uninstall can delete our files.
        void finish();
      });
  });
  if (mode === 'console') runInForeground(await start(), options, exit);
  return null;
}
