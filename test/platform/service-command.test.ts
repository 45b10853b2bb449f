import { Writable } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import { programCommand, runServiceCommand } from '../../src/platform/windows/service-cli.js';
import type { ServiceCommandContext } from '../../src/platform/windows/service-command.js';
import { ERROR_ACCESS_DENIED, SERVICE_RUNNING, SERVICE_STOPPED } from '../../src/platform/windows/scm-constants.js';
import { quoteArgument, serviceCommandLine } from '../../src/platform/windows/service-spec.js';
import { FakeScm } from './fake-service-api.js';

const EXE = 'C:\\Program Files\\rds-leak-exporter\\rds-leak-exporter.exe';

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({ write: (chunk: Buffer, _enc, done) => ((text += chunk.toString()), done()) });
  return { stream, text: () => text };
}

let scm: FakeScm;
let out: ReturnType<typeof sink>;
let err: ReturnType<typeof sink>;
let existing: Set<string>;

function context(program: string[] = [EXE]): ServiceCommandContext {
  return { program, env: { ProgramData: 'C:\\ProgramData' }, sleep: () => Promise.resolve(), fileExists: (p) => existing.has(p) };
}

const run = (argv: string[], program?: string[]) =>
  runServiceCommand(argv, { stdout: out.stream, stderr: err.stream }, { api: { scm, registry: scm }, context: context(program) });

beforeEach(() => {
  scm = new FakeScm();
  out = sink();
  err = sink();
  existing = new Set(['C:\\ProgramData\\rds-leak-exporter\\config.yaml']);
});

describe('service install', () => {
  it('makes exactly these Win32 calls: SCM, service, its configuration, the Event Log source', async () => {
    expect(await run(['install'])).toBe(0);
    expect(scm.calls).toEqual([
      { fn: 'OpenSCManagerW', args: [0x1 | 0x2] },
      {
        fn: 'CreateServiceW',
        args: [
          0x100n,
          {
            name: 'rds-leak-exporter',
            displayName: 'RDS leak exporter (Prometheus)',
            desiredAccess: 0xf01ff,
            serviceType: 0x10,
            startType: 2,
            errorControl: 1,
            binaryPathName: `"${EXE}" serve --config.file C:\\ProgramData\\rds-leak-exporter\\config.yaml`,
            account: null,
          },
        ],
      },
      { fn: 'ChangeServiceConfig2W', args: [0x200n, { level: 'description', description: expect.stringContaining('Prometheus exporter') as unknown }] },
      { fn: 'ChangeServiceConfig2W', args: [0x200n, { level: 'delayedAutoStart', delayed: true }] },
      {
        fn: 'ChangeServiceConfig2W',
        args: [
          0x200n,
          {
            level: 'failureActions',
            resetPeriodSeconds: 86_400,
            rebootMessage: null,
            command: null,
            actions: [
              { type: 1, delayMs: 60_000 },
              { type: 1, delayMs: 60_000 },
              { type: 1, delayMs: 300_000 },
            ],
          },
        ],
      },
      { fn: 'ChangeServiceConfig2W', args: [0x200n, { level: 'failureActionsFlag', onNonCrashFailures: true }] },
      { fn: 'ChangeServiceConfig2W', args: [0x200n, { level: 'preshutdownInfo', timeoutMs: 15_000 }] },
      {
        fn: 'RegSetValueExW',
        args: [
          'SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\rds-leak-exporter',
          [
            { name: 'EventMessageFile', type: 'REG_EXPAND_SZ', data: 'C:\\Program Files\\rds-leak-exporter\\rds-leak-exporter-messages.dll' },
            { name: 'TypesSupported', type: 'REG_DWORD', data: 7 },
          ],
        ],
      },
      { fn: 'CloseServiceHandle', args: [0x200n] },
      { fn: 'CloseServiceHandle', args: [0x100n] },
    ]);
    expect(out.text()).toContain('installed service rds-leak-exporter');
    expect(err.text()).toBe('');
  });

  it('quotes a config path with spaces and runs node.exe with its script when not a single executable', async () => {
    const node = 'C:\\Program Files\\nodejs\\node.exe';
    const script = 'C:\\Program Files\\rds-leak-exporter\\app\\dist\\src\\cli.js';
    expect(await run(['install', '--config.file', 'D:\\My Config\\rds.yaml'], [node, script])).toBe(0);
    const create = scm.calls.find((c) => c.fn === 'CreateServiceW');
    expect((create?.args[1] as { binaryPathName: string }).binaryPathName).toBe(`"${node}" "${script}" serve --config.file "D:\\My Config\\rds.yaml"`);
    expect(err.text()).toContain('D:\\My Config\\rds.yaml does not exist yet');
  });

  it('exits 2 with one line when not elevated', async () => {
    scm.failures.set('OpenSCManagerW', ERROR_ACCESS_DENIED);
    expect(await run(['install'])).toBe(2);
    expect(err.text()).toBe('rds-leak-exporter: OpenSCManagerW: access denied (run from an elevated prompt: Run as administrator)\n');
  });

  it('exits 2 when already installed', async () => {
    scm.installed = true;
    expect(await run(['install'])).toBe(2);
    expect(err.text()).toMatch(/^rds-leak-exporter: service rds-leak-exporter is already installed/);
  });

  it('removes the half-configured service when a configuration call fails', async () => {
    scm.failures.set('RegSetValueExW', ERROR_ACCESS_DENIED);
    expect(await run(['install'])).toBe(2);
    expect(scm.names()).toContain('DeleteService');
    expect(scm.installed).toBe(false);
    expect(err.text()).toContain('registering the Event Log source');
  });

  it('goes on with a warning when the system lacks a configuration level (Wine: delayed start)', async () => {
    const original = scm.changeConfig2.bind(scm);
    scm.changeConfig2 = (service, config) => (original(service, config), config.level === 'delayedAutoStart' ? 124 : 0);
    expect(await run(['install'])).toBe(0);
    expect(err.text()).toContain('does not support the delayedAutoStart setting');
    expect(scm.installed).toBe(true);
  });

  it('rejects unknown actions, extra arguments and --config.file outside install (exit 2)', async () => {
    expect(await run(['reinstall'])).toBe(2);
    expect(await run(['start', 'now'])).toBe(2);
    expect(await run(['start', '--config.file', 'x'])).toBe(2);
    expect(await run(['install', '--bogus'])).toBe(2);
    expect(err.text().trim().split('\n')).toHaveLength(4);
    expect(scm.calls).toEqual([]);
  });
});

describe('service start, stop, status, uninstall', () => {
  beforeEach(() => {
    scm.installed = true;
  });

  it('start waits for RUNNING and reports the pid; a second start says it already runs', async () => {
    expect(await run(['start'])).toBe(0);
    expect(out.text()).toContain('RUNNING (pid 4242)');
    expect(await run(['start'])).toBe(0);
    expect(out.text()).toContain('already running');
  });

  it('start fails (exit 1) when the service stops while starting, with its exit code', async () => {
    scm.afterStart = SERVICE_STOPPED;
    scm.exitCode = 2;
    expect(await run(['start'])).toBe(1);
    expect(err.text()).toContain('stopped while starting (exit code 2)');
  });

  it('status exits 0 when RUNNING, 3 when stopped, 2 when not installed', async () => {
    expect(await run(['status'])).toBe(3);
    scm.state = SERVICE_RUNNING;
    scm.pid = 7;
    expect(await run(['status'])).toBe(0);
    expect(out.text()).toContain('rds-leak-exporter: RUNNING (pid 7)');
    scm.installed = false;
    expect(await run(['status'])).toBe(2);
    expect(err.text()).toContain('is not installed');
  });

  it('stop sends SERVICE_CONTROL_STOP and waits for STOPPED; stopping a stopped service is not an error', async () => {
    scm.state = SERVICE_RUNNING;
    expect(await run(['stop'])).toBe(0);
    expect(scm.calls.find((c) => c.fn === 'ControlService')?.args).toEqual([0x200n, 1]);
    expect(out.text()).toContain('stopped');
    expect(await run(['stop'])).toBe(0);
    expect(out.text()).toContain('is not running');
  });

  it('uninstall stops a running service, deletes it and its Event Log source', async () => {
    scm.state = SERVICE_RUNNING;
    scm.registry.set('SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\rds-leak-exporter', []);
    expect(await run(['uninstall'])).toBe(0);
    const names = scm.names();
    expect(names.indexOf('ControlService')).toBeLessThan(names.indexOf('DeleteService'));
    expect(scm.calls.find((c) => c.fn === 'OpenServiceW')?.args).toEqual([0x100n, 'rds-leak-exporter', 0x10000 | 0x20 | 0x4]);
    expect(scm.calls.at(-1)).toEqual({ fn: 'RegDeleteTreeW', args: ['SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\rds-leak-exporter'] });
    expect(scm.installed).toBe(false);
    expect(scm.registry.size).toBe(0);
  });

  it('configure applies the install settings to a service created by an installer (MSI)', async () => {
    expect(await run(['configure'])).toBe(0);
    expect(scm.calls.find((c) => c.fn === 'OpenServiceW')?.args).toEqual([0x100n, 'rds-leak-exporter', 0x2 | 0x10]);
    const levels = scm.calls.filter((c) => c.fn === 'ChangeServiceConfig2W').map((c) => (c.args[1] as { level: string }).level);
    expect(levels).toEqual(['description', 'delayedAutoStart', 'failureActions', 'failureActionsFlag', 'preshutdownInfo']);
    expect(scm.registry.get('SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\rds-leak-exporter')).toHaveLength(2);
    expect(scm.names()).not.toContain('DeleteService');
    scm.installed = false;
    expect(await run(['configure'])).toBe(2);
  });

  it('uninstall exits 2 when the service is not installed', async () => {
    scm.installed = false;
    expect(await run(['uninstall'])).toBe(2);
    expect(err.text()).toBe('rds-leak-exporter: service rds-leak-exporter is not installed\n');
  });
});

describe('command lines', () => {
  it('quotes arguments as CommandLineToArgvW reads them back', () => {
    expect(quoteArgument('serve')).toBe('serve');
    expect(quoteArgument('C:\\a b\\c.yaml')).toBe('"C:\\a b\\c.yaml"');
    expect(quoteArgument('C:\\dir with space\\')).toBe('"C:\\dir with space\\\\"');
    expect(quoteArgument('say "hi"')).toBe('"say \\"hi\\""');
    expect(quoteArgument('')).toBe('""');
    expect(serviceCommandLine('C:\\x.exe', ['a b'])).toBe('"C:\\x.exe" "a b"');
  });

  it('a single executable registers itself alone; node.exe registers its script too', () => {
    expect(programCommand('C:\\x\\rds-leak-exporter.exe', 'C:\\x\\rds-leak-exporter.exe', true)).toEqual(['C:\\x\\rds-leak-exporter.exe']);
    expect(programCommand('/usr/bin/node', '/app/dist/src/cli.js', false)).toEqual(['/usr/bin/node', '/app/dist/src/cli.js']);
  });

  it('service commands say they need Windows elsewhere (exit 2)', async () => {
    if (process.platform === 'win32') return;
    const e = sink();
    expect(await runServiceCommand(['status'], { stdout: out.stream, stderr: e.stream })).toBe(2);
    expect(e.text()).toMatch(/need Windows/);
  });
});
