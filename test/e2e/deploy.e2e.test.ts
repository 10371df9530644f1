/**
 * Issue 7: the compose deployment in deploy/compose, checked as far as this
 * machine can without a Docker engine: the NATS cluster's files with
 * nats-server, HAProxy's with haproxy -c, Prometheus's with promtool, and the
 * compose file against Wharf's own configuration schemas (every variable a
 * service is given is one it knows, with a valid value), the passive ranges
 * HAProxy forwards against the ones the listeners announce, and Prometheus's
 * targets against the services' metrics ports.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { AuthConfig } from "@wharf/auth";
import { writeNatsAuthorization } from "@wharf/bus";
import { parseConfig } from "@wharf/config";
import { ListenerConfig } from "@wharf/control-listener";
import { OutboundConfig } from "@wharf/outbound";
import { StorageConfig } from "@wharf/storage";
import { parseAllDocuments, parse as parseYaml } from "yaml";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../../", import.meta.url));
const compose = join(root, "deploy/compose");

interface ComposeService {
  image?: string;
  command?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  networks?: { default?: { ipv4_address?: string } };
}

async function composeServices(): Promise<Record<string, ComposeService>> {
  const document = parseYaml(await readFile(join(compose, "compose.yaml"), "utf8"), { merge: true }) as { services: Record<string, ComposeService> };
  return document.services;
}

/** The variable names a service's schema knows (the object under its refinements and transform). */
function knownVariables(schema: unknown): string[] {
  let current = schema as { shape?: Record<string, unknown>; in?: unknown; def?: { in?: unknown } } | undefined;
  while (current && !current.shape) current = (current.in ?? current.def?.in) as typeof current;
  assert.ok(current?.shape, "a schema with an object inside");
  return Object.keys(current.shape);
}

const schemas = {
  "services/auth/dist/src/main.js": AuthConfig,
  "services/storage/dist/src/main.js": StorageConfig,
  "services/outbound/dist/src/main.js": OutboundConfig,
  "services/control-listener/dist/src/main.js": ListenerConfig,
} as const;

test("deploy: the three NATS nodes' files pass nats-server -t with the identities and route certificate the compose job makes, and each names the others as routes", async () => {
  // As in the containers: each node's file beside an identities/ folder with what the compose job puts there
  // (wharf nats init's permissions; the CA and the route certificate from wharf certs).
  const dir = await mkdtemp(join(tmpdir(), "wharf-deploy-nats-"));
  try {
    const identities = join(dir, "identities");
    await writeNatsAuthorization(identities);
    const cli = (...args: string[]) => run(process.execPath, [join(root, "packages/cli/dist/src/main.js"), ...args]);
    await cli("certs", "init", "--dir", identities, "--days", "1");
    await cli("certs", "issue", "--dir", identities, "--role", "nats", "--name", "route", "--hosts", "nats-1,nats-2,nats-3", "--days", "1");
    for (const node of [1, 2, 3]) {
      const file = join(dir, `nats-${node}.conf`);
      const text = await readFile(join(compose, `nats/nats-${node}.conf`), "utf8");
      // TLS files are read from where the container mounts them; here, from the folder made above.
      await writeFile(file, text.replaceAll("/etc/nats/identities/", `${identities}/`));
      const { stdout, stderr } = await run("nats-server", ["-c", file, "-t"]);
      assert.match(`${stdout}${stderr}`, /is valid/);
      assert.match(text, /^include "identities\/authorization\.conf"$/m, `nats-${node} takes only Wharf's identities`);
      const cluster = text.slice(text.indexOf("cluster {"));
      assert.match(cluster, /tls \{[^}]*ca_file: "\/etc\/nats\/identities\/ca\.crt"[^}]*verify: true/, `nats-${node}'s routes need a certificate from Wharf's CA`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  for (const node of [1, 2, 3]) {
    const file = join(compose, `nats/nats-${node}.conf`);
    const text = await readFile(file, "utf8");
    for (const other of [1, 2, 3]) assert.match(text, new RegExp(`nats://nats-${other}:6222`), `nats-${node} routes to nats-${other}`);
    assert.match(text, new RegExp(`server_name: nats-${node}\\n`));
  }
});

test("deploy: in compose each service connects to NATS as itself and to storage with its own certificate, and holds only its own keys; the CLI is the admin", async () => {
  const services = await composeServices();
  const identityOf = { "services/auth/dist/src/main.js": "auth", "services/storage/dist/src/main.js": "storage", "services/outbound/dist/src/main.js": "outbound", "services/control-listener/dist/src/main.js": "listener" } as const;
  let checked = 0;
  for (const [name, service] of Object.entries(services)) {
    const identity = identityOf[service.command?.[0] as keyof typeof identityOf];
    if (!identity) continue;
    checked++;
    // Its own volume of keys, and no other: not the one that holds every key, not another service's.
    const keyVolumes = (service.volumes ?? []).filter((volume) => /^(keys|secrets-)/.test(volume));
    assert.deepEqual(keyVolumes, [`secrets-${identity}:/secrets:ro`], `${name}'s keys`);
    const environment = service.environment ?? {};
    assert.equal(environment.WHARF_NATS_NKEY_FILE, "/secrets/nats.nk", `${name}'s NATS identity`);
    if (identity === "auth") assert.equal(environment.WHARF_AUTH_GRANT_KEY_FILE, "/secrets/grant.key");
    else assert.deepEqual([environment.WHARF_GRPC_TLS_CA_FILE, environment.WHARF_GRPC_TLS_CERT_FILE, environment.WHARF_GRPC_TLS_KEY_FILE], ["/secrets/ca.crt", "/secrets/tls.crt", "/secrets/tls.key"], `${name}'s gRPC certificate`);
    if (identity === "storage") assert.equal(environment.WHARF_STORAGE_GRANT_PUBLIC_KEY_FILE, "/secrets/grant.pub");
  }
  assert.equal(checked, 5, "auth, storage, outbound and two listeners");
  // The job that makes the keys copies each service's own into its volume, and the seeds to the right ones.
  const job = String(services.certificates?.command?.[0] ?? "");
  assert.match(job, /for service in auth storage listener outbound; do cp \/keys\/nats\/\$\$service\.nk \/out\/\$\$service\/nats\.nk; done/);
  assert.match(job, /cp \/keys\/nats\/admin\.nk \/out\/cli\/nats\.nk/);
  assert.deepEqual(services.cli?.volumes, ["secrets-cli:/secrets:ro"]);
  assert.equal(services.cli?.environment?.WHARF_NATS_NKEY_FILE, "/secrets/nats.nk");
});

test("deploy: every compose service that runs Wharf gets only variables its configuration knows, with valid values", async () => {
  const services = await composeServices();
  let checked = 0;
  for (const [name, service] of Object.entries(services)) {
    const main = service.command?.[0];
    if (!main || !(main in schemas)) continue;
    assert.ok(existsSync(join(root, main)), `${name}: ${main} is built`);
    const schema = schemas[main as keyof typeof schemas];
    // As compose gives it with nothing set in its .env: ${NAME:-default} becomes the default.
    const environment = Object.fromEntries(Object.entries(service.environment ?? {}).map(([variable, value]) => [variable, String(value).replace(/\$\{\w+:-([^}]*)\}/g, "$1")]));
    const unknown = Object.keys(environment).filter((variable) => variable.startsWith("WHARF_") && !knownVariables(schema).includes(variable));
    assert.deepEqual(unknown, [], `${name}: variables its configuration does not know`);
    // Files named in the environment live in the containers' volumes: their shape is checked, not their presence.
    assert.doesNotThrow(() => parseConfig(schema, environment), `${name}'s configuration`);
    checked++;
  }
  assert.equal(checked, 5, "auth, storage, outbound and two listeners");
  const storage = services.storage?.environment ?? {};
  assert.equal(storage.WHARF_STORAGE_BACKEND, "nats", "two storage instances share the JetStream object store, not a disk");
});

test("deploy: HAProxy's configuration is valid, and it forwards each listener's own passive range to that listener", async () => {
  const { stdout, stderr } = await run("haproxy", ["-c", "-f", join(compose, "haproxy.cfg")]);
  assert.match(`${stdout}${stderr}`, /Configuration file is valid/);
  const config = await readFile(join(compose, "haproxy.cfg"), "utf8");
  const services = await composeServices();
  for (const listener of ["listener-1", "listener-2"]) {
    const range = services[listener]?.environment?.WHARF_FTP_PASSIVE_PORTS;
    assert.ok(range, `${listener} announces a passive range`);
    const frontend = new RegExp(`frontend (\\S+)\\n\\s+bind :${range}\\n\\s+default_backend (\\S+)`).exec(config);
    assert.ok(frontend, `HAProxy binds ${range}`);
    assert.match(config, new RegExp(`backend ${frontend[2]}\\n(?:\\s+#.*\\n)*\\s+server ${listener} ${listener} send-proxy-v2\\n`), `${range} goes to ${listener}, with the PROXY header`);
    // The listener reads the header, and trusts it only from HAProxy's fixed address.
    const environment = services[listener]?.environment ?? {};
    assert.equal(environment.WHARF_FTP_PROXY_PROTOCOL, "true");
    assert.match(config, new RegExp(`server ${listener} ${listener}:2121 send-proxy-v2 check port ${environment.WHARF_LISTENER_METRICS_PORT}\\b`), `control connections reach ${listener} with the header, while its /readyz says so`);
  }
  const trusted = services["listener-1"]?.environment?.WHARF_FTP_PROXY_TRUSTED;
  assert.equal(trusted, services.haproxy?.networks?.default?.ipv4_address, "the listeners trust HAProxy's address");
});

test("deploy: Prometheus in compose passes promtool and scrapes every service on its metrics port", async () => {
  const dir = await mkdtemp(join(tmpdir(), "wharf-deploy-"));
  try {
    // As mounted in the container: the configuration and the alert rules side by side.
    await copyFile(join(compose, "prometheus.yml"), join(dir, "prometheus.yml"));
    await copyFile(join(root, "deploy/prometheus/alerts.yml"), join(dir, "alerts.yml"));
    assert.match((await run("promtool", ["check", "config", join(dir, "prometheus.yml")])).stdout, /SUCCESS/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const prometheus = await readFile(join(compose, "prometheus.yml"), "utf8");
  const services = await composeServices();
  const port = (service: string, variable: string) => services[service]?.environment?.[variable];
  assert.match(prometheus, new RegExp(`"listener-1:${port("listener-1", "WHARF_LISTENER_METRICS_PORT")}", "listener-2:${port("listener-2", "WHARF_LISTENER_METRICS_PORT")}"`));
  assert.match(prometheus, new RegExp(`names: \\[auth\\], type: A, port: ${port("auth", "WHARF_AUTH_METRICS_PORT")} `));
  assert.match(prometheus, new RegExp(`names: \\[storage\\], type: A, port: ${port("storage", "WHARF_STORAGE_METRICS_PORT")} `));
  assert.match(prometheus, new RegExp(`names: \\[outbound\\], type: A, port: ${port("outbound", "WHARF_OUTBOUND_METRICS_PORT")} `));
});

interface K8sObject {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: {
    selector?: { matchLabels?: Record<string, string> } & Record<string, string>;
    ports?: Array<{ port: number; targetPort: number | string }>;
    template?: {
      metadata: { labels: Record<string, string> };
      spec: {
        containers: Array<{
          args: string[];
          env: Array<{ name: string; value?: string; valueFrom?: { fieldRef?: unknown; configMapKeyRef?: { name: string; key: string } } }>;
          ports: Array<{ name: string; containerPort: number }>;
          readinessProbe?: { httpGet: { path: string; port: string } };
          livenessProbe?: { httpGet: { path: string; port: string } };
          resources?: { requests?: Record<string, string> };
        }>;
      };
    };
  };
}

test("deploy: the Kubernetes manifests run each service with probes on its metrics port, requests, a valid environment, and Services and budgets that select it", async () => {
  const objects = parseAllDocuments(await readFile(join(root, "deploy/k8s/wharf.yaml"), "utf8")).map((document) => document.toJS() as K8sObject);
  const kustomization = parseYaml(await readFile(join(root, "deploy/k8s/kustomization.yaml"), "utf8")) as { resources: string[] };
  for (const resource of kustomization.resources) assert.ok(existsSync(join(root, "deploy/k8s", resource)), `kustomization names ${resource}`);
  const configMaps = new Map(objects.filter((object) => object.kind === "ConfigMap").map((object) => [object.metadata.name, object.data ?? {}]));
  const deployments = objects.filter((object) => object.kind === "Deployment");
  assert.deepEqual(deployments.map((deployment) => deployment.metadata.name).sort(), ["auth", "listener-a", "listener-b", "outbound", "storage"]);
  for (const deployment of deployments) {
    const name = deployment.metadata.name;
    const container = deployment.spec?.template?.spec.containers[0];
    assert.ok(container, name);
    const main = container.args[0] as keyof typeof schemas;
    assert.ok(main in schemas && existsSync(join(root, main)), `${name} runs a built service`);
    // The environment as the pod gets it: a ConfigMap's value, the pod's name for a fieldRef.
    const environment = Object.fromEntries(
      container.env.map((variable) => {
        const ref = variable.valueFrom?.configMapKeyRef;
        const value = variable.value ?? (ref ? configMaps.get(ref.name)?.[ref.key] : variable.valueFrom?.fieldRef ? `${name}-pod-1` : undefined);
        assert.ok(value !== undefined, `${name}: ${variable.name} has a value`);
        return [variable.name, value];
      }),
    );
    const unknown = Object.keys(environment).filter((variable) => variable.startsWith("WHARF_") && !knownVariables(schemas[main]).includes(variable));
    assert.deepEqual(unknown, [], `${name}: variables its configuration does not know`);
    assert.doesNotThrow(() => parseConfig(schemas[main], environment), `${name}'s configuration`);
    const metricsPort = Number(Object.entries(environment).find(([variable]) => variable.endsWith("_METRICS_PORT"))?.[1]);
    assert.equal(container.ports.find((port) => port.name === "metrics")?.containerPort, metricsPort, `${name}: the metrics port is the one the service opens`);
    assert.deepEqual(container.readinessProbe?.httpGet, { path: "/readyz", port: "metrics" }, name);
    assert.deepEqual(container.livenessProbe?.httpGet, { path: "/healthz", port: "metrics" }, name);
    assert.ok(container.resources?.requests?.cpu && container.resources.requests.memory, `${name} requests resources`);
    // A listener's Service exposes exactly its passive range.
    const passive = environment.WHARF_FTP_PASSIVE_PORTS;
    if (passive) {
      const [low, high] = passive.split("-").map(Number) as [number, number];
      const service = objects.find((object) => object.kind === "Service" && object.metadata.name === name);
      const exposed = (service?.spec?.ports ?? []).map((port) => port.port).filter((port) => port >= 1024);
      assert.deepEqual(exposed, Array.from({ length: high - low + 1 }, (_, index) => low + index), `${name}'s Service exposes ${passive}`);
    }
  }
  const labelsOf = (name: string) => deployments.find((deployment) => deployment.metadata.name === name)?.spec?.template?.metadata.labels ?? {};
  const selects = (selector: Record<string, string>) => deployments.filter((deployment) => Object.entries(selector).every(([key, value]) => labelsOf(deployment.metadata.name)[key] === value));
  for (const budget of objects.filter((object) => object.kind === "PodDisruptionBudget")) {
    assert.equal(selects(budget.spec?.selector?.matchLabels ?? {}).length, 1, `${budget.metadata.name} covers one Deployment`);
  }
  for (const service of objects.filter((object) => object.kind === "Service")) {
    assert.equal(selects((service.spec?.selector ?? {}) as Record<string, string>).length, 1, `Service ${service.metadata.name} selects one Deployment`);
  }
});
