import { isIP } from "node:net";
import { parseCidr } from "./cidr.js";
import { z } from "zod";

/**
 * One FTP listener port: every setting of webMethods' "Add FTPS port" page has
 * a field here (DESIGN.md §3). Ports live in the KV bucket `wharf_ports`, one
 * key per alias, written by `wharf apply -f`, and listeners apply them live.
 */
export const PortAlias = z.string().regex(/^[A-Za-z0-9_.-]{1,255}$/, { message: "must be 1-255 of A-Z a-z 0-9 _ . -" });
const address = z.string().refine((value) => isIP(value) !== 0, { message: "must be an IP address" });
export const Cidr = z.string().refine((value) => value.trim() === value && parseCidr(value) !== undefined, {
  message: "must be an address or CIDR, e.g. 10.0.0.0/8",
});
const duration = z.number().int().min(0);

export const PortConfig = z
  .object({
    alias: PortAlias,
    enabled: z.boolean().default(true),
    port: z.number().int().min(1).max(65_535),
    description: z.string().max(1_000).default(""),
    /** webMethods' package/group tag: a free label for grouping ports. */
    group: z.string().max(255).default(""),
    bindAddress: address.default("0.0.0.0"),
    tlsMode: z.enum(["explicit", "implicit", "none"]).default("explicit"),
    passive: z
      .object({
        /** The IPv4 address announced by PASV (behind NAT); default: the control connection's local address. */
        address: z.ipv4().optional(),
        /** Per-client overrides: clients from `cidr` are told `address` instead. */
        overrides: z.array(z.object({ cidr: Cidr, address: z.ipv4() }).strict()).default([]),
        ports: z
          .string()
          .regex(/^\d{4,5}-\d{4,5}$/, { message: 'must be "low-high", e.g. 30000-30999' })
          .refine(
            (value) => {
              const [low, high] = value.split("-").map(Number) as [number, number];
              return low >= 1024 && high <= 65_535 && low <= high;
            },
            { message: "must be within 1024-65535 with low <= high" },
          )
          .default("30000-30999"),
      })
      .strict()
      .prefault({}),
    secureClientsOnly: z.boolean().optional(),
    requireProtectedData: z.boolean().optional(),
    requireTlsSessionReuse: z.boolean().default(true),
    /** PORT/EPRT: off by default; when on, the server connects only to the client's own address and ports >= 1024. */
    activeMode: z.boolean().default(false),
    uploadEndPolicy: z.enum(["lenient", "strict"]).default("lenient"),
    tls: z
      .object({
        certFile: z.string().min(1).optional(),
        keyFile: z.string().min(1).optional(),
        /** TLS 1.0 and 1.1 are deprecated (RFC 8996) and not offered. */
        minVersion: z.enum(["TLSv1.2", "TLSv1.3"]).default("TLSv1.2"),
        maxVersion: z.enum(["TLSv1.2", "TLSv1.3"]).default("TLSv1.3"),
        /** An OpenSSL cipher list for TLS 1.2; empty means Node's default (no weak suites). */
        ciphers: z.string().default(""),
        /**
         * Client certificates: "password" asks for none; "request" asks, and uses one if given (else the password);
         * "require" lets no one log in without a valid one. A given certificate must pass the trust store.
         */
        clientAuth: z.enum(["password", "request", "require"]).default("password"),
        /** The CA bundle (PEM) client certificates are verified against; required for request and require. */
        caFile: z.string().min(1).optional(),
        /** Certificate revocation lists (PEM) from those CAs; a revoked certificate is refused. */
        crlFile: z.string().min(1).optional(),
        /** Whether a verified certificate may say who the user is (the users' certificate rules); false: it is only checked for trust. */
        certificateMapping: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    /** true: each user's home folder is their root; false: `defaultRoot` is everyone's root on this port. */
    userDirectory: z.boolean().default(true),
    /** The storage folder every user of this port shares when userDirectory is false. */
    defaultRoot: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, { message: "must be a folder name: 1-128 of A-Z a-z 0-9 . _ -" }).optional(),
    ipAccess: z
      .object({ mode: z.enum(["allow", "deny"]).default("allow"), allow: z.array(Cidr).default([]), deny: z.array(Cidr).default([]) })
      .strict()
      .prefault({}),
    /**
     * The PROXY protocol (v1 or v2) from a TCP load balancer such as HAProxy (`send-proxy-v2`), on the control
     * port and the passive ports: the header names the partner's real address, which limits, bans, logs and the
     * data connection's peer check then use. Only connections from `trustedProxies` are taken, and each must
     * start with a header; anyone else is closed at once.
     */
    proxyProtocol: z
      .object({ enabled: z.boolean().default(false), trustedProxies: z.array(Cidr).default([]) })
      .strict()
      .prefault({}),
    limits: z
      .object({
        maxSessions: z.number().int().min(0).default(2_000),
        maxSessionsPerIp: z.number().int().min(0).default(20),
        loginTimeoutMs: duration.default(60_000),
        idleTimeoutMs: duration.default(300_000),
        dataTimeoutMs: duration.default(30_000),
        failedLoginDelayMs: duration.default(1_000),
        maxLoginAttempts: z.number().int().min(1).max(10).default(3),
        maxLineBytes: z.number().int().min(512).max(65_536).default(4_096),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((port, context) => {
    if (port.tlsMode === "none") {
      if (port.secureClientsOnly) context.addIssue({ code: "custom", path: ["secureClientsOnly"], message: "cannot be true on a plain port (tlsMode none)" });
      if (port.requireProtectedData) context.addIssue({ code: "custom", path: ["requireProtectedData"], message: "cannot be true on a plain port (tlsMode none)" });
    } else {
      if (!port.tls.certFile) context.addIssue({ code: "custom", path: ["tls", "certFile"], message: `is required for tlsMode ${port.tlsMode}` });
      if (!port.tls.keyFile) context.addIssue({ code: "custom", path: ["tls", "keyFile"], message: `is required for tlsMode ${port.tlsMode}` });
    }
    if (port.tls.clientAuth !== "password") {
      if (port.tlsMode === "none") context.addIssue({ code: "custom", path: ["tls", "clientAuth"], message: `cannot be ${port.tls.clientAuth} on a plain port (tlsMode none)` });
      if (!port.tls.caFile) context.addIssue({ code: "custom", path: ["tls", "caFile"], message: `is required for clientAuth ${port.tls.clientAuth}: the CAs client certificates must come from` });
    }
    if (port.proxyProtocol.enabled && port.proxyProtocol.trustedProxies.length === 0) {
      context.addIssue({ code: "custom", path: ["proxyProtocol", "trustedProxies"], message: "must name the load balancers' addresses when proxyProtocol is enabled" });
    }
    if (!port.userDirectory && !port.defaultRoot) context.addIssue({ code: "custom", path: ["defaultRoot"], message: "is required when userDirectory is false" });
    if (port.tls.minVersion === "TLSv1.3" && port.tls.maxVersion === "TLSv1.2") {
      context.addIssue({ code: "custom", path: ["tls", "maxVersion"], message: "is below minVersion" });
    }
  });
export type PortConfig = z.output<typeof PortConfig>;

/** "ports[1].tls.certFile: is required for tlsMode explicit", one line per problem. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map((part) => (typeof part === "number" ? `[${part}]` : `.${String(part)}`)).join("").replace(/^\./, "");
    return `${path || "(file)"}: ${issue.message}`;
  });
}
