/**
 * deploy/kubernetes: every manifest validates against the Kubernetes OpenAPI schema (npm package
 * kubernetes-models, whose validators are generated from it) and the PodMonitor against the
 * prometheus-operator CRD schema (@kubernetes-models/prometheus-operator). Those schemas allow unknown
 * fields (kubectl --validate=strict or kubeconform -strict would not), so the fields that matter are also
 * checked by path: a typo there fails here. The pieces must fit together (labels, port names, the
 * ConfigMap, the config path, Dockerfile.windows) and the ConfigMap's config.yaml must pass the
 * exporter's own option parser. No cluster exists here: nothing was applied.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { parseCommandLine } from '../../src/cli/command-line.js';
import { serverSettingsFrom } from '../../src/server/flags.js';
import { sourceConfigFrom } from '../../src/sources/flags.js';

/** The command line as `serve` sees it. */
function parseOptions(argv: string[], platform: NodeJS.Platform) {
  const { command, flags } = parseCommandLine(argv);
  return { command, flags, source: sourceConfigFrom(flags, platform).kind, listenAddress: serverSettingsFrom(flags).listenAddress };
}
import { REPO_ROOT } from '../mixin/helpers.js';
import { tempDir } from '../fixtures/temp-dir.js';

const DIR = join(REPO_ROOT, 'deploy', 'kubernetes');
const MANIFESTS = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort();

interface Manifest {
  readonly file: string;
  readonly object: { apiVersion: string; kind: string; metadata: { name: string } } & Record<string, unknown>;
}

const manifests: Manifest[] = MANIFESTS.flatMap((file) =>
  parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((doc) => {
    expect(doc.errors, file).toEqual([]);
    return { file, object: doc.toJS() as Manifest['object'] };
  }),
);

/** The schema model of each kind; validate() throws with the failing path. */
function validate(object: Manifest['object']): void {
  const key = `${object.apiVersion}/${object.kind}`;
  switch (key) {
    case 'v1/ConfigMap':
      return new ConfigMap(object).validate();
    case 'apps/v1/DaemonSet':
      return new DaemonSet(object).validate();
    case 'monitoring.coreos.com/v1/PodMonitor':
      return new PodMonitor(object as unknown as ConstructorParameters<typeof PodMonitor>[0]).validate();
    default:
      throw new Error(`no schema for ${key}: add its model to this test`);
  }
}

const byKind = <T>(kind: string): T => {
  const found = manifests.find((m) => m.object.kind === kind);
  if (!found) throw new Error(`no ${kind} in deploy/kubernetes`);
  return found.object as unknown as T;
};

type DaemonSetSpec = { spec: { template: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> & { containers: { args: string[]; ports: { name: string; containerPort: number; hostPort: number }[]; volumeMounts: { name: string; mountPath: string }[] }[]; volumes: { name: string; configMap: { name: string } }[] } } } };
type PodMonitorSpec = { spec: { jobLabel: string; selector: { matchLabels: Record<string, string> }; podMetricsEndpoints: { port: string; path: string }[] } };
type ConfigMapSpec = { metadata: { name: string }; data: Record<string, string> };

describe('deploy/kubernetes', () => {
  it('has a ConfigMap, a DaemonSet and a PodMonitor, all listed in kustomization.yaml', () => {
    expect(manifests.map((m) => m.object.kind).sort()).toEqual(['ConfigMap', 'DaemonSet', 'PodMonitor']);
    const kustomization = parse(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    expect([...kustomization.resources].sort()).toEqual(MANIFESTS);
  });

  it.each(MANIFESTS)('%s validates against its OpenAPI / CRD schema', (file) => {
    for (const m of manifests.filter((x) => x.file === file)) expect(() => validate(m.object)).not.toThrow();
  });

  it('the validators are live: a wrong type or value is rejected', () => {
    const ds = structuredClone(byKind<DaemonSetSpec>('DaemonSet'));
    ds.spec.template.spec.hostNetwork = 'yes';
    expect(() => validate(ds as unknown as Manifest['object'])).toThrow(/hostNetwork must be boolean/);
    const pm = structuredClone(byKind<PodMonitorSpec & Manifest['object']>('PodMonitor'));
    (pm.spec.podMetricsEndpoints[0] as Record<string, unknown>).interval = 'every minute';
    expect(() => validate(pm)).toThrow(/interval must match pattern/);
  });

  it('the DaemonSet runs a HostProcess container as SYSTEM on the host network of Windows nodes only', () => {
    const spec = byKind<DaemonSetSpec>('DaemonSet').spec.template.spec;
    expect(spec.nodeSelector).toEqual({ 'kubernetes.io/os': 'windows' });
    expect(spec.hostNetwork).toBe(true);
    expect(spec.securityContext).toEqual({ windowsOptions: { hostProcess: true, runAsUserName: 'NT AUTHORITY\\SYSTEM' } });
    const [container] = spec.containers;
    expect(container?.ports).toEqual([{ name: 'metrics', containerPort: 10189, hostPort: 10189, protocol: 'TCP' }]);
  });

  it('the pieces fit: PodMonitor selects the pods and port, job label is the one the alerts select, the ConfigMap is mounted where --config.file points', () => {
    const ds = byKind<DaemonSetSpec>('DaemonSet');
    const pm = byKind<PodMonitorSpec>('PodMonitor');
    const cm = byKind<ConfigMapSpec>('ConfigMap');
    const labels = ds.spec.template.metadata.labels;
    for (const [k, v] of Object.entries(pm.spec.selector.matchLabels)) expect(labels[k], k).toBe(v);
    expect(labels[pm.spec.jobLabel]).toBe('rds-leak-exporter');
    expect(readFileSync(join(REPO_ROOT, 'alerts', 'rds-leak-alerts.yml'), 'utf8')).toContain('job="rds-leak-exporter"');
    const container = ds.spec.template.spec.containers[0]!;
    expect(pm.spec.podMetricsEndpoints.map((e) => e.port)).toEqual([container.ports[0]!.name]);
    const volume = ds.spec.template.spec.volumes.find((v) => v.configMap.name === cm.metadata.name);
    expect(volume, 'the ConfigMap is a volume').toBeDefined();
    const mount = container.volumeMounts.find((m) => m.name === volume!.name)!;
    const configArg = container.args.find((a) => a.startsWith('--config.file='));
    expect(configArg).toBe(`--config.file=%CONTAINER_SANDBOX_MOUNT_POINT%${mount.mountPath.replace(/\//g, '\\')}\\config.yaml`);
    expect(Object.keys(cm.data)).toEqual(['config.yaml']);
  });

  it("the ConfigMap's config.yaml and the DaemonSet's args pass the exporter's option parser", () => {
    const dir = tempDir('k8s');
    const file = join(dir, 'config.yaml');
    writeFileSync(file, byKind<ConfigMapSpec>('ConfigMap').data['config.yaml']!);
    const args = byKind<DaemonSetSpec>('DaemonSet').spec.template.spec.containers[0]!.args.map((a) => (a.startsWith('--config.file=') ? `--config.file=${file}` : a));
    const options = parseOptions(args, 'win32');
    expect(options.command).toBe('serve');
    expect(options.source).toBe('windows');
    expect(options.listenAddress).toEqual({ host: '', port: 10189 });
  });

  it('Dockerfile.windows: ENTRYPOINT runs the copied executable, CMD is the serve command the DaemonSet args replace', () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile.windows'), 'utf8');
    expect(dockerfile).toMatch(/^COPY build\/rds-leak-exporter\.exe \/rds-leak-exporter\/rds-leak-exporter\.exe$/m);
    const entrypoint = JSON.parse(/^ENTRYPOINT (.*)$/m.exec(dockerfile)![1]!) as string[];
    expect(entrypoint).toEqual(['cmd.exe', '/c', '%CONTAINER_SANDBOX_MOUNT_POINT%\\rds-leak-exporter\\rds-leak-exporter.exe']);
    const cmd = JSON.parse(/^CMD (.*)$/m.exec(dockerfile)![1]!) as string[];
    expect(cmd[0]).toBe('serve');
    expect(parseOptions(cmd, 'win32').listenAddress?.port).toBe(10189);
  });
});
