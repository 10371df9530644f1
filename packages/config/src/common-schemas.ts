import { z } from "zod";

/** A TCP port number; 0 lets the system choose (useful in tests). */
export const tcpPort = z.coerce.number().int().min(0).max(65535);

/** A nats:// URL (several may be given, separated by commas). */
export const natsUrl = z
  .string()
  .min(1)
  .refine((value) => value.split(",").every((part) => /^(nats|tls|ws|wss):\/\/[^\s]+$/.test(part.trim())), {
    message: "must be one or more nats:// URLs separated by commas",
  });

export const logLevel = z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

/** A duration in milliseconds. */
export const durationMs = z.coerce.number().int().min(0);

/** host:port, e.g. 127.0.0.1:50151. */
export const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, { message: "must be host:port" });

/** One host:port, or several IP addresses' (127.0.0.1:50151,127.0.0.1:50152): calls spread over them. */
export const hostPortList = z.string().regex(/^[^\s:,]+:\d{1,5}$|^(\d{1,3}(\.\d{1,3}){3}:\d{1,5})(,\d{1,3}(\.\d{1,3}){3}:\d{1,5})+$/, {
  message: "must be host:port, or several IPv4 address:port separated by commas",
});

/** "low-high", an inclusive range of TCP ports above 1023. */
export const portRange = z
  .string()
  .regex(/^\d{4,5}-\d{4,5}$/, { message: 'must be "low-high", e.g. 30000-30999' })
  .transform((value) => {
    const [low, high] = value.split("-").map(Number) as [number, number];
    return { low, high };
  })
  .refine(({ low, high }) => low >= 1024 && high <= 65535 && low <= high, {
    message: "must be within 1024-65535 with low <= high",
  });

/** "true"/"false" (also 1/0, yes/no, on/off), as environment variables spell booleans. */
export const booleanFlag = z
  .string()
  .trim()
  .toLowerCase()
  .refine((value) => ["true", "false", "1", "0", "yes", "no", "on", "off"].includes(value), { message: "must be true or false" })
  .transform((value) => ["true", "1", "yes", "on"].includes(value));

/** Settings every service shares. */
export const commonEnv = {
  // NATS server(s), comma separated.
  WHARF_NATS_URL: natsUrl.default("nats://127.0.0.1:14222"),
  WHARF_LOG_LEVEL: logLevel.default("info"),
  // How long a shutdown may take before it gives up.
  WHARF_SHUTDOWN_GRACE_MS: durationMs.default(10_000),
  // OTLP/HTTP endpoint for traces; unset means no export.
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  // Set by `wharf start`: stop when standard input closes (the supervisor is gone).
  WHARF_STOP_WITH_STDIN: booleanFlag.default(false),
  // Copies JetStream keeps of Wharf's streams and buckets when it creates them: 3 on a three-node NATS cluster, so
  // losing one node loses nothing. Changing it later does not change streams that already exist.
  WHARF_NATS_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  // Days the event stream (file.stored, transfers, logins: `wharf transfers`) keeps an event; 0 keeps them all.
  WHARF_EVENTS_RETENTION_DAYS: z.coerce.number().int().min(0).max(36_500).default(30),
  // Who this service is to NATS (docs/security.md): a file holding its nkey seed, or a folder of seeds named
  // <identity>.nk (`wharf nats init`), or a user name with a password file. Unset: an anonymous connection.
  WHARF_NATS_NKEY_FILE: z.string().min(1).optional(),
  WHARF_NATS_IDENTITY_DIR: z.string().min(1).optional(),
  WHARF_NATS_USER: z.string().min(1).optional(),
  WHARF_NATS_PASSWORD_FILE: z.string().min(1).optional(),
  // TLS to NATS: the CA of the server's certificate, and a client certificate and key if the server asks for one.
  WHARF_NATS_TLS_CA_FILE: z.string().min(1).optional(),
  WHARF_NATS_TLS_CERT_FILE: z.string().min(1).optional(),
  WHARF_NATS_TLS_KEY_FILE: z.string().min(1).optional(),
};

type Optional = string | undefined;

export function commonSettings(env: {
  WHARF_NATS_URL: string;
  WHARF_LOG_LEVEL: z.infer<typeof logLevel>;
  WHARF_SHUTDOWN_GRACE_MS: number;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  WHARF_STOP_WITH_STDIN: boolean;
  WHARF_EVENTS_RETENTION_DAYS: number;
  WHARF_NATS_REPLICAS: number;
  WHARF_NATS_NKEY_FILE?: Optional;
  WHARF_NATS_IDENTITY_DIR?: Optional;
  WHARF_NATS_USER?: Optional;
  WHARF_NATS_PASSWORD_FILE?: Optional;
  WHARF_NATS_TLS_CA_FILE?: Optional;
  WHARF_NATS_TLS_CERT_FILE?: Optional;
  WHARF_NATS_TLS_KEY_FILE?: Optional;
}) {
  return {
    natsUrl: env.WHARF_NATS_URL,
    logLevel: env.WHARF_LOG_LEVEL,
    shutdownGraceMs: env.WHARF_SHUTDOWN_GRACE_MS,
    otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
    stopWithStdin: env.WHARF_STOP_WITH_STDIN,
    eventsRetentionMs: env.WHARF_EVENTS_RETENTION_DAYS * 86_400_000,
    natsReplicas: env.WHARF_NATS_REPLICAS,
    natsCredentials: {
      nkeyFile: env.WHARF_NATS_NKEY_FILE,
      identityDir: env.WHARF_NATS_IDENTITY_DIR,
      user: env.WHARF_NATS_USER,
      passwordFile: env.WHARF_NATS_PASSWORD_FILE,
      tls: env.WHARF_NATS_TLS_CA_FILE ? { caFile: env.WHARF_NATS_TLS_CA_FILE, certFile: env.WHARF_NATS_TLS_CERT_FILE, keyFile: env.WHARF_NATS_TLS_KEY_FILE } : undefined,
    },
  };
}

/**
 * Mutual TLS to and from storage's gRPC (issue 9; `wharf certs init` makes the files): the internal CA, and
 * this service's certificate and key. All three or none; none is plaintext gRPC, as before.
 */
export const grpcTlsEnv = {
  WHARF_GRPC_TLS_CA_FILE: z.string().min(1).optional(),
  WHARF_GRPC_TLS_CERT_FILE: z.string().min(1).optional(),
  WHARF_GRPC_TLS_KEY_FILE: z.string().min(1).optional(),
};

export function grpcTlsFiles(env: { WHARF_GRPC_TLS_CA_FILE?: Optional; WHARF_GRPC_TLS_CERT_FILE?: Optional; WHARF_GRPC_TLS_KEY_FILE?: Optional }) {
  return env.WHARF_GRPC_TLS_CA_FILE && env.WHARF_GRPC_TLS_CERT_FILE && env.WHARF_GRPC_TLS_KEY_FILE
    ? { caFile: env.WHARF_GRPC_TLS_CA_FILE, certFile: env.WHARF_GRPC_TLS_CERT_FILE, keyFile: env.WHARF_GRPC_TLS_KEY_FILE }
    : undefined;
}

/** What is wrong with variables that only go together (each alone is checked by its schema): NATS credentials, gRPC TLS. */
export function pairedVariableProblems(env: Record<string, unknown>): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const grpc = ["WHARF_GRPC_TLS_CA_FILE", "WHARF_GRPC_TLS_CERT_FILE", "WHARF_GRPC_TLS_KEY_FILE"];
  const given = grpc.filter((name) => env[name]);
  if (given.length > 0 && given.length < grpc.length) {
    for (const name of grpc.filter((missing) => !env[missing])) problems.push({ path: name, message: `must be set with ${given.join(" and ")} (mutual TLS to storage needs the CA, a certificate and its key)` });
  }
  if (env.WHARF_NATS_USER && !env.WHARF_NATS_PASSWORD_FILE) problems.push({ path: "WHARF_NATS_PASSWORD_FILE", message: "must be set with WHARF_NATS_USER" });
  if (env.WHARF_NATS_PASSWORD_FILE && !env.WHARF_NATS_USER) problems.push({ path: "WHARF_NATS_USER", message: "must be set with WHARF_NATS_PASSWORD_FILE" });
  if (Boolean(env.WHARF_NATS_TLS_CERT_FILE) !== Boolean(env.WHARF_NATS_TLS_KEY_FILE)) problems.push({ path: "WHARF_NATS_TLS_KEY_FILE", message: "WHARF_NATS_TLS_CERT_FILE and WHARF_NATS_TLS_KEY_FILE go together" });
  if (env.WHARF_NATS_TLS_CERT_FILE && !env.WHARF_NATS_TLS_CA_FILE) problems.push({ path: "WHARF_NATS_TLS_CA_FILE", message: "must be set for TLS to NATS (the CA of the server's certificate)" });
  return problems;
}

/** A file that must exist when the service starts (checked by the service, this only checks the shape). */
export const filePath = z.string().min(1, { message: "must name a file" });
