import { z } from "zod";
import { eventTypes } from "../subjects.js";

/** What a configuration change did to its key; `replay` is a dead letter given another set of tries (`wharf dlq replay`). */
export const CONFIG_OPERATIONS = ["create", "update", "delete", "replay"] as const;
export type ConfigOperation = (typeof CONFIG_OPERATIONS)[number];

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

/** Who made a change: the administrator, where they ran the CLI, and the NATS identity it connected as. */
export const ConfigActor = z.object({
  /** WHARF_ADMIN_NAME, else the operating-system user that ran the CLI. */
  name: z.string().min(1),
  /** The host name of the machine the CLI ran on. */
  host: z.string(),
  /** The NATS user the CLI connected as; empty when it connected without one. */
  identity: z.string(),
});
export type ConfigActor = z.infer<typeof ConfigActor>;

/**
 * Published by the CLI after each change it made to a configuration bucket
 * (users, ports, endpoints, pipelines, pulls, bans) and after each dead letter
 * it replayed: the audit trail of administrators' actions, read back with
 * `wharf audit ls`. It carries digests of the stored values, never the values:
 * a user record holds a password hash, an endpoint may hold a sealed secret.
 * The message id is derived from bucket, key and revision, so a repeated
 * publish of the same change is stored once.
 */
export const ConfigChangedEvent = z.object({
  type: z.literal(eventTypes.configChanged),
  actor: ConfigActor,
  /** The CLI command that made the change, e.g. "users set", "apply", "bans rm". */
  command: z.string().min(1),
  /** The KV bucket written (wharf_users, …); for a replay, the dead-letter stream (WHARF_DLQ). */
  bucket: z.string().min(1),
  /** The key written; for a replay, the dead letter's sequence number. */
  key: z.string().min(1),
  operation: z.enum(CONFIG_OPERATIONS),
  /** Lowercase hex SHA-256 of the stored bytes before the change; absent when the key held nothing (and for a replay). */
  oldDigest: sha256.optional(),
  /** Lowercase hex SHA-256 of the stored bytes after the change; absent for a delete (and for a replay). */
  newDigest: sha256.optional(),
  /** The bucket revision the change made (of the delete marker, for a delete); absent for a replay, or a delete whose marker could not be read back. */
  revision: z.number().int().positive().optional(),
  /** ISO 8601 time of the change. */
  at: z.string(),
});
export type ConfigChangedEvent = z.infer<typeof ConfigChangedEvent>;
