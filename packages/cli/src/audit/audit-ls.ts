import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { scanSubjects } from "@wharf/bus";
import { ConfigChangedEvent, streams, subjects } from "@wharf/contracts";
import { connectForCli } from "../ports/apply.js";
import { parseSince } from "../transfers/transfers.js";

const USAGE = "usage: wharf audit ls [--since TIME] [--bucket NAME] [--actor NAME] [--limit N]";

interface ListOptions {
  since: Date | undefined;
  bucket: string | undefined;
  actor: string | undefined;
  limit: number;
}

/**
 * `wharf audit ls`: the configuration changes made with the CLI (and dead
 * letters replayed), newest last: when, who, with which command, which
 * bucket and key, and the digests of the value before and after. It reads
 * the config.changed events of the audit stream WHARF_AUDIT, which keeps
 * them all (no age limit); without --since, all of them.
 */
export async function auditCommand(args: readonly string[], env: NodeJS.ProcessEnv, out: (line: string) => void, err: (line: string) => void, now = new Date()): Promise<number> {
  const options = parseArgs(args, now);
  if (typeof options === "string") {
    err(options);
    err(USAGE);
    return 2;
  }
  const nc = await connectForCli(env);
  try {
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(streams.audit.name).catch(() => undefined);
    // Only the newest `limit` matching events are kept while reading: the stream may hold many.
    const shown: ConfigChangedEvent[] = [];
    let matched = 0;
    if (info && info.state.messages > 0) {
      const { since, limit } = options;
      for await (const message of scanSubjects(js, jsm, streams.audit.name, subjects.configChanged, { deliver: since ? { since } : "all", batch: 512 })) {
        let body: unknown;
        try {
          body = message.json();
        } catch {
          continue;
        }
        const event = ConfigChangedEvent.safeParse(body);
        if (!event.success || !matches(event.data, options)) continue;
        matched++;
        shown.push(event.data);
        if (shown.length > limit) shown.shift();
      }
    }
    out("TIME\tACTOR\tCOMMAND\tBUCKET/KEY\tOPERATION\tDIGEST (OLD→NEW)");
    for (const event of shown) out(describe(event));
    if (matched > shown.length) err(`${matched - shown.length} earlier ones not shown (--limit)`);
    return 0;
  } finally {
    await nc.close();
  }
}

/** --bucket takes the bucket's name with or without wharf_ (users, wharf_users); --actor the admin's name, or the NATS identity. */
function matches(event: ConfigChangedEvent, { bucket, actor }: ListOptions): boolean {
  if (bucket !== undefined && event.bucket !== bucket && event.bucket !== `wharf_${bucket}`) return false;
  return actor === undefined || event.actor.name === actor || (event.actor.identity !== "" && event.actor.identity === actor);
}

const short = (digest: string | undefined) => (digest ? digest.slice(0, 12) : "-");

/** One line of the table; the actor as name@host, and the NATS identity when there is one. */
export function describe(event: ConfigChangedEvent): string {
  const { actor } = event;
  const who = `${actor.name}@${actor.host}${actor.identity ? ` (nats: ${actor.identity})` : ""}`;
  const digests = event.operation === "replay" ? "-" : `${short(event.oldDigest)}→${short(event.newDigest)}`;
  return [event.at, who, event.command, `${event.bucket}/${event.key}`, event.operation, digests].join("\t");
}

/** The filters of ls; a string says what is wrong. */
function parseArgs(args: readonly string[], now: Date): ListOptions | string {
  const [sub, ...rest] = args;
  if (sub !== "ls") return sub ? `wharf audit: unknown subcommand "${sub}"` : "wharf audit: ls?";
  const options: ListOptions = { since: undefined, bucket: undefined, actor: undefined, limit: 200 };
  for (let index = 0; index < rest.length; index++) {
    const arg = rest[index] as string;
    const value = rest[index + 1];
    if (!["--since", "--bucket", "--actor", "--limit"].includes(arg)) return `wharf audit ls: unexpected "${arg}"`;
    if (value === undefined || value.startsWith("--")) return `${arg} needs a value`;
    index++;
    if (arg === "--since") {
      const since = parseSince(value, now);
      if (!since) return `--since ${value}: not a time (2026-11-22, 2026-11-22T08:00:00Z) or an age (30m, 12h, 7d)`;
      options.since = since;
    } else if (arg === "--limit") {
      if (!/^[1-9]\d{0,6}$/.test(value)) return `--limit ${value}: a whole number from 1`;
      options.limit = Number(value);
    } else if (arg === "--bucket") options.bucket = value;
    else options.actor = value;
  }
  return options;
}
