import { natsUrl, tcpPort } from "@wharf/config";
import { z } from "zod";

/** What `wharf start` itself reads; each service validates its own variables too. */
export const LauncherConfig = z
  .object({
    // Everything Wharf keeps on this machine: files, uploads, NATS store, TLS files, first-run credentials.
    WHARF_DATA_DIR: z.string().min(1).default("data"),
    // An existing NATS server (with JetStream); when set, no local nats-server is started.
    NATS_URL: natsUrl.optional(),
    WHARF_NATS_URL: natsUrl.optional(),
    // Port of the local nats-server that `wharf start` runs (loopback only).
    WHARF_NATS_PORT: tcpPort.default(14222),
    // How long a service gets to stop on Ctrl-C before it is killed.
    WHARF_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  })
  .transform((env) => ({
    dataDir: env.WHARF_DATA_DIR,
    externalNatsUrl: env.WHARF_NATS_URL ?? env.NATS_URL,
    natsPort: env.WHARF_NATS_PORT,
    shutdownGraceMs: env.WHARF_SHUTDOWN_GRACE_MS,
  }));
export type LauncherConfig = z.output<typeof LauncherConfig>;
