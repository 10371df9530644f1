/**
 * The one table of NATS names. Services import names from here and never spell
 * a subject, stream, bucket or consumer themselves, so that permissions by
 * prefix (wharf.auth.>) and a later v2 stay a one-file change.
 */
export const subjects = {
  /** Request/reply: a listener asks auth to check USER/PASS (protobuf LoginRequest → LoginResponse). */
  authLogin: "wharf.auth.v1.login",
  /** JetStream event: storage committed a file (JSON FileStoredEvent). */
  fileStored: "wharf.evt.v1.file.stored",
  /** JetStream event: auth accepted a login (JSON LoginEvent). */
  loginSucceeded: "wharf.evt.v1.login.succeeded",
  /** JetStream event: auth refused a login, with the reason (JSON LoginEvent). */
  loginFailed: "wharf.evt.v1.login.failed",
  /**
   * JetStream events: outbound began a delivery attempt, finished it, failed it (to be tried again), gave it
   * up (JSON TransferEvent), or set it aside because a newer version of the file went or goes instead.
   */
  transferStarted: "wharf.evt.v1.transfer.started",
  transferCompleted: "wharf.evt.v1.transfer.completed",
  transferFailed: "wharf.evt.v1.transfer.failed",
  transferDeadLettered: "wharf.evt.v1.transfer.dead_lettered",
  transferSuperseded: "wharf.evt.v1.transfer.superseded",
  /** JetStream event: an administrator changed the configuration (or replayed a dead letter) with the CLI (JSON ConfigChangedEvent). */
  configChanged: "wharf.audit.v1.config.changed",
  /** Dead-letter stream: a delivery outbound gave up on, with the reason (JSON DeadLetter). */
  deadLetter: "wharf.dlq.v1.delivery",
} as const;

/** Queue groups, so that several instances of a service share the work. */
export const queueGroups = {
  auth: "auth",
} as const;

/** JetStream streams and the subjects they capture. */
export const streams = {
  events: { name: "WHARF_EVENTS", subjects: ["wharf.evt.>"] },
  /** Deliveries that ran out of tries, kept for an operator to look at and replay. */
  deadLetters: { name: "WHARF_DLQ", subjects: ["wharf.dlq.>"] },
  /**
   * The audit trail: configuration changes made by the admin (the CLI). A stream of its own, which only the
   * admin identity may publish to: the services' events share a stream whose message ids they choose, and a
   * service could otherwise take an audit event's id first and have the real one dropped as a duplicate.
   */
  audit: { name: "WHARF_AUDIT", subjects: ["wharf.audit.>"] },
} as const;

/** JetStream KV buckets. */
export const buckets = {
  users: "wharf_users",
  /** Listener ports, one key per alias (PortConfig JSON). */
  ports: "wharf_ports",
  /** What each listener made of each port, key <alias>.<listener-id>. */
  portStatus: "wharf_port_status",
  /** Source addresses the brute-force defender banned, one key per address (BanRecord JSON). */
  bans: "wharf_bans",
  /** What storage recorded about each committed file (checksum, uploader, …), one key per root and path. */
  files: "wharf_files",
  /** Bytes and files per storage root, for quotas (UsageRecord JSON), shared by every storage instance. */
  usage: "wharf_usage",
  /** The object-store backend: file bytes, one object per stored version (JetStream object store). */
  objects: "wharf_objects",
  /** The object-store backend: folders and files per root and path, each naming the object that holds its bytes. */
  tree: "wharf_tree",
  /** The object-store backend: uploads in progress, commit journals, kept partials and objects waiting to be freed. */
  objectState: "wharf_object_state",
  /** Partners' servers that pipelines deliver to (EndpointConfig JSON), one key per name. */
  endpoints: "wharf_endpoints",
  /** Push pipelines (PipelineConfig JSON), one key per name. */
  pipelines: "wharf_pipelines",
  /** Pulls from partners' servers (PullConfig JSON), one key per name. */
  pulls: "wharf_pulls",
  /** What pulls have fetched (so a kept file is not fetched again unless it changes), and which outbound instance polls each pull. */
  pullState: "wharf_pull_state",
  /** Open FTP sessions per source address and per user, counted by every listener (SessionCountRecord JSON), for cluster-wide limits. */
  sessions: "wharf_sessions",
  /** Deliveries made, one key per pipeline and stored version, so a redelivered event is not sent twice. */
  deliveries: "wharf_deliveries",
} as const;

export type BucketName = (typeof buckets)[keyof typeof buckets];

/**
 * How every service and the CLI create each KV bucket: whoever creates it first decides, so they all must agree.
 * `ttl`: an entry goes this long after its last change. `allowDirect: false`: reads go to the leader (a
 * compare-and-set loop must not read a follower that is behind).
 */
export const bucketSettings: Record<Exclude<BucketName, "wharf_objects">, { history: number; ttl?: number; allowDirect?: false }> = {
  wharf_users: { history: 5 },
  wharf_ports: { history: 5 },
  wharf_port_status: { history: 1 },
  wharf_bans: { history: 1, ttl: 86_400_000 },
  wharf_files: { history: 1 },
  wharf_usage: { history: 1 },
  wharf_tree: { history: 1, allowDirect: false },
  wharf_object_state: { history: 1, allowDirect: false },
  wharf_endpoints: { history: 5 },
  wharf_pipelines: { history: 5 },
  wharf_pulls: { history: 5 },
  wharf_pull_state: { history: 1 },
  wharf_sessions: { history: 1, ttl: 3_600_000, allowDirect: false },
  // Read from the leader: a follower behind would not know a delivery was made, and the file would go again.
  wharf_deliveries: { history: 1, allowDirect: false },
};

/** Durable consumers, named <owner>-<event>. */
export const consumers = {
  outboundFileStored: { name: "outbound-file_stored", filterSubject: subjects.fileStored },
} as const;

/** The `type` field of event bodies (ADR-32 style). */
export const eventTypes = {
  fileStored: "wharf.evt.v1.file_stored",
  loginSucceeded: "wharf.evt.v1.login_succeeded",
  loginFailed: "wharf.evt.v1.login_failed",
  transferStarted: "wharf.evt.v1.transfer_started",
  transferCompleted: "wharf.evt.v1.transfer_completed",
  transferFailed: "wharf.evt.v1.transfer_failed",
  transferDeadLettered: "wharf.evt.v1.transfer_dead_lettered",
  transferSuperseded: "wharf.evt.v1.transfer_superseded",
  configChanged: "wharf.audit.v1.config_changed",
} as const;

export type Subject = (typeof subjects)[keyof typeof subjects];
