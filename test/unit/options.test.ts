import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GRACE_PERIOD, ZOMBIE_LOGON_TYPES } from '../../src/analysis/flags.js';
import { parseCommandLine } from '../../src/cli/command-line.js';
import { MIN_INTERVAL } from '../../src/collection/flags.js';
import { INCLUDE_USER_NAMES, ZOMBIE_INFO_LIMIT } from '../../src/metrics/flags.js';
import { serverSettingsFrom } from '../../src/server/flags.js';
import { FILE_LOOP, FILE_PATHS } from '../../src/sources/file/flags.js';
import { sourceConfigFrom } from '../../src/sources/flags.js';
import { SIMULATE_PROFILE, SIMULATE_SPEED } from '../../src/sources/simulate/flags.js';
import { parseDuration } from '../../src/flags/duration.js';
import { UsageError } from '../../src/errors.js';
import { tempDir } from '../fixtures/temp-dir.js';

/** The command line as the commands see it, flattened for these assertions. */
function parseOptions(argv: string[], platform: NodeJS.Platform) {
  const { command, flags } = parseCommandLine(argv);
  const server = serverSettingsFrom(flags);
  return {
    command,
    listenAddress: server.listenAddress,
    telemetryPath: server.telemetryPath,
    source: sourceConfigFrom(flags, platform).kind,
    filePaths: flags.get(FILE_PATHS),
    fileLoop: flags.get(FILE_LOOP),
    simulate: { profile: flags.get(SIMULATE_PROFILE), speed: flags.get(SIMULATE_SPEED) },
    gracePeriodMs: flags.get(GRACE_PERIOD),
    zombieLogonTypes: flags.get(ZOMBIE_LOGON_TYPES),
    zombieInfoLimit: flags.get(ZOMBIE_INFO_LIMIT),
    includeUserNames: flags.get(INCLUDE_USER_NAMES),
    minIntervalMs: flags.get(MIN_INTERVAL),
  };
}

function failure(argv: string[]): { message: string; code: string; exitCode: number } {
  try {
    parseOptions(argv, 'linux');
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    const e = error as UsageError;
    return { message: e.message, code: e.code, exitCode: e.exitCode };
  }
  throw new Error('expected a usage error');
}

function configFile(text: string): string {
  const dir = tempDir('config');
  const path = join(dir, 'config.yaml');
  writeFileSync(path, text);
  return path;
}

describe('flags', () => {
  it('defaults follow exporter conventions; simulate off Windows, windows on Windows', () => {
    const o = parseOptions([], 'linux');
    expect(o.command).toBe('serve');
    expect(o.listenAddress).toEqual({ host: '', port: 10189 });
    expect(o.telemetryPath).toBe('/metrics');
    expect(o.source).toBe('simulate');
    expect(o.gracePeriodMs).toBe(300_000);
    expect(o.zombieInfoLimit).toBe(100);
    expect(o.includeUserNames).toBe(false);
    expect(parseOptions([], 'win32').source).toBe('windows');
  });

  it('report uses the same grace period, unless given', () => {
    expect(parseOptions(['report'], 'linux').gracePeriodMs).toBe(300_000);
    expect(parseOptions(['report', '--zombie.grace-period=2m'], 'linux').gracePeriodMs).toBe(120_000);
  });

  it('parses every kind of value', () => {
    const o = parseOptions(
      ['--web.listen-address=127.0.0.1:9999', '--simulate.speed', '600', '--zombie.logon-types', 'interactive,remote_interactive', '--collection.min-interval=10s', '--metrics.include-user-names', '--source=file', '--file.path=a.json', '--file.path', 'b.json'],
      'linux',
    );
    expect(o.listenAddress).toEqual({ host: '127.0.0.1', port: 9999 });
    expect(o.simulate.speed).toBe(600);
    expect(o.zombieLogonTypes).toEqual(['interactive', 'remote_interactive']);
    expect(o.minIntervalMs).toBe(10_000);
    expect(o.includeUserNames).toBe(true);
    expect(o.filePaths).toEqual(['a.json', 'b.json']);
    expect(parseOptions(['--web.listen-address=[::1]:10189'], 'linux').listenAddress).toEqual({ host: '::1', port: 10189 });
  });

  it('rejects mistakes with one clear line and exit code 2', () => {
    expect(failure(['--bogus'])).toEqual({ message: 'unknown flag --bogus (see --help)', code: 'E_USAGE', exitCode: 2 });
    expect(failure(['--source', 'foo']).message).toBe('--source: unknown value "foo" (expected simulate, file, windows)');
    expect(failure(['--simulate.speed=fast']).message).toBe('--simulate.speed: expected a number of simulated seconds per real second between 0 and 100000, got "fast"');
    expect(failure(['--zombie.grace-period=5 minutes']).message).toBe('--zombie.grace-period: expected a duration like 30s, 5m or 1h, got "5 minutes"');
    expect(failure(['--web.listen-address=10189']).message).toBe('--web.listen-address: expected [host]:port such as :10189 or 127.0.0.1:10189, got "10189"');
    expect(failure(['--zombie.logon-types=interactive,batchy']).message).toBe(
      '--zombie.logon-types: unknown value "batchy" (expected some of system, interactive, network, batch, service, proxy, unlock, network_cleartext, new_credentials, remote_interactive, cached_interactive, cached_remote_interactive, cached_unlock, unknown)',
    );
    expect(failure(['--source=file']).message).toBe('--source file needs --file.path (a snapshot file or a directory of them)');
    expect(failure(['serv']).message).toBe('unknown command "serv" (expected serve, snapshot, report, analyze)');
    expect(failure(['--web.telemetry-path=metrics']).message).toBe('--web.telemetry-path: expected a path such as /metrics, got "metrics"');
    expect(failure(['--simulate.speed']).message).toBe('--simulate.speed needs a value');
    expect(failure(['--web.telemetry-path=/metrics(']).message).toBe('--web.telemetry-path: expected a path such as /metrics, got "/metrics("');
    expect(failure(['--web.telemetry-path=/health']).message).toBe("--web.telemetry-path: /health is the exporter's own endpoint; choose another path");
    expect(failure(['--collection.timeout=30d']).message).toBe('--collection.timeout: expected a duration longer than 0s and at most 1h');
    expect(failure(['--collection.interval=500ms']).message).toBe('--collection.interval: expected a duration of at least 1s and at most 1h');
    expect(failure(['--collection.mode=lazy']).message).toBe('--collection.mode: unknown value "lazy" (expected background, scrape)');
    expect(failure(['--metrics.include-user-names=maybe']).message).toBe('--metrics.include-user-names: expected true or false, got "maybe"');
  });
});

describe('config file', () => {
  it('takes flag names as keys; the command line wins', () => {
    const path = configFile('simulate.profile: healthy\nsimulate.speed: 120\nzombie.logon-types: [interactive]\nmetrics.include-user-names: true\n');
    const o = parseOptions(['--config.file', path, '--simulate.speed=30'], 'linux');
    expect(o.simulate.profile).toBe('healthy');
    expect(o.simulate.speed).toBe(30);
    expect(o.zombieLogonTypes).toEqual(['interactive']);
    expect(o.includeUserNames).toBe(true);
  });

  it('lets the command line turn off a boolean set in the file', () => {
    const path = configFile('metrics.include-user-names: true\nfile.loop: true\n');
    const o = parseOptions(['--config.file', path, '--metrics.include-user-names=false', '--no-file.loop'], 'linux');
    expect(o.includeUserNames).toBe(false);
    expect(o.fileLoop).toBe(false);
    expect(parseOptions(['--config.file', path], 'linux').includeUserNames).toBe(true);
  });

  it('names the file and line of a value checked after parsing', () => {
    const path = configFile('log.level: info\nweb.telemetry-path: metrics\n');
    expect(failure(['--config.file', path]).message).toBe(`${path}:2: web.telemetry-path: expected a path such as /metrics, got "metrics"`);
    const empty = configFile('web.config.file:\n');
    expect(failure(['--config.file', empty]).message).toBe(`${empty}:1: web.config.file: expected a value`);
  });

  it('names the file and line of an unknown key or a bad value', () => {
    const unknown = configFile('simulate.profile: healthy\n\nsimulate.sped: 120\n');
    expect(failure(['--config.file', unknown])).toEqual({
      message: `${unknown}:3: unknown key "simulate.sped" (keys are flag names without the leading --, see --help)`,
      code: 'E_CONFIG',
      exitCode: 2,
    });
    const bad = configFile('# comment\nsimulate.speed: fast\n');
    expect(failure(['--config.file', bad]).message).toBe(`${bad}:2: simulate.speed: expected a number of simulated seconds per real second between 0 and 100000, got "fast"`);
    const boolean = configFile('file.loop: yes please\n');
    expect(failure(['--config.file', boolean]).message).toBe(`${boolean}:1: file.loop: expected true or false, got "yes please"`);
  });

  it('reports unreadable and malformed files', () => {
    expect(failure(['--config.file', '/nonexistent/config.yaml']).message).toBe('/nonexistent/config.yaml: cannot read config file: no such file');
    const broken = configFile('a: [1, 2\n');
    expect(failure(['--config.file', broken]).message).toMatch(new RegExp(`^${broken}:\\d+: not valid YAML \\(`));
    const list = configFile('- a\n- b\n');
    expect(failure(['--config.file', list]).message).toBe(`${list}:1: expected a mapping of flag names to values`);
  });
});

describe('durations', () => {
  it('reads Prometheus-style durations', () => {
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('5')).toBeNull();
    expect(parseDuration('m5')).toBeNull();
  });
});

describe('bounds on every flag (defect: bad values were accepted, hung or crashed)', () => {
  it('refuses hexadecimal and exponent notation for integers and numbers', () => {
    expect(failure(['--simulate.seed=0x10']).message).toBe('--simulate.seed: expected an integer between 0 and 4294967295, got "0x10"');
    expect(failure(['--windows.concurrency=1e3']).message).toBe('--windows.concurrency: expected an integer between 1 and 64, got "1e3"');
    expect(failure(['--simulate.speed=1e3']).message).toMatch(/^--simulate\.speed: expected a number of simulated seconds per real second between 0 and 100000, got "1e3"$/);
    expect(failure(['--simulate.leak-share=Infinity']).message).toBe('--simulate.leak-share: expected a probability between 0 and 1, got "Infinity"');
  });

  it('refuses absurdly long numbers and durations with one line, no stack, no hang', () => {
    const digits = '9'.repeat(400);
    expect(failure([`--simulate.users=${digits}`])).toMatchObject({ code: 'E_USAGE', exitCode: 2 });
    expect(failure([`--simulate.users=${digits}`]).message).not.toContain('\n');
    expect(failure([`--zombie.grace-period=${'9'.repeat(310)}s`]).message).toMatch(/^--zombie\.grace-period: expected a duration like 30s, 5m or 1h, got "9{32}\.\.\."$/);
    expect(failure(['--simulate.advance=1000w']).message).toBe('--simulate.advance: expected a duration of at most 30d');
    expect(failure(['--zombie.grace-period=30d']).message).toBe('--zombie.grace-period: expected a duration of at most 7d');
  });

  it('refuses a host name that the agent itself would reject in a snapshot', () => {
    expect(failure(['--simulate.host-name=']).message).toBe('--simulate.host-name: expected a host name (letters, digits, dot, dash, underscore; at most 253 characters), got ""');
    expect(failure(['--simulate.host-name=two words']).code).toBe('E_USAGE');
  });

  it('refuses a repeated single-value flag instead of silently taking the last', () => {
    expect(failure(['--simulate.speed=1', '--simulate.speed=2']).message).toBe('--simulate.speed given 2 times; give it once');
    expect(failure(['--config.file=a.yaml', '--config.file=b.yaml']).message).toBe('--config.file given 2 times; give it once');
    expect(failure(['--simulate.citrix', '--no-simulate.citrix']).message).toBe('--simulate.citrix given 2 times; give it once');
    expect(parseOptions(['--source=file', '--file.path=a.json', '--file.path=b.json'], 'linux').filePaths).toEqual(['a.json', 'b.json']);
  });

  it('refuses a positional argument that no command takes', async () => {
    const { main } = await import('../../src/cli/main.js');
    const err: string[] = [];
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => err.push(s) } } as unknown as Parameters<typeof main>[1];
    expect(await main(['report', 'extra'], io)).toBe(2);
    expect(err.join('')).toBe('rds-leak-exporter: unexpected argument "extra"\n');
  });
});
