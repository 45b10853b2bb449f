/**
 * The service side of the SCM protocol, portable (unit-tested on Linux through ServiceHostApi):
 * ServiceMain registers the control handler and reports START_PENDING, RUNNING once the exporter
 * listens; STOP, SHUTDOWN and PRESHUTDOWN report STOP_PENDING, stop the exporter (HTTP server and
 * collection) and report STOPPED. While pending, the checkpoint advances every second so the SCM sees
 * progress; a stop that outlasts 80% of its wait hint is cut short, so STOPPED always comes in time.
 *
 * The control handler returns at once: the SCM's dispatcher thread waits for it (koffi runs it on the
 * JS thread), and stopping takes a while.
 */
import type { ServiceHostApi } from './service-api.js';
import {
  ERROR_CALL_NOT_IMPLEMENTED,
  ERROR_SERVICE_SPECIFIC_ERROR,
  NO_ERROR,
  SERVICE_ACCEPT_PRESHUTDOWN,
  SERVICE_ACCEPT_SHUTDOWN,
  SERVICE_ACCEPT_STOP,
  SERVICE_CONTROL_INTERROGATE,
  SERVICE_CONTROL_PRESHUTDOWN,
  SERVICE_CONTROL_SHUTDOWN,
  SERVICE_CONTROL_STOP,
  SERVICE_RUNNING,
  SERVICE_START_PENDING,
  SERVICE_STOP_PENDING,
  SERVICE_STOPPED,
  SERVICE_WIN32_OWN_PROCESS,
} from './scm-constants.js';
import { START_WAIT_HINT_MS, STOP_WAIT_HINT_MS } from './service-spec.js';

/** What the serve command hands over: the running exporter, stopped on STOP/SHUTDOWN/PRESHUTDOWN. */
export interface Stoppable {
  stop(): Promise<void>;
}

export interface ServiceLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface StateMachineOptions {
  readonly startWaitHintMs: number;
  readonly stopWaitHintMs: number;
  readonly checkpointIntervalMs: number;
}

export const DEFAULT_STATE_MACHINE_OPTIONS: StateMachineOptions = { startWaitHintMs: START_WAIT_HINT_MS, stopWaitHintMs: STOP_WAIT_HINT_MS, checkpointIntervalMs: 1_000 };

const CONTROL_NAMES: Readonly<Record<number, string>> = {
  [SERVICE_CONTROL_STOP]: 'stop',
  [SERVICE_CONTROL_SHUTDOWN]: 'shutdown',
  [SERVICE_CONTROL_PRESHUTDOWN]: 'preshutdown',
};

const ACCEPTED_WHILE_RUNNING = SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN | SERVICE_ACCEPT_PRESHUTDOWN;

/** Exit code of a failed start: the CLI's (2 usage/config, 1 otherwise). */
function exitCodeOf(error: unknown): number {
  const code = (error as { exitCode?: unknown } | null)?.exitCode;
  return typeof code === 'number' && code > 0 ? code : 1;
}

export class ServiceStateMachine {
  private handle: bigint | null = null;
  private state = SERVICE_STOPPED;
  private checkPoint = 0;
  private waitHint = 0;
  private win32ExitCode = NO_ERROR;
  private specificExitCode = 0;
  private ticker: NodeJS.Timeout | null = null;
  private running: Stoppable | null = null;
  private stopRequested: string | null = null;
  private finished = false;

  constructor(
    private readonly host: ServiceHostApi,
    private readonly name: string,
    private readonly start: () => Promise<Stoppable>,
    private readonly log: ServiceLog,
    /** Called once, after STOPPED was reported, with the process exit code. */
    private readonly onStopped: (exitCode: number) => void,
    private readonly options: StateMachineOptions = DEFAULT_STATE_MACHINE_OPTIONS,
  ) {}

  get currentState(): number {
    return this.state;
  }

  /** ServiceMain: runs on the JS thread when the SCM starts the service; returns at once. */
  serviceMain(): void {
    const registered = this.host.registerHandler(this.name, (control) => this.handleControl(control));
    if (registered.value === null) {
      this.log.error({ win32_error: registered.error }, 'RegisterServiceCtrlHandlerExW failed: cannot run as a service');
      this.finish(1);
      return;
    }
    this.handle = registered.value;
    this.enterPending(SERVICE_START_PENDING, this.options.startWaitHintMs);
    void this.start().then(
      (running) => {
        this.running = running;
        this.setState(SERVICE_RUNNING, 0);
        this.log.info({ service: this.name }, 'service running');
        if (this.stopRequested !== null) this.beginStop(this.stopRequested);
      },
      (error: unknown) => {
        this.log.error({ err: error instanceof Error ? error.message : String(error) }, 'service failed to start');
        // A non-zero exit code with STOPPED counts as a failure: the SCM's failure actions restart it.
        this.win32ExitCode = ERROR_SERVICE_SPECIFIC_ERROR;
        this.specificExitCode = exitCodeOf(error);
        this.setState(SERVICE_STOPPED, 0);
        this.finish(this.specificExitCode);
      },
    );
  }

  /** HandlerEx. */
  handleControl(control: number): number {
    switch (control) {
      case SERVICE_CONTROL_STOP:
      case SERVICE_CONTROL_SHUTDOWN:
      case SERVICE_CONTROL_PRESHUTDOWN: {
        const reason = CONTROL_NAMES[control] ?? String(control);
        if (this.state === SERVICE_RUNNING) this.beginStop(reason);
        else if (this.state === SERVICE_START_PENDING) this.stopRequested ??= reason;
        return NO_ERROR;
      }
      case SERVICE_CONTROL_INTERROGATE:
        this.report();
        return NO_ERROR;
      default:
        return ERROR_CALL_NOT_IMPLEMENTED;
    }
  }

  private beginStop(reason: string): void {
    this.log.info({ control: reason }, 'service stopping');
    this.enterPending(SERVICE_STOP_PENDING, this.options.stopWaitHintMs);
    const running = this.running;
    const budgetMs = Math.floor(this.options.stopWaitHintMs * 0.8);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), budgetMs)));
    const stopped = (running ? running.stop() : Promise.resolve()).then(
      () => 'stopped' as const,
      (error: unknown) => {
        this.log.error({ err: error instanceof Error ? error.message : String(error) }, 'error while stopping');
        return 'stopped' as const;
      },
    );
    void Promise.race([stopped, deadline]).then((outcome) => {
      clearTimeout(timer);
      if (outcome === 'timeout') this.log.warn({ budget_ms: budgetMs }, 'stopping took too long: reporting STOPPED anyway');
      // A requested stop is never a failure: a non-zero code here would trigger the restart actions.
      this.setState(SERVICE_STOPPED, 0);
      this.finish(0);
    });
  }

  private enterPending(state: number, waitHintMs: number): void {
    this.checkPoint = 1;
    this.setState(state, waitHintMs);
    this.clearTicker();
    this.ticker = setInterval(() => {
      this.checkPoint += 1;
      this.report();
    }, this.options.checkpointIntervalMs);
  }

  private setState(state: number, waitHintMs: number): void {
    this.state = state;
    this.waitHint = waitHintMs;
    if (state === SERVICE_RUNNING || state === SERVICE_STOPPED) {
      this.clearTicker();
      this.checkPoint = 0;
    }
    this.report();
  }

  private report(): void {
    if (this.handle === null) return;
    const pending = this.state === SERVICE_START_PENDING || this.state === SERVICE_STOP_PENDING;
    const error = this.host.setStatus(this.handle, {
      serviceType: SERVICE_WIN32_OWN_PROCESS,
      currentState: this.state,
      controlsAccepted: this.state === SERVICE_RUNNING ? ACCEPTED_WHILE_RUNNING : 0,
      win32ExitCode: this.state === SERVICE_STOPPED ? this.win32ExitCode : NO_ERROR,
      serviceSpecificExitCode: this.state === SERVICE_STOPPED ? this.specificExitCode : 0,
      checkPoint: pending ? this.checkPoint : 0,
      waitHint: pending ? this.waitHint : 0,
    });
    if (error !== 0) this.log.warn({ win32_error: error, state: this.state }, 'SetServiceStatus failed');
  }

  private clearTicker(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
  }

  private finish(exitCode: number): void {
    if (this.finished) return;
    this.finished = true;
    this.clearTicker();
    this.onStopped(exitCode);
  }
}
