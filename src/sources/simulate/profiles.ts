/**
 * Simulation profiles. `healthy`: services release every token handle at logoff, session ids are
 * reused. `leaky`: a share of service token handles leak (as svchost-hosted services, CtxSvcHost and
 * agents do in the field), so zombies accumulate and the highest session id climbs.
 */
export const SIMULATION_PROFILES = ['healthy', 'leaky'] as const;
export type SimulationProfile = (typeof SIMULATION_PROFILES)[number];

export interface SimulationParameters {
  /** Users logged on in steady state. */
  readonly users: number;
  /** Mean simulated session length. */
  readonly meanSessionMs: number;
  /** Probability that one service token handle is never closed at logoff. */
  readonly serviceLeakShare: number;
  /** Probability that a logoff leaves a handle in lsass alone (invisible to handle.exe without the object address). */
  readonly lsassOnlyLeakShare: number;
  /** Probability that the service holding the DWM/UMFD tokens leaks them. */
  readonly virtualAccountLeakShare: number;
  /** System and lsass release their handles this long after logoff (min..max). */
  readonly protectedReleaseMs: readonly [number, number];
  /** Citrix VDA on top of RDS: ICA session names and CtxSvcHost. */
  readonly citrix: boolean;
}

const MINUTE = 60_000;

export function profileParameters(profile: SimulationProfile): SimulationParameters {
  const common = { users: 20, meanSessionMs: 60 * MINUTE, protectedReleaseMs: [1 * MINUTE, 3 * MINUTE] as const, citrix: true };
  return profile === 'leaky'
    ? { ...common, serviceLeakShare: 0.08, lsassOnlyLeakShare: 0.04, virtualAccountLeakShare: 0.05 }
    : { ...common, serviceLeakShare: 0, lsassOnlyLeakShare: 0, virtualAccountLeakShare: 0 };
}

/** Everything a simulated host is made from: the one shape the flags, the source and the tests share. */
export interface SimulationConfig {
  readonly profile: SimulationProfile;
  /** Simulated seconds per real second. */
  readonly speed: number;
  readonly seed: number;
  readonly hostName: string;
  /** Simulated time already elapsed since boot when the source starts. */
  readonly advanceMs: number;
  /** The profile's parameters with the user's overrides applied. */
  readonly parameters: SimulationParameters;
}

export function simulationConfig(spec: Omit<SimulationConfig, 'parameters' | 'advanceMs'> & { readonly advanceMs?: number; readonly overrides?: Partial<SimulationParameters> }): SimulationConfig {
  return {
    profile: spec.profile,
    speed: spec.speed,
    seed: spec.seed,
    hostName: spec.hostName,
    advanceMs: spec.advanceMs ?? 0,
    parameters: { ...profileParameters(spec.profile), ...spec.overrides },
  };
}
