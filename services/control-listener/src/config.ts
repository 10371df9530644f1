import { booleanFlag, commonEnv, commonSettings, grpcTlsEnv, grpcTlsFiles, durationMs, filePath, hostPortList, portRange, tcpPort } from "@wharf/config";
import { z } from "zod";
import { parseCidr } from "@wharf/contracts";

/** A comma-separated list of addresses or CIDRs. */
const cidrList = z
  .string()
  .transform((text) => text.split(",").map((entry) => entry.trim()).filter(Boolean))
  .refine((entries) => entries.every((entry) => parseCidr(entry) !== undefined), { message: "must be comma-separated addresses or CIDRs, e.g. 10.0.0.0/8,192.0.2.7" });

export const ListenerConfig = z
  .object({
    ...commonEnv,
    // Address and port of the explicit-FTPS control port.
    WHARF_FTP_HOST: z.string().min(1).default("0.0.0.0"),
    WHARF_FTP_PORT: tcpPort.default(2121),
    // The port's alias (webMethods' "alias"): 1-255 of [A-Za-z0-9_.-]; used in logs, metrics and events.
    WHARF_FTP_PORT_ALIAS: z.string().regex(/^[A-Za-z0-9_.-]{1,255}$/, { message: "must be 1-255 of A-Z a-z 0-9 _ . -" }).default("ftps"),
    // Passive data ports, "low-high"; each PASV/EPSV draws one at random.
    WHARF_FTP_PASSIVE_PORTS: portRange.prefault("30000-30999"),
    // The IPv4 address announced in 227 replies (behind NAT); by default the control connection's local address.
    WHARF_FTP_PASSIVE_ADDRESS: z.ipv4().optional(),
    // "explicit": clients switch to TLS with AUTH TLS (FTPES); "implicit": TLS from the first byte (FTPS, port 990 style);
    // "none": plain FTP only (no AUTH TLS).
    WHARF_FTP_TLS_MODE: z.enum(["explicit", "implicit", "none"]).default("explicit"),
    // Certificate chain and private key (PEM) of the port; required unless the TLS mode is "none".
    WHARF_TLS_CERT_FILE: filePath.optional(),
    WHARF_TLS_KEY_FILE: filePath.optional(),
    // Client certificates: "password" (none asked), "request" (used when given), "require" (no certificate, no login).
    WHARF_FTP_CLIENT_AUTH: z.enum(["password", "request", "require"]).default("password"),
    // CA bundle and CRLs (PEM) client certificates are checked against; the CA bundle is required unless clientAuth is password.
    WHARF_TLS_CA_FILE: filePath.optional(),
    WHARF_TLS_CRL_FILE: filePath.optional(),
    // Refuse USER before AUTH TLS (530); no credential then reaches auth. Default: true, false on a plain port.
    WHARF_FTP_SECURE_CLIENTS_ONLY: booleanFlag.optional(),
    // Refuse clear data connections: PROT C gets 534, a transfer without PROT P gets 521. Default: true, false on a plain port.
    WHARF_FTP_REQUIRE_PROTECTED_DATA: booleanFlag.optional(),
    // Require every TLS data connection to resume its control connection's TLS session (vsftpd's require_ssl_reuse);
    // "false" relaxes it for clients that cannot (stock Python ftplib), and each relaxed connection is counted and logged.
    WHARF_FTP_REQUIRE_TLS_SESSION_REUSE: booleanFlag.default(true),
    // Active mode (PORT/EPRT). Off by default: the server would connect out to an address a client names (the FTP
    // bounce attack). When on, only to the control connection's peer address and to ports >= 1024.
    WHARF_FTP_ACTIVE_MODE: booleanFlag.default(false),
    // How an upload over TLS must end: "strict" needs the TLS close_notify; "lenient" also takes a bare FIN after the data.
    WHARF_FTP_UPLOAD_END_POLICY: z.enum(["lenient", "strict"]).default("lenient"),
    // A session must log in within this time (absolute, not reset by traffic).
    WHARF_FTP_LOGIN_TIMEOUT_MS: durationMs.default(60_000),
    // A logged-in session with no command for this long gets 421.
    WHARF_FTP_IDLE_TIMEOUT_MS: durationMs.default(300_000),
    // Time for a client to open the data connection and finish its TLS handshake.
    WHARF_FTP_DATA_TIMEOUT_MS: durationMs.default(30_000),
    // Delay before answering a failed PASS (slows password guessing; good logins are not delayed).
    WHARF_FTP_FAILED_LOGIN_DELAY_MS: durationMs.default(1_000),
    // Failed PASS attempts per connection before 421 and close.
    WHARF_FTP_MAX_LOGIN_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
    // IP access (webMethods' port access modes): "allow" lets everyone in but WHARF_FTP_IP_DENY;
    // "deny" lets no one in but WHARF_FTP_IP_ALLOW. Lists are comma-separated addresses or CIDRs; the deny list always wins.
    WHARF_FTP_IP_ACCESS_MODE: z.enum(["allow", "deny"]).default("allow"),
    WHARF_FTP_IP_ALLOW: cidrList.default([]),
    WHARF_FTP_IP_DENY: cidrList.default([]),
    // The PROXY protocol (v1/v2) from a load balancer (HAProxy send-proxy-v2) on the control and passive ports: the header
    // names the partner's address. Only connections from WHARF_FTP_PROXY_TRUSTED are taken, each starting with a header.
    WHARF_FTP_PROXY_PROTOCOL: booleanFlag.default(false),
    WHARF_FTP_PROXY_TRUSTED: cidrList.default([]),
    // Sessions this port takes at once, and from one client address; one more gets 421 and is closed (0: no limit).
    WHARF_FTP_MAX_SESSIONS: z.coerce.number().int().min(0).default(2_000),
    WHARF_FTP_MAX_SESSIONS_PER_IP: z.coerce.number().int().min(0).default(20),
    // Longest command line in bytes (RFC 959 leaves it to the server; vsftpd uses 4096).
    WHARF_FTP_MAX_LINE_BYTES: z.coerce.number().int().min(512).max(65_536).default(4_096),
    // Storage's gRPC address, host:port, or several instances' IPv4 address:port separated by commas (calls spread over them).
    WHARF_STORAGE_ADDRESS: hostPortList.default("127.0.0.1:50151"),
    ...grpcTlsEnv,
    // How long a login may wait for auth.
    WHARF_AUTH_TIMEOUT_MS: durationMs.default(10_000),
    // Port of /metrics, /healthz and /readyz.
    WHARF_LISTENER_METRICS_PORT: tcpPort.default(9101),
  })
  .superRefine((env, context) => {
    if (env.WHARF_FTP_TLS_MODE !== "none") {
      for (const name of ["WHARF_TLS_CERT_FILE", "WHARF_TLS_KEY_FILE"] as const) {
        if (!env[name]) context.addIssue({ code: "custom", path: [name], message: `is required when WHARF_FTP_TLS_MODE is ${env.WHARF_FTP_TLS_MODE}` });
      }
      if (env.WHARF_FTP_CLIENT_AUTH !== "password" && !env.WHARF_TLS_CA_FILE) {
        context.addIssue({ code: "custom", path: ["WHARF_TLS_CA_FILE"], message: `is required when WHARF_FTP_CLIENT_AUTH is ${env.WHARF_FTP_CLIENT_AUTH}` });
      }
    } else {
      if (env.WHARF_FTP_CLIENT_AUTH !== "password") {
        context.addIssue({ code: "custom", path: ["WHARF_FTP_CLIENT_AUTH"], message: "must be password on a plain port (WHARF_FTP_TLS_MODE=none)" });
      }
      for (const name of ["WHARF_FTP_SECURE_CLIENTS_ONLY", "WHARF_FTP_REQUIRE_PROTECTED_DATA"] as const) {
        if (env[name]) context.addIssue({ code: "custom", path: [name], message: "cannot be true on a plain port (WHARF_FTP_TLS_MODE=none): there is no TLS to require" });
      }
    }
  })
  .superRefine((env, context) => {
    if (env.WHARF_FTP_PROXY_PROTOCOL && env.WHARF_FTP_PROXY_TRUSTED.length === 0) {
      context.addIssue({ code: "custom", path: ["WHARF_FTP_PROXY_TRUSTED"], message: "must name the load balancers' addresses when WHARF_FTP_PROXY_PROTOCOL is true" });
    }
  })
  .transform((env) => ({
    ...commonSettings(env),
    port: {
      alias: env.WHARF_FTP_PORT_ALIAS,
      host: env.WHARF_FTP_HOST,
      port: env.WHARF_FTP_PORT,
      passivePorts: env.WHARF_FTP_PASSIVE_PORTS,
      passiveAddress: env.WHARF_FTP_PASSIVE_ADDRESS,
      tlsMode: env.WHARF_FTP_TLS_MODE,
      certFile: env.WHARF_TLS_CERT_FILE,
      keyFile: env.WHARF_TLS_KEY_FILE,
      minVersion: "TLSv1.2" as "TLSv1.2" | "TLSv1.3",
      maxVersion: "TLSv1.3" as "TLSv1.2" | "TLSv1.3",
      ciphers: "",
      clientAuth: env.WHARF_FTP_CLIENT_AUTH,
      caFile: env.WHARF_TLS_CA_FILE,
      crlFile: env.WHARF_TLS_CRL_FILE,
      certificateMapping: true,
      userDirectory: true,
      defaultRoot: "",
      passiveOverrides: [] as Array<{ cidr: string; address: string }>,
      secureClientsOnly: env.WHARF_FTP_SECURE_CLIENTS_ONLY ?? env.WHARF_FTP_TLS_MODE !== "none",
      requireProtectedData: env.WHARF_FTP_REQUIRE_PROTECTED_DATA ?? env.WHARF_FTP_TLS_MODE !== "none",
      uploadEndPolicy: env.WHARF_FTP_UPLOAD_END_POLICY,
      requireTlsSessionReuse: env.WHARF_FTP_REQUIRE_TLS_SESSION_REUSE,
      activeMode: env.WHARF_FTP_ACTIVE_MODE,
      loginTimeoutMs: env.WHARF_FTP_LOGIN_TIMEOUT_MS,
      idleTimeoutMs: env.WHARF_FTP_IDLE_TIMEOUT_MS,
      dataTimeoutMs: env.WHARF_FTP_DATA_TIMEOUT_MS,
      failedLoginDelayMs: env.WHARF_FTP_FAILED_LOGIN_DELAY_MS,
      maxLoginAttempts: env.WHARF_FTP_MAX_LOGIN_ATTEMPTS,
      maxLineBytes: env.WHARF_FTP_MAX_LINE_BYTES,
      ipAccess: { mode: env.WHARF_FTP_IP_ACCESS_MODE, allow: env.WHARF_FTP_IP_ALLOW, deny: env.WHARF_FTP_IP_DENY },
      proxyProtocol: { enabled: env.WHARF_FTP_PROXY_PROTOCOL, trustedProxies: env.WHARF_FTP_PROXY_TRUSTED },
      maxSessions: env.WHARF_FTP_MAX_SESSIONS,
      maxSessionsPerIp: env.WHARF_FTP_MAX_SESSIONS_PER_IP,
    },
    storageAddress: env.WHARF_STORAGE_ADDRESS,
    storageTls: grpcTlsFiles(env),
    authTimeoutMs: env.WHARF_AUTH_TIMEOUT_MS,
    metricsPort: env.WHARF_LISTENER_METRICS_PORT,
  }));
export type ListenerConfig = z.output<typeof ListenerConfig>;
/** The settings of one FTP port (today one; the port model of DESIGN.md §3 makes it many). */
export type PortSettings = ListenerConfig["port"];
