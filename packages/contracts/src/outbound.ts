import { createHash } from "node:crypto";
import { z } from "zod";
import { normalizeFolder } from "./permissions.js";
import { SecretInput, SecretRef } from "./secret-ref.js";

/** Endpoint and pipeline names: KV keys, metric-safe, short. */
export const OutboundName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, { message: "must be 1-64 of A-Z a-z 0-9 _ . - (starting with a letter or digit)" });


const remoteFolder = z
  .string()
  .refine((value) => value.startsWith("/") && !value.includes("\0") && !value.split("/").includes(".."), { message: 'must be an absolute folder without "..", e.g. /inbound' });

/** A folder inside a storage root, normalized ("/out/" is "/out"). */
const storageFolder = z
  .string()
  .refine((value) => value.startsWith("/") && !value.split("/").includes(".."), { message: 'must be an absolute folder without "..", e.g. /outbox' })
  .transform((value) => normalizeFolder(value));

/**
 * A partner's FTP/FTPS server that pipelines deliver to (DESIGN.md §5), its
 * secrets in the bucket's form or the configuration file's (below).
 */
const endpointSchema = <Secret extends z.ZodType>(secret: Secret) =>
  z
    .object({
      name: OutboundName,
      host: z.string().min(1).max(253),
      port: z.number().int().min(1).max(65_535).default(21),
      /** explicit: AUTH TLS on the control port; implicit: TLS from the first byte (usually port 990); none: plain FTP. */
      tls: z.enum(["explicit", "implicit", "none"]).default("explicit"),
      user: z.string().min(1).max(256),
      password: secret.optional(),
      /**
       * A client certificate for partners that ask for one: the certificate by file or as PEM text, the
       * private key by file or as a secret (a `value` in the configuration file, sealed in the bucket).
       */
      clientCertificate: z
        .object({
          certFile: z.string().min(1).optional(),
          cert: z.string().includes("-----BEGIN ", { message: "must be a PEM certificate" }).optional(),
          keyFile: z.string().min(1).optional(),
          key: secret.optional(),
        })
        .strict()
        .superRefine((certificate, context) => {
          if ((certificate.certFile === undefined) === (certificate.cert === undefined)) context.addIssue({ code: "custom", message: "give exactly one of certFile, cert" });
          if ((certificate.keyFile === undefined) === (certificate.key === undefined)) context.addIssue({ code: "custom", message: "give exactly one of keyFile, key" });
        })
        .optional(),
      /**
       * How the partner's certificate is trusted: the system CAs (default), a CA bundle, or a pinned
       * SHA-256 fingerprint of the partner's certificate. `insecure` trusts anything; it is logged at
       * every connection and meant only for a first test.
       */
      trust: z
        .object({
          caFile: z.string().min(1).optional(),
          fingerprint: z
            .string()
            .transform((value) => value.replaceAll(":", "").toUpperCase())
            .refine((value) => /^[0-9A-F]{64}$/.test(value), { message: "must be a SHA-256 fingerprint: 64 hex digits, colons allowed" })
            .optional(),
          insecure: z.boolean().default(false),
        })
        .strict()
        .default({ insecure: false }),
      /** Where files go on the partner's server. */
      remoteFolder: remoteFolder.default("/"),
      /** Upload under a temporary name and rename when complete, so the partner never picks up half a file. */
      temporaryName: z.boolean().default(true),
      /** Partner quirks seen in the field. */
      quirks: z
        .object({
          /** Try EPSV before PASV (some firewalls break EPSV). */
          epsv: z.boolean().default(true),
          /** Connect data channels to the control connection's address, whatever PASV says (servers behind NAT that announce a private address). */
          passiveAddressFromControl: z.boolean().default(true),
          /** Offer TLS 1.3 (some old servers fail its handshake). */
          tls13: z.boolean().default(true),
          /**
           * Data connections resume the control connection's TLS session (RFC 4217 §10.2 advises it, and
           * strict servers such as vsftpd with require_ssl_reuse=YES demand it). A few servers fail on a
           * resumed session: false makes each data connection a full handshake.
           */
          tlsSessionReuse: z.boolean().default(true),
        })
        .strict()
        .default({ epsv: true, passiveAddressFromControl: true, tls13: true, tlsSessionReuse: true }),
      /** Deliveries to this partner at once (each its own connection: basic-ftp does one transfer per connection). */
      maxConnections: z.number().int().min(1).max(64).default(2),
      /** Each step (connect, a reply, a data transfer's silence) times out after this long. */
      timeoutMs: z.number().int().min(1_000).max(600_000).default(30_000),
    })
    .strict()
    .superRefine((endpoint, context) => {
      if (endpoint.tls === "none" && (endpoint.trust.caFile || endpoint.trust.fingerprint || endpoint.trust.insecure || endpoint.clientCertificate)) {
        context.addIssue({ code: "custom", path: ["trust"], message: "a plain FTP endpoint (tls: none) has no certificate to trust or present" });
      }
      if (endpoint.trust.insecure && (endpoint.trust.caFile || endpoint.trust.fingerprint)) {
        context.addIssue({ code: "custom", path: ["trust", "insecure"], message: "insecure trusts anything; it cannot go with caFile or fingerprint" });
      }
    });

/**
 * A partner's server as the `wharf_endpoints` bucket holds it, one key per
 * name, written by `wharf apply -f`: secrets by reference or sealed, never in
 * the clear.
 */
export const EndpointConfig = endpointSchema(SecretRef);
export type EndpointConfig = z.output<typeof EndpointConfig>;

/** An endpoint as the configuration file gives it: its secrets may be values, which `wharf apply -f` seals before writing. */
export const EndpointFileConfig = endpointSchema(SecretInput);
export type EndpointFileConfig = z.output<typeof EndpointFileConfig>;

/**
 * A push pipeline: files stored under `source` are delivered to `target`
 * (DESIGN.md §5). Kept in the `wharf_pipelines` bucket, one key per name.
 */
export const PipelineConfig = z
  .object({
    name: OutboundName,
    enabled: z.boolean().default(true),
    source: z
      .object({
        /** The storage root (a user's home) files come from; absent: any root. */
        root: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/).optional(),
        /** Only files uploaded by this user; absent: anyone. */
        user: z.string().min(1).max(64).optional(),
        /** The folder (and below) inside the root. */
        folder: storageFolder.default("/"),
        /** A file-name pattern: * and ? as in a shell, matched against the name only. */
        glob: z.string().min(1).max(256).default("*"),
      })
      .strict()
      .default({ folder: "/", glob: "*" }),
    /** The endpoint the files go to. */
    target: OutboundName,
    retry: z
      .object({
        maxAttempts: z.number().int().min(1).max(100).default(8),
        /** The first retry waits this long; each next one twice as long (with jitter), up to maxDelayMs. */
        initialDelayMs: z.number().int().min(100).max(3_600_000).default(5_000),
        maxDelayMs: z.number().int().min(100).max(86_400_000).default(600_000),
      })
      .strict()
      .default({ maxAttempts: 8, initialDelayMs: 5_000, maxDelayMs: 600_000 }),
  })
  .strict();
export type PipelineConfig = z.output<typeof PipelineConfig>;

/**
 * A pull: a partner's remote folder polled on a schedule; new or changed
 * files matching the glob are fetched into a storage folder (which publishes
 * file.stored, so pulls chain into pushes) and then, once stored, kept,
 * deleted or moved at the partner. Kept in `wharf_pulls`, one key per name.
 */
export const PullConfig = z
  .object({
    name: OutboundName,
    enabled: z.boolean().default(true),
    source: z
      .object({
        endpoint: OutboundName,
        /** The partner's folder to poll (the endpoint's remoteFolder is for pushes). */
        folder: remoteFolder.default("/"),
        glob: z.string().min(1).max(256).default("*"),
      })
      .strict(),
    target: z
      .object({
        root: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, { message: "must be a storage root (a user's home folder)" }),
        folder: storageFolder.default("/"),
      })
      .strict(),
    everyMs: z.number().int().min(1_000).max(86_400_000).default(60_000),
    /**
     * Fetch a file only once two polls in a row listed it with the same size and time: the partner may
     * still be writing it (most servers show a file under its final name while it arrives). false for
     * partners that upload under a temporary name and rename, to fetch one poll sooner.
     */
    settle: z.boolean().default(true),
    /** What happens to a fetched file at the partner once it is stored: kept (fetched again only if it changes), deleted, or moved to `moveTo`. */
    afterFetch: z.enum(["keep", "delete", "move"]).default("keep"),
    moveTo: remoteFolder.optional(),
  })
  .strict()
  .superRefine((pull, context) => {
    if ((pull.afterFetch === "move") !== (pull.moveTo !== undefined)) context.addIssue({ code: "custom", path: ["moveTo"], message: 'is required with afterFetch "move", and only then' });
  });
export type PullConfig = z.output<typeof PullConfig>;

/** Does a shell-style pattern (* and ?) match a file name? */
export function globMatches(glob: string, name: string): boolean {
  const pattern = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replaceAll("*", "[^/]*").replaceAll("?", "[^/]");
  return new RegExp(`^${pattern}$`, "s").test(name);
}

/** Does a stored file (root, path, uploader) belong to a pipeline's source? */
export function pipelineMatches(pipeline: PipelineConfig, file: { root: string; path: string; user: string }): boolean {
  if (!pipeline.enabled) return false;
  const { source } = pipeline;
  if (source.root !== undefined && source.root !== file.root) return false;
  if (source.user !== undefined && source.user !== file.user) return false;
  const slash = file.path.lastIndexOf("/");
  const folder = file.path.slice(0, slash) || "/";
  const inside = source.folder === "/" || folder === source.folder || folder.startsWith(`${source.folder}/`);
  return inside && globMatches(source.glob, file.path.slice(slash + 1));
}

/**
 * The idempotency key of a delivery (DESIGN.md §4): pipeline, path, SHA-256
 * and upload id, hashed into a KV key of the `wharf_deliveries` bucket.
 */
export function deliveryKey(pipeline: string, file: { path: string; sha256: string; uploadId: string }): string {
  return createHash("sha256").update(`${pipeline}\0${file.path}\0${file.sha256}\0${file.uploadId}`).digest("hex");
}

/** What outbound publishes to the dead-letter stream when a delivery gives up. */
export const DeadLetter = z.object({
  type: z.literal("wharf.dlq.v1.delivery"),
  pipeline: OutboundName,
  endpoint: OutboundName,
  attempts: z.number().int().min(1),
  reason: z.string(),
  failedAt: z.string(),
  /** The file.stored event that could not be delivered, as it was. */
  event: z.unknown(),
});
export type DeadLetter = z.infer<typeof DeadLetter>;
