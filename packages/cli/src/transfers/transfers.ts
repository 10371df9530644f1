import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { scanSubjects } from "@wharf/bus";
import { eventTypes, streams, type TransferEvent } from "@wharf/contracts";
import { connectForCli } from "../ports/apply.js";
import { collectHistories, type FileHistory, lastByPipeline, statusOf, type TransferStatus, transferStatuses } from "./history.js";

const USAGE = "usage: wharf transfers ls [--user USER] [--since TIME] [--status STATUS] [--limit N] | wharf transfers show ID [--since TIME]";
const DAY_MS = 86_400_000;

interface ListOptions {
  user: string | undefined;
  since: Date | undefined;
  status: TransferStatus | undefined;
  limit: number;
}

/**
 * `wharf transfers ls`: the files stored since a time (the last 24 hours by
 * default), newest last, each with who sent it, its checksum, and where it
 * stands with the pipelines that deliver it. `wharf transfers show ID`: one
 * stored version's whole history. Both read the event stream, which keeps
 * events WHARF_EVENTS_RETENTION_DAYS (30) days.
 */
export async function transfersCommand(args: readonly string[], env: NodeJS.ProcessEnv, out: (line: string) => void, err: (line: string) => void, now = new Date()): Promise<number> {
  const parsed = parseArgs(args, now);
  if (typeof parsed === "string") {
    err(parsed);
    err(USAGE);
    return 2;
  }
  const nc = await connectForCli(env);
  try {
    const since = parsed.sub === "ls" ? (parsed.options.since ?? new Date(now.getTime() - DAY_MS)) : parsed.since;
    const histories = collectHistories(await readEvents(nc, since));
    if (parsed.sub === "show") {
      const history = histories.get(parsed.id);
      if (!history) {
        err(`no stored file with id ${parsed.id} in the event stream${since ? ` since ${since.toISOString()}` : ""} (it keeps events WHARF_EVENTS_RETENTION_DAYS days)`);
        return 1;
      }
      for (const line of describe(history)) out(line);
      return 0;
    }
    const { user, status, limit } = parsed.options;
    const chosen = [...histories.values()].filter((history) => (user === undefined || history.stored.user === user) && (status === undefined || statusOf(history) === status));
    out("STORED AT\tID\tUSER\tPORT\tFILE\tSIZE\tSHA-256\tSTATUS\tDELIVERIES");
    for (const history of chosen.slice(-limit)) {
      const { stored } = history;
      out([stored.storedAt, stored.uploadId, stored.user, stored.portAlias, `${stored.root}:${stored.path}`, stored.size, `${stored.sha256.slice(0, 12)}…`, statusOf(history), deliveries(history)].join("\t"));
    }
    if (chosen.length > limit) err(`${chosen.length - limit} earlier ones not shown (--limit)`);
    return 0;
  } finally {
    await nc.close();
  }
}

/** The file.stored and transfer events since a time (all of them without one), in stream order. */
async function readEvents(nc: Awaited<ReturnType<typeof connectForCli>>, since: Date | undefined): Promise<unknown[]> {
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(streams.events.name).catch(() => undefined);
  if (!info || info.state.messages === 0) return [];
  const bodies: unknown[] = [];
  // One filter for both kinds: nats-server 2.9 takes a single filter subject per consumer.
  for await (const message of scanSubjects(js, jsm, streams.events.name, "wharf.evt.v1.>", { deliver: since ? { since } : "all", batch: 512 })) {
    if (message.subject.startsWith("wharf.evt.v1.login.")) continue;
    try {
      bodies.push(message.json());
    } catch {
      // Not JSON: not an event this command reads.
    }
  }
  return bodies;
}

/** "pipeline→endpoint: status (tries)" for each pipeline that took the file. */
function deliveries(history: FileHistory): string {
  const parts = [...lastByPipeline(history).values()].map((last) => {
    const tries = history.transfers.filter((transfer) => transfer.pipeline === last.pipeline && transfer.type === eventTypes.transferStarted).length;
    const where = last.type === eventTypes.transferCompleted ? ` ${last.remotePath}` : "";
    return `${last.pipeline}→${last.endpoint}: ${outcomeOf(last)}${where} (${tries} ${tries === 1 ? "try" : "tries"})`;
  });
  return parts.join("; ") || "-";
}

function outcomeOf(transfer: TransferEvent): string {
  return transfer.type.replace("wharf.evt.v1.transfer_", "").replace("dead_lettered", "dead-lettered");
}

/** The lines of `wharf transfers show`. */
export function describe(history: FileHistory): string[] {
  const { stored } = history;
  const lines = [
    `file       ${stored.root}:${stored.path}`,
    `id         ${stored.uploadId}`,
    `stored at  ${stored.storedAt}`,
    `sent by    ${stored.user} (port ${stored.portAlias}, session ${stored.sessionId})`,
    `size       ${stored.size} bytes`,
    `sha-256    ${stored.sha256}`,
    `status     ${statusOf(history)}`,
    "history",
    `  ${stored.storedAt}  stored`,
  ];
  for (const transfer of history.transfers) {
    const details = [
      transfer.remotePath,
      transfer.reply,
      transfer.verified ? `verified ${transfer.verified}` : undefined,
      transfer.tls,
      transfer.sessionReused === undefined ? undefined : transfer.sessionReused ? "session reused" : "new session",
      transfer.reason,
      transfer.durationMs === undefined ? undefined : `${transfer.durationMs} ms`,
    ].filter((detail) => detail !== undefined);
    lines.push(`  ${transfer.at}  ${transfer.pipeline} → ${transfer.endpoint}  try ${transfer.attempt} ${outcomeOf(transfer)}${details.length ? `: ${details.join(", ")}` : ""}`);
  }
  return lines;
}

/** ls with its filters, or show with an id; a string says what is wrong. */
function parseArgs(args: readonly string[], now: Date): { sub: "ls"; options: ListOptions } | { sub: "show"; id: string; since: Date | undefined } | string {
  const [sub, ...rest] = args;
  if (sub !== "ls" && sub !== "show") return sub ? `wharf transfers: unknown subcommand "${sub}"` : "wharf transfers: ls or show?";
  const options: ListOptions = { user: undefined, since: undefined, status: undefined, limit: 200 };
  let id: string | undefined;
  for (let index = 0; index < rest.length; index++) {
    const arg = rest[index] as string;
    const value = rest[index + 1];
    if (arg.startsWith("--") && value === undefined) return `${arg} needs a value`;
    if (arg === "--since") {
      const since = parseSince(value as string, now);
      if (!since) return `--since ${value}: not a time (2026-11-22, 2026-11-22T08:00:00Z) or an age (30m, 12h, 7d)`;
      options.since = since;
      index++;
    } else if (arg === "--user" && sub === "ls") {
      options.user = value;
      index++;
    } else if (arg === "--status" && sub === "ls") {
      if (!transferStatuses.includes(value as TransferStatus)) return `--status ${value}: one of ${transferStatuses.join(", ")}`;
      options.status = value as TransferStatus;
      index++;
    } else if (arg === "--limit" && sub === "ls") {
      if (!/^[1-9]\d{0,6}$/.test(value as string)) return `--limit ${value}: a whole number from 1`;
      options.limit = Number(value);
      index++;
    } else if (sub === "show" && id === undefined && !arg.startsWith("--")) id = arg;
    else return `wharf transfers ${sub}: unexpected "${arg}"`;
  }
  if (sub === "show") return id ? { sub, id, since: options.since } : "wharf transfers show: which ID? (the ID column of wharf transfers ls)";
  return { sub, options };
}

/** An ISO date or time, or an age back from now: 90s, 30m, 12h, 7d. */
export function parseSince(text: string, now: Date): Date | undefined {
  const age = /^(\d{1,6})([smhd])$/.exec(text);
  if (age) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: DAY_MS }[age[2] as "s" | "m" | "h" | "d"];
    return new Date(now.getTime() - Number(age[1]) * unit);
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : new Date(time);
}
