/**
 * The mixin configuration of the end-to-end test: the default config with windows and `for` durations
 * shrunk to seconds. The agents run simulated time at 120x (one real second = two simulated minutes),
 * while Prometheus evaluates in real time, so a one-minute window covers two simulated hours. topk is
 * below the number of leaky hosts, so the limit binds; the worst-hosts table has room for all of them.
 */
import { withOverrides } from '../../mixin/config.js';

export const e2eConfig = withOverrides({
  dashboard: { topk: 5, worstHosts: 30 },
  windows: {
    sessionIdGrowth: '1m',
    growthPrediction: '1m',
    growthHorizonSeconds: 600,
    growthHorizonText: '10m',
    gaugeSmoothing: '10s',
    collectorHealth: '30s',
  },
  thresholds: {
    sessionIdsNotReused: {
      warning: { gap: 10, pinned: 3, for: '10s' },
      critical: { gap: 40, pinned: 20, for: '10s' },
    },
    zombieLogonSessions: {
      warning: { threshold: 5, for: '10s' },
      critical: { threshold: 40, for: '10s' },
    },
    zombieGrowth: { projectedLimit: 50, floor: 3, for: '10s' },
    leakedTokenHandlesGrowth: { projectedLimit: 50, floor: 5, for: '10s' },
    collectorSuccessRatio: { threshold: 0.5, for: '10s' },
    collectorTimeoutRatio: { threshold: 0.25, for: '10s' },
  },
  exporterDownFor: '10s',
  exporterAbsentFor: '20s',
  keepFiringFor: '20s',
});
