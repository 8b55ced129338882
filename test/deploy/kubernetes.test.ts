import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { loadAll, load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { loadConfig } from '../../src/config/load.ts';

/**
 * No cluster runs here, so the manifests are rendered the way `kubectl apply -k` reads them (a kustomization's
 * resources, files or directories, recursively) and every object is validated against the Kubernetes OpenAPI
 * schemas (kubernetes-models) and the Prometheus Operator CRD, then checked for what the product relies on.
 */
const ROOT = resolve(import.meta.dirname, '../../deploy/kustomize');

// Rendered YAML is untyped: the tests read it freely and the schemas check its shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: any; data?: Record<string, string> };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const MODELS: Record<string, new (o: any) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

async function render(dir: string): Promise<K8sObject[]> {
  const kustomization = load(await readFile(join(dir, 'kustomization.yaml'), 'utf8')) as { kind: string; resources: string[] };
  expect(kustomization.kind).toBe('Kustomization');
  const out: K8sObject[] = [];
  for (const r of kustomization.resources) {
    const path = resolve(dir, r);
    expect(existsSync(path), `${join(dir, r)} listed in ${dir}/kustomization.yaml`).toBe(true);
    if (statSync(path).isDirectory()) out.push(...(await render(path)));
    else out.push(...(loadAll(await readFile(path, 'utf8')).filter(Boolean) as K8sObject[]));
  }
  return out;
}

function one(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
  return found[0]!;
}

function matches(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

const overlays = ['base', 'overlays/prometheus-operator', 'overlays/with-redis'];

describe('Kubernetes manifests (deploy/kustomize)', () => {
  it.each(overlays)('%s: every object is valid against the Kubernetes schemas, and names are unique', async (dir) => {
    const objects = await render(join(ROOT, dir));
    expect(objects.length).toBeGreaterThan(5);
    const seen = new Set<string>();
    for (const o of objects) {
      const Model = MODELS[`${o.apiVersion}/${o.kind}`];
      expect(Model, `a schema for ${o.apiVersion} ${o.kind}`).toBeDefined();
      expect(() => new Model!(o).validate(), `${o.kind}/${o.metadata.name}`).not.toThrow();
      const key = `${o.kind}/${o.metadata.name}`;
      expect(seen.has(key), `duplicate ${key}`).toBe(false);
      seen.add(key);
    }
  });

  it('the daemon: N replicas, probes on /healthz and /readyz, non-root and read-only, secrets by reference only', async () => {
    const objects = await render(join(ROOT, 'base'));
    expect(objects.some((o) => o.kind === 'Secret'), 'the base must not carry a Secret: secrets are referenced').toBe(false);
    const d = one(objects, 'Deployment', 'origin-region-sync');
    expect(d.spec.replicas).toBeGreaterThanOrEqual(2);
    const pod = d.spec.template.spec;
    const c = pod.containers[0];
    const port = c.ports.find((p: { name: string }) => p.name === 'http');
    expect(port.containerPort).toBe(9464);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(pod.automountServiceAccountToken).toBe(false);
    for (const e of c.env) {
      expect(e.value, `${e.name} must come from a Secret, not a literal`).toBeUndefined();
      expect(e.valueFrom.secretKeyRef.name).toBe('origin-region-sync');
    }
    expect(c.env.map((e: { name: string }) => e.name).sort()).toEqual(['CLOUDFLARE_API_TOKEN', 'ORS_ADMIN_TOKEN', 'REDIS_URL']);
    // The pod selector, the Service, the PDB and the NetworkPolicy all find the daemon's pods.
    const labels = d.spec.template.metadata.labels;
    expect(matches(d.spec.selector.matchLabels, labels)).toBe(true);
    const svc = one(objects, 'Service', 'origin-region-sync');
    expect(matches(svc.spec.selector, labels)).toBe(true);
    expect(svc.spec.ports[0].targetPort).toBe('http');
    expect(matches(one(objects, 'PodDisruptionBudget').spec.selector.matchLabels, labels)).toBe(true);
    const np = one(objects, 'NetworkPolicy', 'origin-region-sync');
    expect(matches(np.spec.podSelector.matchLabels, labels)).toBe(true);
    expect(np.spec.ingress.flatMap((r: { ports: Array<{ port: number }> }) => r.ports.map((p) => p.port))).toEqual([9464]);
    const egressPorts = np.spec.egress.flatMap((r: { ports: Array<{ port: number }> }) => r.ports.map((p) => p.port));
    for (const p of [53, 6379, 443]) expect(egressPorts).toContain(p);
    expect(d.spec.template.spec.serviceAccountName).toBe(one(objects, 'ServiceAccount').metadata.name);
  });

  it('the ConfigMap holds a configuration the daemon accepts, listening where the probes look, and shutting down before the grace period ends', async () => {
    const objects = await render(join(ROOT, 'base'));
    const d = one(objects, 'Deployment', 'origin-region-sync');
    const pod = d.spec.template.spec;
    const c = pod.containers[0];
    const cm = one(objects, 'ConfigMap', 'origin-region-sync-config');
    const volume = pod.volumes.find((v: { configMap?: { name: string } }) => v.configMap?.name === cm.metadata.name);
    const mount = c.volumeMounts.find((m: { name: string }) => m.name === volume.name);
    const configPath = c.args[c.args.indexOf('--config') + 1] as string;
    expect(dirname(configPath)).toBe(mount.mountPath);
    const file = configPath.slice(mount.mountPath.length + 1);
    expect(Object.keys(cm.data!)).toContain(file);

    const dir = await mkdtemp(join(tmpdir(), 'ors-k8s-'));
    try {
      await writeFile(join(dir, file), cm.data![file]!);
      const env = { REDIS_URL: 'redis://redis:6379', CLOUDFLARE_API_TOKEN: 'cf-token-for-the-test', ORS_ADMIN_TOKEN: 'admin-token-for-the-test' };
      const config = await loadConfig({ path: join(dir, file), env });
      expect(config.server.host).toBe('0.0.0.0');
      expect(config.server.port).toBe(9464);
      expect(config.worker.shutdownTimeoutMs).toBeLessThan(pod.terminationGracePeriodSeconds * 1000);
      expect(config.server.token?.reveal()).toBe(env.ORS_ADMIN_TOKEN);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the ServiceMonitor scrapes the Service\'s named port at /metrics', async () => {
    const objects = await render(join(ROOT, 'overlays/prometheus-operator'));
    const sm = one(objects, 'ServiceMonitor');
    const svc = one(objects, 'Service', 'origin-region-sync');
    expect(matches(sm.spec.selector.matchLabels, svc.metadata.labels)).toBe(true);
    expect(svc.spec.ports.map((p: { name: string }) => p.name)).toContain(sm.spec.endpoints[0].port);
    expect(sm.spec.endpoints[0].path).toBe('/metrics');
  });

  it('the bundled Redis keeps its data (AOF) and never evicts (BullMQ), and only the daemon may reach it', async () => {
    const objects = await render(join(ROOT, 'overlays/with-redis'));
    const sts = one(objects, 'StatefulSet', 'origin-region-sync-redis');
    const args = sts.spec.template.spec.containers[0].args.join(' ');
    expect(args).toContain('--appendonly yes');
    expect(args).toContain('--maxmemory-policy noeviction');
    expect(sts.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
    const svc = one(objects, 'Service', 'origin-region-sync-redis');
    expect(matches(svc.spec.selector, sts.spec.template.metadata.labels)).toBe(true);
    const np = one(objects, 'NetworkPolicy', 'origin-region-sync-redis');
    const daemon = one(objects, 'Deployment', 'origin-region-sync').spec.template.metadata.labels;
    expect(matches(np.spec.ingress[0].from[0].podSelector.matchLabels, daemon)).toBe(true);
    expect(matches(np.spec.podSelector.matchLabels, daemon)).toBe(false);
  });
});
