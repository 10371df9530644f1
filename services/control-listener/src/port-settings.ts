import type { PortConfig } from "@wharf/contracts";
import type { PortSettings } from "./config.js";

/** The settings a port from the `wharf_ports` bucket runs with (the same shape as the environment-configured port). */
export function portSettingsOf(config: PortConfig): PortSettings {
  const [low, high] = config.passive.ports.split("-").map(Number) as [number, number];
  const secure = config.tlsMode !== "none";
  return {
    alias: config.alias,
    host: config.bindAddress,
    port: config.port,
    passivePorts: { low, high },
    passiveAddress: config.passive.address,
    passiveOverrides: config.passive.overrides,
    tlsMode: config.tlsMode,
    certFile: config.tls.certFile,
    keyFile: config.tls.keyFile,
    minVersion: config.tls.minVersion,
    maxVersion: config.tls.maxVersion,
    ciphers: config.tls.ciphers,
    clientAuth: config.tls.clientAuth,
    caFile: config.tls.caFile,
    crlFile: config.tls.crlFile,
    certificateMapping: config.tls.certificateMapping,
    userDirectory: config.userDirectory,
    defaultRoot: config.defaultRoot ?? "",
    secureClientsOnly: config.secureClientsOnly ?? secure,
    requireProtectedData: config.requireProtectedData ?? secure,
    requireTlsSessionReuse: config.requireTlsSessionReuse,
    activeMode: config.activeMode,
    uploadEndPolicy: config.uploadEndPolicy,
    ipAccess: config.ipAccess,
    proxyProtocol: config.proxyProtocol,
    ...config.limits,
  };
}
