import { durationFlag, enumFlag, integerFlag, numberFlag, optional, switchFlag, textFlag } from '../../flags/flag.js';
import type { FlagValues } from '../../flags/flag-values.js';
import type { FarmOptions } from './farm.js';
import { SIMULATION_PROFILES, simulationConfig, type SimulationConfig } from './profiles.js';

const DAY_MS = 86_400_000;

export const SIMULATE_PROFILE = enumFlag({ name: 'simulate.profile', help: 'Simulated host behaviour.', choices: SIMULATION_PROFILES, default: 'leaky' });

export const SIMULATE_SPEED = numberFlag({
  name: 'simulate.speed',
  help: 'Simulated seconds per real second.',
  default: 60,
  min: 0,
  exclusiveMin: true,
  max: 100_000,
  expectation: 'a number of simulated seconds per real second',
});

export const SIMULATE_SEED = integerFlag({ name: 'simulate.seed', help: 'Seed of the simulation (same seed, same host).', default: 5, min: 0, max: 0xffffffff });

/** A host name as Windows and DNS allow it: snapshots with an empty or odd one are refused by the file source. */
const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,252})$/;

export const SIMULATE_HOST_NAME = textFlag({
  name: 'simulate.host-name',
  help: 'Host name the simulated host reports.',
  default: 'rds-sim-01',
  placeholder: '<name>',
  check: (v) => (HOST_NAME.test(v) ? null : `expected a host name (letters, digits, dot, dash, underscore; at most 253 characters), got "${v.slice(0, 64)}"`),
});

export const SIMULATE_USERS = optional(
  integerFlag({ name: 'simulate.users', help: 'Users logged on in steady state.', default: 0, min: 0, max: 5000 }),
  'profile: 20',
);

export const SIMULATE_CITRIX = switchFlag({
  name: 'simulate.citrix',
  help: 'Simulate Citrix Virtual Apps on RDS (ICA-CGP sessions, CtxSvcHost); --no-simulate.citrix for plain RDS (RDP-Tcp).',
  default: true,
});

/** The host is stepped through this time at start-up: 30 simulated days take a few seconds. */
export const SIMULATE_ADVANCE = durationFlag({
  name: 'simulate.advance',
  help: 'Start the simulated host this much simulated time after boot (e.g. 2h to see zombies at once).',
  default: 0,
  minMs: 0,
  maxMs: 30 * DAY_MS,
});

export const SIMULATE_LEAK_SHARE = optional(
  numberFlag({ name: 'simulate.leak-share', help: 'Probability (0..1) that a service token handle leaks at logoff.', default: 0, min: 0, max: 1, expectation: 'a probability' }),
  'profile: healthy 0, leaky 0.08',
);

/** A simulated farm of N hosts in one process (tests, demos, docs/scaling.md); 0 serves one host. */
export const SIMULATE_HOSTS = integerFlag({ name: 'simulate.hosts', help: 'Serve a simulated farm of this many hosts on one port (/metrics?host=NAME, targets at /farm/targets); 0 for one host.', default: 0, min: 0, max: 10_000, commands: ['serve'] });
export const SIMULATE_FARMS = integerFlag({ name: 'simulate.farms', help: 'Farms the simulated hosts are spread over (label farm).', default: 1, min: 1, max: 100, commands: ['serve'] });
export const SIMULATE_SITES = integerFlag({ name: 'simulate.sites', help: 'Sites per simulated farm (label site).', default: 1, min: 1, max: 100, commands: ['serve'] });
export const SIMULATE_LEAKY_HOSTS = numberFlag({
  name: 'simulate.leaky-hosts',
  help: 'Share of the simulated farm\'s hosts that run the leaky profile.',
  default: 0.1,
  min: 0,
  max: 1,
  expectation: 'a share',
  commands: ['serve'],
});

export const FARM_FLAGS = [SIMULATE_HOSTS, SIMULATE_FARMS, SIMULATE_SITES, SIMULATE_LEAKY_HOSTS] as const;

export const SIMULATE_FLAGS = [
  SIMULATE_PROFILE,
  SIMULATE_SPEED,
  SIMULATE_SEED,
  SIMULATE_HOST_NAME,
  SIMULATE_USERS,
  SIMULATE_CITRIX,
  SIMULATE_ADVANCE,
  SIMULATE_LEAK_SHARE,
  ...FARM_FLAGS,
] as const;

export function farmConfigFrom(values: FlagValues, namePrefix: string): FarmOptions {
  const one = simulationConfigFrom(values);
  const { users, serviceLeakShare, citrix } = one.parameters;
  return {
    hosts: values.get(SIMULATE_HOSTS),
    farms: values.get(SIMULATE_FARMS),
    sites: values.get(SIMULATE_SITES),
    leakyShare: values.get(SIMULATE_LEAKY_HOSTS),
    namePrefix,
    seed: one.seed,
    speed: one.speed,
    advanceMs: one.advanceMs,
    overrides: {
      citrix,
      ...(values.get(SIMULATE_USERS) !== null ? { users } : {}),
      ...(values.get(SIMULATE_LEAK_SHARE) !== null ? { serviceLeakShare } : {}),
    },
  };
}

export function simulationConfigFrom(values: FlagValues): SimulationConfig {
  const users = values.get(SIMULATE_USERS);
  const leakShare = values.get(SIMULATE_LEAK_SHARE);
  return simulationConfig({
    profile: values.get(SIMULATE_PROFILE),
    speed: values.get(SIMULATE_SPEED),
    seed: values.get(SIMULATE_SEED),
    hostName: values.get(SIMULATE_HOST_NAME),
    advanceMs: values.get(SIMULATE_ADVANCE),
    overrides: {
      citrix: values.get(SIMULATE_CITRIX),
      ...(users !== null ? { users } : {}),
      ...(leakShare !== null ? { serviceLeakShare: leakShare } : {}),
    },
  });
}
