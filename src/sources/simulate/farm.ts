/**
 * A simulated farm: N independent simulated hosts in one process, for tests and demos of dashboards and
 * alerts at farm scale. Each host has its own name, seed and profile (a chosen share is leaky) and
 * belongs to one farm and one site; the farm server (src/server/farm-server.ts) serves each host's
 * metrics on one port, selected by a URL parameter.
 */
import type { SimulationParameters } from './profiles.js';
import { simulationConfig } from './profiles.js';
import { SimulateSource } from './simulate-source.js';

export interface FarmOptions {
  /** Simulated hosts in total. */
  readonly hosts: number;
  /** Hosts are split into this many farms of consecutive hosts... */
  readonly farms: number;
  /** ...and each farm into this many sites. */
  readonly sites: number;
  /** Share (0..1) of the hosts that run the leaky profile, spread evenly over farms and sites. */
  readonly leakyShare: number;
  /** Host names are `<namePrefix>-001`, `<namePrefix>-002`, ... */
  readonly namePrefix: string;
  /** Host i gets seed `seed + i`. */
  readonly seed: number;
  readonly speed: number;
  readonly advanceMs: number;
  /** Parameter overrides for every host (users, Citrix); the leak share applies to the leaky hosts only. */
  readonly overrides: Partial<SimulationParameters>;
  readonly clock?: () => number;
}

export interface FarmHost {
  readonly name: string;
  readonly farm: string;
  readonly site: string;
  readonly leaky: boolean;
  readonly seed: number;
}

/**
 * Which host is where: hosts are numbered from 0; farm f holds a contiguous block of them, split into
 * contiguous site blocks. Host i is leaky when floor((i + 1) * share) > floor(i * share), so leaky hosts
 * are spread evenly (every 10th host at 0.1), hence present in every farm and site of a reasonable size.
 */
export function farmLayout(options: Pick<FarmOptions, 'hosts' | 'farms' | 'sites' | 'leakyShare' | 'namePrefix' | 'seed'>): FarmHost[] {
  const { hosts, farms, sites, leakyShare, namePrefix, seed } = options;
  const digits = Math.max(3, String(hosts).length);
  const out: FarmHost[] = [];
  for (let i = 0; i < hosts; i++) {
    const farm = Math.floor((i * farms) / hosts);
    const site = Math.floor((i * farms * sites) / hosts) % sites;
    out.push({
      name: `${namePrefix}-${String(i + 1).padStart(digits, '0')}`,
      farm: `farm-${farm + 1}`,
      site: `site-${site + 1}`,
      leaky: Math.floor((i + 1) * leakyShare + 1e-9) > Math.floor(i * leakyShare + 1e-9),
      seed: (seed + i) >>> 0,
    });
  }
  return out;
}

/** The hosts of a simulated farm, each a SimulateSource of its own, by host name. */
export class SimulatedFarm {
  readonly hosts: readonly FarmHost[];
  private readonly sources = new Map<string, SimulateSource>();

  constructor(options: FarmOptions) {
    this.hosts = farmLayout(options);
    for (const host of this.hosts) {
      const { serviceLeakShare, ...common } = options.overrides;
      this.sources.set(
        host.name,
        new SimulateSource(
          simulationConfig({
            profile: host.leaky ? 'leaky' : 'healthy',
            speed: options.speed,
            seed: host.seed,
            hostName: host.name,
            overrides: host.leaky && serviceLeakShare !== undefined ? { ...common, serviceLeakShare } : common,
            advanceMs: options.advanceMs,
          }),
          options.clock,
        ),
      );
    }
  }

  source(name: string): SimulateSource | undefined {
    return this.sources.get(name);
  }

  async close(): Promise<void> {
    await Promise.all([...this.sources.values()].map((s) => s.close()));
  }
}
