import { type BucketName, buckets, streams, subjects } from "./subjects.js";

/**
 * Who talks to NATS (issue 9): each service with its own identity, and the CLI as the admin. Each may publish
 * and subscribe only to what it owns, so a process with the listener's credentials cannot read the user
 * database, publish file.stored, answer logins or rewrite the configuration.
 */
export const natsIdentities = ["auth", "storage", "listener", "outbound", "admin"] as const;
export type NatsIdentity = (typeof natsIdentities)[number];

export interface NatsPermissions {
  publish: string[];
  subscribe: string[];
  /** May answer requests it received (auth's login replies), and only those. */
  allowResponses: boolean;
}

/**
 * Each identity's own reply subjects. The default `_INBOX.>` would let any client subscribe to every other
 * client's replies: KV reads, login answers. With a prefix of its own, an identity subscribes to its inboxes only.
 */
export function inboxPrefix(identity: NatsIdentity): string {
  return `_INBOX.${identity}`;
}

const API = "$JS.API";
const kvStream = (bucket: BucketName) => `KV_${bucket}`;

/**
 * Reading a stream: its info, single messages (by sequence, or the last of a subject: KV gets), and consumers
 * of it (KV watches and key listings are ordered consumers; outbound's durable pull consumer), with their flow
 * control and acks. A consumer may filter on any subject of the stream: reading a stream means all of it.
 */
function readStream(stream: string): string[] {
  return [
    `${API}.STREAM.INFO.${stream}`,
    `${API}.STREAM.MSG.GET.${stream}`,
    `${API}.DIRECT.GET.${stream}`,
    `${API}.DIRECT.GET.${stream}.>`,
    `${API}.CONSUMER.CREATE.${stream}`,
    `${API}.CONSUMER.CREATE.${stream}.>`,
    `${API}.CONSUMER.DURABLE.CREATE.${stream}.>`,
    `${API}.CONSUMER.INFO.${stream}.>`,
    `${API}.CONSUMER.DELETE.${stream}.>`,
    `${API}.CONSUMER.MSG.NEXT.${stream}.>`,
    `$JS.FC.${stream}.>`,
    `$JS.ACK.${stream}.>`,
  ];
}

/**
 * Making sure a stream exists with Wharf's settings (every service creates what it uses, whatever starts
 * first). Create only: creating a stream that exists changes nothing, while an update could rewrite any of
 * its settings (sources that copy another stream in, a one-second age limit, sealed). Only the admin updates.
 */
function createStream(stream: string): string[] {
  return [`${API}.STREAM.CREATE.${stream}`, `${API}.STREAM.INFO.${stream}`];
}

/** Removing messages: storage drops freed objects' chunks and the delete markers of its tree and state buckets. */
function purgeStream(stream: string): string[] {
  return [`${API}.STREAM.PURGE.${stream}`, `${API}.STREAM.MSG.DELETE.${stream}`];
}

const readBucket = (bucket: BucketName) => [...createStream(kvStream(bucket)), ...readStream(kvStream(bucket))];
const writeBucket = (bucket: BucketName) => [...readBucket(bucket), `$KV.${bucket}.>`];

/** What every service needs: JetStream's account check, and its own inboxes. */
function base(identity: NatsIdentity, publish: string[], subscribe: string[] = [], allowResponses = false): NatsPermissions {
  return { publish: [`${API}.INFO`, ...publish], subscribe: [`${inboxPrefix(identity)}.>`, ...subscribe], allowResponses };
}

const events = streams.events.name;
const deadLetters = streams.deadLetters.name;
const objects = `OBJ_${buckets.objects}`;

export function natsPermissions(identity: NatsIdentity): NatsPermissions {
  switch (identity) {
    case "auth":
      // Answers logins (and only auth may), reads users and ports, keeps the bans, and says who logged in.
      return base(
        identity,
        [
          subjects.loginSucceeded,
          subjects.loginFailed,
          ...createStream(events),
          ...readBucket(buckets.users),
          // Which ports share one root: the root a session grant names.
          ...readBucket(buckets.ports),
          ...writeBucket(buckets.bans),
        ],
        ["wharf.auth.v1.>"],
        true,
      );
    case "listener":
      // Asks auth (the only one who may), follows ports and bans, reports its ports, counts sessions.
      return base(identity, [
        subjects.authLogin,
        ...readBucket(buckets.ports),
        ...readBucket(buckets.bans),
        ...writeBucket(buckets.portStatus),
        ...writeBucket(buckets.sessions),
      ]);
    case "storage":
      // The only one that publishes file.stored, and the only one with the files' bytes and records. It
      // publishes to the event stream and never reads it (so it cannot take outbound's events).
      return base(identity, [
        subjects.fileStored,
        ...createStream(events),
        ...writeBucket(buckets.files),
        ...writeBucket(buckets.usage),
        ...writeBucket(buckets.tree),
        ...purgeStream(kvStream(buckets.tree)),
        ...writeBucket(buckets.objectState),
        ...purgeStream(kvStream(buckets.objectState)),
        ...createStream(objects),
        ...readStream(objects),
        ...purgeStream(objects),
        `$O.${buckets.objects}.>`,
      ]);
    case "outbound":
      // Takes file.stored events, says how deliveries went, keeps its dead letters and its records; reads (never
      // writes) endpoints, pipelines and pulls.
      return base(identity, [
        "wharf.evt.v1.transfer.>",
        subjects.deadLetter,
        ...createStream(events),
        ...readStream(events),
        ...createStream(deadLetters),
        ...readStream(deadLetters),
        ...readBucket(buckets.endpoints),
        ...readBucket(buckets.pipelines),
        ...readBucket(buckets.pulls),
        ...writeBucket(buckets.pullState),
        ...writeBucket(buckets.deliveries),
      ]);
    case "admin":
      // The operator's CLI: changes configuration, replays dead letters, reads history. Its credentials are
      // the keys to everything: keep them off the machines that face partners.
      return { publish: [">"], subscribe: [">"], allowResponses: false };
  }
}
