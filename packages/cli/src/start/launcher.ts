import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { AuthConfig } from "@wharf/auth";
import { connectBus, NatsServerMissingError, type NatsServerProcess, natsIdentityDirOf, startNatsServerProcess, writeNatsAuthorization } from "@wharf/bus";
import { ConfigError, parseConfig } from "@wharf/config";
import { ListenerConfig } from "@wharf/control-listener";
import { OutboundConfig } from "@wharf/outbound";
import { StorageConfig } from "@wharf/storage";
import { createLogger } from "@wharf/telemetry";
import { createInternalPki, pkiEnvironment, pkiFiles } from "../certs/internal-pki.js";
import { cliCredentials } from "../ports/apply.js";
import { createConfigAudit } from "../audit/config-audit.js";
import { ensureDemoUser } from "./demo-user.js";
import { LauncherConfig } from "./launcher-config.js";
import { ensureSelfSignedCertificate } from "./self-signed.js";
import { type ServiceProcess, spawnService, waitUntilReady } from "./service-process.js";

const say = (line: string) => process.stdout.write(`${"[wharf]".padEnd(16)} ${line}\n`);
const mainOf = (pkg: string) => fileURLToPath(new URL("./main.js", import.meta.resolve(pkg)));

const INSTALL_NATS = [
  "nats-server was not found on PATH.",
  "Install it (Debian/Ubuntu: sudo apt-get install nats-server), or point NATS_URL at a NATS server with JetStream enabled.",
].join("\n");

/** Validates every service's configuration up front and reports all problems together. */
function validateAll(env: NodeJS.ProcessEnv) {
  const problems: string[] = [];
  const parse = <T>(name: string, run: () => T): T | undefined => {
    try {
      return run();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems.map((problem) => `${name}: ${problem}`));
      return undefined;
    }
  };
  const configs = {
    storage: parse("storage", () => parseConfig(StorageConfig, env)),
    auth: parse("auth", () => parseConfig(AuthConfig, env)),
    outbound: parse("outbound", () => parseConfig(OutboundConfig, env)),
    listener: parse("control-listener", () => parseConfig(ListenerConfig, env)),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return configs as { [K in keyof typeof configs]: NonNullable<(typeof configs)[K]> };
}

/**
 * `wharf start`: the whole of Wharf on one machine. Starts nats-server (unless
 * NATS_URL is set), makes the first-run certificate and demo user, then runs
 * the four services as child processes with prefixed logs until Ctrl-C or
 * SIGTERM, and stops them in order. Resolves with the exit code.
 */
export async function start(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let launcher: ReturnType<typeof parseConfig<typeof LauncherConfig>>;
  try {
    launcher = parseConfig(LauncherConfig, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 78;
    }
    throw error;
  }
  const dataDir = resolve(launcher.dataDir);
  await mkdir(dataDir, { recursive: true });

  const tls =
    env.WHARF_TLS_CERT_FILE && env.WHARF_TLS_KEY_FILE
      ? { certFile: env.WHARF_TLS_CERT_FILE, keyFile: env.WHARF_TLS_KEY_FILE, created: false }
      : await ensureSelfSignedCertificate(dataDir);
  if (tls.created) say(`made a self-signed TLS certificate: ${tls.certFile}`);

  // gRPC between the services is mutual TLS with auth's session grants (docs/security.md): an internal CA
  // made on the first run under <data>/pki, unless the environment names certificates of its own.
  let pkiEnv: ReturnType<typeof pkiEnvironment> | undefined;
  if (!env.WHARF_GRPC_TLS_CA_FILE) {
    const pki = resolve(dataDir, "pki");
    if (!existsSync(pkiFiles(pki).caCert)) {
      const storageHost = (env.WHARF_STORAGE_ADDRESS ?? "").split(",")[0]?.replace(/:\d+$/, "");
      await createInternalPki(pki, { hosts: [...new Set(["localhost", "127.0.0.1", ...(storageHost ? [storageHost] : [])])], days: 825 });
      say(`made an internal CA and certificates for gRPC between the services: ${pki}`);
    }
    pkiEnv = pkiEnvironment(pki);
  }

  const natsUrl = launcher.externalNatsUrl ?? `nats://127.0.0.1:${launcher.natsPort}`;
  // The embedded nats-server is never an open bus: every service (and the CLI, as admin) has its own nkey,
  // made on the first run, and may touch only its own subjects (docs/security.md). With an external NATS,
  // its credentials come from the environment as given.
  const identityDir = natsIdentityDirOf(dataDir);
  const embeddedIdentities: NodeJS.ProcessEnv = launcher.externalNatsUrl
    ? {}
    : { WHARF_NATS_IDENTITY_DIR: identityDir, WHARF_NATS_NKEY_FILE: undefined, WHARF_NATS_USER: undefined, WHARF_NATS_PASSWORD_FILE: undefined };
  const serviceEnv: NodeJS.ProcessEnv = {
    ...env,
    ...embeddedIdentities,
    WHARF_NATS_URL: natsUrl,
    WHARF_DATA_DIR: dataDir,
    WHARF_TLS_CERT_FILE: tls.certFile,
    WHARF_TLS_KEY_FILE: tls.keyFile,
  };
  let configs: ReturnType<typeof validateAll>;
  try {
    configs = validateAll(serviceEnv);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 78;
  }

  let nats: NatsServerProcess | undefined;
  if (!launcher.externalNatsUrl) {
    try {
      const authorizationFile = await writeNatsAuthorization(identityDir);
      nats = await startNatsServerProcess({
        authorizationFile,
        storeDir: resolve(dataDir, "nats"),
        port: launcher.natsPort,
        detached: true,
        onLog: (line) => process.stdout.write(`${"[nats-server]".padEnd(16)} ${line}\n`),
      });
    } catch (error) {
      process.stderr.write(error instanceof NatsServerMissingError ? `${INSTALL_NATS}\n` : `could not start nats-server: ${(error as Error).message}\n`);
      return 1;
    }
    say(`started nats-server with JetStream on ${nats.url} (store: ${resolve(dataDir, "nats")}); clients need an identity from ${identityDir}`);
  }

  const services: ServiceProcess[] = [];
  // The children run in their own process groups; if this process dies anyway, take them along.
  process.once("exit", () => {
    for (const child of [...services.map((service) => service.child), nats?.process]) child?.kill("SIGKILL");
  });
  const stopAll = async () => {
    // A little longer than the services' own grace period, so they can finish theirs before a SIGKILL.
    for (const service of [...services].reverse()) await service.stop(launcher.shutdownGraceMs + 2_000);
    await nats?.stop();
  };

  try {
    const nc = await connectBus({ url: natsUrl, name: "wharf-start", identity: "admin", credentials: cliCredentials(serviceEnv) }, createLogger({ service: "wharf-start", level: "warn" }));
    const demo = await ensureDemoUser(nc, dataDir, createConfigAudit(nc, env, "start"));
    await nc.close();

    const write = (line: string) => process.stdout.write(`${line}\n`);
    const launch = async (name: string, pkg: string, metricsPort: number) => {
      const service = spawnService(name, mainOf(pkg), { ...serviceEnv, ...pkiEnv?.[name as keyof typeof pkiEnv] }, write);
      services.push(service);
      say(`started ${name} (pid ${service.child.pid})`);
      await waitUntilReady(service, metricsPort);
      return service;
    };
    await Promise.all([
      launch("storage", "@wharf/storage", configs.storage.metricsPort),
      launch("auth", "@wharf/auth", configs.auth.metricsPort),
      launch("outbound", "@wharf/outbound", configs.outbound.metricsPort),
    ]);
    await launch("listener", "@wharf/control-listener", configs.listener.metricsPort);

    const ftp = configs.listener.port;
    const kind = { explicit: "explicit FTPS", implicit: "implicit FTPS", none: "plain FTP" }[ftp.tlsMode];
    say(`Wharf is ready: ${kind} on ${ftp.host}:${ftp.port} (alias ${ftp.alias}), passive ports ${ftp.passivePorts.low}-${ftp.passivePorts.high}`);
    say(`metrics: listener :${configs.listener.metricsPort}, auth :${configs.auth.metricsPort}, storage :${configs.storage.metricsPort}, outbound :${configs.outbound.metricsPort} (/metrics /healthz /readyz)`);
    if (demo.password) {
      say(`first run: made user "demo" with password ${demo.password}`);
      say(`(shown once; also saved in ${demo.credentialsFile}, mode 0600)`);
    } else {
      say(`user "demo" exists; its first-run password is in ${demo.credentialsFile}`);
    }
    say(`try: curl --ssl-reqd -k -u demo:PASSWORD -T somefile ftp://127.0.0.1:${ftp.port}/`);
  } catch (error) {
    process.stderr.write(`wharf start failed: ${error instanceof Error ? error.message : String(error)}\n`);
    await stopAll();
    return 1;
  }

  const reason = await new Promise<string>((resolveReason) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => resolveReason(signal));
    for (const service of services) void service.exited.then((how) => resolveReason(`${service.name} exited (${how})`));
    if (nats) void new Promise((r) => nats?.process.once("exit", r)).then(() => resolveReason("nats-server exited"));
    // Started by a supervisor that holds our stdin (a test, a process manager): when it dies, so do we.
    if (process.env.WHARF_STOP_WITH_STDIN === "true") {
      process.stdin.once("close", () => resolveReason("supervisor gone (stdin closed)"));
      process.stdin.resume();
    }
  });
  // A watched stdin would keep this process alive after everything stopped.
  process.stdin.destroy();
  const clean = reason === "SIGINT" || reason === "SIGTERM";
  say(`${clean ? "stopping" : `${reason}; stopping everything`}…`);
  await stopAll();
  say("stopped");
  return clean ? 0 : 1;
}
