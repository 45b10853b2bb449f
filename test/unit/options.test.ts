import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../src/config/options.js';
import { parseDuration } from '../../src/config/duration.js';
import { UsageError } from '../../src/errors.js';
import { tempDir } from '../fixtures/temp-dir.js';

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
    expect(failure(['--collection.timeout=30d']).message).toBe('--collection.timeout: expected a duration longer than 0s and at most 60m');
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
