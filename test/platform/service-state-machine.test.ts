import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from 'pino';
import { serveUntilStopped } from '../../src/platform/serve-host.js';
import { ServiceStateMachine, type Stoppable } from '../../src/platform/windows/service-state-machine.js';
import {
  ERROR_CALL_NOT_IMPLEMENTED,
  NO_ERROR,
  SERVICE_CONTROL_INTERROGATE,
  SERVICE_CONTROL_PRESHUTDOWN,
  SERVICE_CONTROL_SHUTDOWN,
  SERVICE_CONTROL_STOP,
  SERVICE_RUNNING,
  SERVICE_START_PENDING,
  SERVICE_STOP_PENDING,
  SERVICE_STOPPED,
} from '../../src/platform/windows/scm-constants.js';
import { FakeServiceHost } from './fake-service-api.js';

const OPTIONS = { startWaitHintMs: 30_000, stopWaitHintMs: 10_000, checkpointIntervalMs: 1_000 };
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

let host: FakeServiceHost;
beforeEach(() => {
  vi.useFakeTimers();
  host = new FakeServiceHost();
});
afterEach(() => vi.useRealTimers());

const states = () => host.statuses.map((s) => s.currentState);

describe('service state machine', () => {
  it('START_PENDING with checkpoints while starting, RUNNING accepting stop/shutdown/preshutdown, then STOP_PENDING and STOPPED', async () => {
    const started = deferred<Stoppable>();
    const stopped = deferred<void>();
    const stop = vi.fn(() => stopped.promise);
    const exits: number[] = [];
    const machine = new ServiceStateMachine(host, 'rds-leak-exporter', () => started.promise, quiet, (c) => exits.push(c), OPTIONS);
    machine.serviceMain();
    expect(host.statuses[0]).toEqual({ serviceType: 0x10, currentState: SERVICE_START_PENDING, controlsAccepted: 0, win32ExitCode: 0, serviceSpecificExitCode: 0, checkPoint: 1, waitHint: 30_000 });
    await vi.advanceTimersByTimeAsync(2_500);
    expect(host.statuses.map((s) => s.checkPoint)).toEqual([1, 2, 3]);
    started.resolve({ stop });
    await vi.advanceTimersByTimeAsync(0);
    expect(host.statuses.at(-1)).toEqual({ serviceType: 0x10, currentState: SERVICE_RUNNING, controlsAccepted: 0x1 | 0x4 | 0x100, win32ExitCode: 0, serviceSpecificExitCode: 0, checkPoint: 0, waitHint: 0 });
    // No checkpoint reports while running.
    const count = host.statuses.length;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(host.statuses.length).toBe(count);

    expect(host.handler?.(SERVICE_CONTROL_STOP, 0)).toBe(NO_ERROR);
    expect(stop).toHaveBeenCalledTimes(1);
    expect(host.statuses.at(-1)).toMatchObject({ currentState: SERVICE_STOP_PENDING, checkPoint: 1, waitHint: 10_000, controlsAccepted: 0 });
    await vi.advanceTimersByTimeAsync(1_500);
    expect(host.statuses.at(-1)).toMatchObject({ currentState: SERVICE_STOP_PENDING, checkPoint: 2 });
    // A second stop request (SHUTDOWN during the stop) does not stop twice.
    host.handler?.(SERVICE_CONTROL_SHUTDOWN, 0);
    expect(stop).toHaveBeenCalledTimes(1);
    stopped.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(host.statuses.at(-1)).toEqual({ serviceType: 0x10, currentState: SERVICE_STOPPED, controlsAccepted: 0, win32ExitCode: 0, serviceSpecificExitCode: 0, checkPoint: 0, waitHint: 0 });
    expect(exits).toEqual([0]);
    expect(states()).toEqual([SERVICE_START_PENDING, SERVICE_START_PENDING, SERVICE_START_PENDING, SERVICE_RUNNING, SERVICE_STOP_PENDING, SERVICE_STOP_PENDING, SERVICE_STOPPED]);
  });

  it.each([
    ['SHUTDOWN', SERVICE_CONTROL_SHUTDOWN],
    ['PRESHUTDOWN', SERVICE_CONTROL_PRESHUTDOWN],
  ])('%s stops the exporter like STOP', async (_name, control) => {
    const stop = vi.fn(() => Promise.resolve());
    const exits: number[] = [];
    new ServiceStateMachine(host, 'x', () => Promise.resolve({ stop }), quiet, (c) => exits.push(c), OPTIONS).serviceMain();
    await vi.advanceTimersByTimeAsync(0);
    expect(host.handler?.(control, 0)).toBe(NO_ERROR);
    await vi.advanceTimersByTimeAsync(0);
    expect(stop).toHaveBeenCalledTimes(1);
    expect(states().slice(-2)).toEqual([SERVICE_STOP_PENDING, SERVICE_STOPPED]);
    expect(exits).toEqual([0]);
  });

  it('reports STOPPED within the wait hint even when stopping hangs', async () => {
    const exits: number[] = [];
    new ServiceStateMachine(host, 'x', () => Promise.resolve({ stop: () => new Promise<void>(() => undefined) }), quiet, (c) => exits.push(c), OPTIONS).serviceMain();
    await vi.advanceTimersByTimeAsync(0);
    host.handler?.(SERVICE_CONTROL_STOP, 0);
    await vi.advanceTimersByTimeAsync(7_999);
    expect(states().at(-1)).toBe(SERVICE_STOP_PENDING);
    await vi.advanceTimersByTimeAsync(1);
    expect(states().at(-1)).toBe(SERVICE_STOPPED);
    expect(host.statuses.at(-1)?.win32ExitCode).toBe(0);
    expect(exits).toEqual([0]);
  });

  it('a failed start reports STOPPED with a service-specific exit code (so failure actions restart it)', async () => {
    const exits: number[] = [];
    const failure = Object.assign(new Error('cannot listen on 127.0.0.1:10189: address already in use'), { exitCode: 1 });
    new ServiceStateMachine(host, 'x', () => Promise.reject(failure), quiet, (c) => exits.push(c), OPTIONS).serviceMain();
    await vi.advanceTimersByTimeAsync(0);
    expect(host.statuses.at(-1)).toEqual({ serviceType: 0x10, currentState: SERVICE_STOPPED, controlsAccepted: 0, win32ExitCode: 1066, serviceSpecificExitCode: 1, checkPoint: 0, waitHint: 0 });
    expect(exits).toEqual([1]);
  });

  it('a stop requested while starting is carried out once running; INTERROGATE re-reports; other controls are refused', async () => {
    const started = deferred<Stoppable>();
    const stop = vi.fn(() => Promise.resolve());
    new ServiceStateMachine(host, 'x', () => started.promise, quiet, () => undefined, OPTIONS).serviceMain();
    host.handler?.(SERVICE_CONTROL_SHUTDOWN, 0);
    const before = host.statuses.length;
    expect(host.handler?.(SERVICE_CONTROL_INTERROGATE, 0)).toBe(NO_ERROR);
    expect(host.statuses.length).toBe(before + 1);
    expect(host.handler?.(0x2 /* PAUSE */, 0)).toBe(ERROR_CALL_NOT_IMPLEMENTED);
    started.resolve({ stop });
    await vi.advanceTimersByTimeAsync(0);
    expect(stop).toHaveBeenCalledTimes(1);
    expect(states().slice(-3)).toEqual([SERVICE_RUNNING, SERVICE_STOP_PENDING, SERVICE_STOPPED]);
  });
});

describe('serve under the SCM or in the foreground', () => {
  const logOutput = () => ({ useServiceDefaults: vi.fn(() => Promise.resolve()), close: vi.fn(() => Promise.resolve()) });

  it('runs in the foreground when the dispatcher fails (not started by the SCM)', async () => {
    const start = vi.fn(() => Promise.resolve({ stop: () => Promise.resolve() }));
    const output = logOutput();
    const pending = serveUntilStopped(start, { logger: quiet as unknown as Logger, logOutput: output, platform: 'win32', loadHost: () => Promise.resolve(host), exit: () => undefined });
    await vi.advanceTimersByTimeAsync(0);
    host.failDispatcher(1063);
    expect(await pending).toBeNull();
    expect(start).toHaveBeenCalledTimes(1);
    expect(output.useServiceDefaults).not.toHaveBeenCalled();
    expect(host.statuses).toEqual([]);
    process.removeAllListeners('SIGINT');
    process.removeAllListeners('SIGTERM');
  });

  it('as a service: switches logging to the service defaults, runs, stops on STOP and exits 0 after STOPPED', async () => {
    const stop = vi.fn(() => Promise.resolve());
    const start = vi.fn(() => Promise.resolve({ stop }));
    const output = logOutput();
    const exit = vi.fn();
    const pending = serveUntilStopped(start, { logger: quiet as unknown as Logger, logOutput: output, platform: 'win32', loadHost: () => Promise.resolve(host), exit, env: { ProgramData: 'C:\\ProgramData' } });
    await vi.advanceTimersByTimeAsync(0);
    host.serviceMain?.();
    expect(await pending).toBeNull();
    await vi.advanceTimersByTimeAsync(0);
    expect(output.useServiceDefaults).toHaveBeenCalledWith('C:\\ProgramData\\rds-leak-exporter\\logs\\rds-leak-exporter.log');
    expect(states()).toEqual([SERVICE_START_PENDING, SERVICE_RUNNING]);
    host.handler?.(SERVICE_CONTROL_STOP, 0);
    await vi.advanceTimersByTimeAsync(0);
    expect(stop).toHaveBeenCalledTimes(1);
    expect(states().at(-1)).toBe(SERVICE_STOPPED);
    expect(output.close).toHaveBeenCalled();
    expect(exit).toHaveBeenCalledWith(0);
    expect(exit).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(exit).toHaveBeenCalledTimes(1);
  });
});
