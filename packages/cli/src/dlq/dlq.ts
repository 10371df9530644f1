import { jetstreamManager } from "@nats-io/jetstream";
import { publishEvent, openBucket } from "@wharf/bus";
import { buckets, DeadLetter, deliveryKey, FileStoredEvent, streams, subjects } from "@wharf/contracts";
import { auditReplay } from "../audit/audited-bucket.js";
import { createConfigAudit } from "../audit/config-audit.js";
import { cliReplicas, connectForCli } from "../ports/apply.js";

const USAGE = "usage: wharf dlq ls | wharf dlq replay SEQ... | wharf dlq replay --all [--pipeline NAME]";

/**
 * `wharf dlq ls`: deliveries outbound gave up on (the WHARF_DLQ stream), one
 * line each. `wharf dlq replay`: gives them another full set of tries: the
 * pipeline's record of the failure is dropped, the original file.stored event
 * is published again (other pipelines that delivered it skip it), and the
 * dead letter is removed.
 */
export async function dlqCommand(args: readonly string[], env: NodeJS.ProcessEnv, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const parsed = parseArgs(args);
  if (!parsed) {
    err(USAGE);
    return 2;
  }
  const { sub, all, pipeline, numbers } = parsed;
  const nc = await connectForCli(env);
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(streams.deadLetters.name).catch(() => undefined);
    const letters: Array<{ seq: number; time: string; letter: DeadLetter }> = [];
    if (info && info.state.messages > 0) {
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        const message = await jsm.streams.getMessage(streams.deadLetters.name, { seq }).catch(() => null);
        if (!message) continue;
        const parsed = DeadLetter.safeParse(message.json());
        if (parsed.success) letters.push({ seq, time: message.time.toISOString(), letter: parsed.data });
      }
    }
    if (sub === "ls") {
      out("SEQ\tFAILED AT\tPIPELINE\tENDPOINT\tPATH\tATTEMPTS\tREASON");
      for (const { seq, time, letter } of letters) {
        const event = FileStoredEvent.safeParse(letter.event);
        out(`${seq}\t${time}\t${letter.pipeline}\t${letter.endpoint}\t${event.success ? `${event.data.root}:${event.data.path}` : "?"}\t${letter.attempts}\t${letter.reason}`);
      }
      return 0;
    }
    const chosen = all ? letters.filter(({ letter }) => pipeline === undefined || letter.pipeline === pipeline) : letters.filter(({ seq }) => numbers.includes(seq));
    const missing = all ? [] : numbers.filter((n) => !chosen.some(({ seq }) => seq === n));
    for (const seq of missing) err(`no dead letter ${seq}`);
    let leftInPlace = 0;
    const deliveries = await openBucket(nc, buckets.deliveries, { replicas: cliReplicas(env) });
    const pipelines = await openBucket(nc, buckets.pipelines, { replicas: cliReplicas(env) });
    // Each replay is an audited admin action: a config.changed event ("replay", the letter's sequence number), or the command stops.
    const audit = createConfigAudit(nc, env, "dlq replay", { replicas: cliReplicas(env) });
    if (chosen.length > 0) await audit.ready();
    for (const { seq, letter } of chosen) {
      const event = FileStoredEvent.safeParse(letter.event);
      if (!event.success) {
        err(`dead letter ${seq}: its event is not a file.stored event; left in place`);
        leftInPlace++;
        continue;
      }
      // Replayed, the event would be acknowledged as matching no pipeline: the letter would be gone for nothing.
      if ((await pipelines.get(letter.pipeline))?.operation !== "PUT") {
        err(`dead letter ${seq}: pipeline ${letter.pipeline} no longer exists; left in place`);
        leftInPlace++;
        continue;
      }
      // Only a record of the failure is dropped: if the file was delivered since (a replay run twice), it stays
      // recorded, and the replayed event finds it and sends nothing.
      const key = deliveryKey(letter.pipeline, event.data);
      const record = await deliveries.get(key);
      if (record?.operation === "PUT" && record.json<{ status: string }>().status === "dead_lettered") await deliveries.delete(key, { previousSeq: record.revision });
      await publishEvent(nc, subjects.fileStored, event.data, { msgId: `replay-${seq}-${Date.now()}` });
      await jsm.streams.deleteMessage(streams.deadLetters.name, seq);
      await auditReplay(audit, streams.deadLetters.name, seq);
      out(`dead letter ${seq}: replayed (${letter.pipeline}, ${event.data.root}:${event.data.path})`);
    }
    return missing.length > 0 || leftInPlace > 0 ? 1 : 0;
  } finally {
    await nc.close();
  }
}

/** `ls`, or `replay` with sequence numbers, or `replay --all [--pipeline NAME]`; undefined for anything else. */
function parseArgs(args: readonly string[]): { sub: "ls" | "replay"; all: boolean; pipeline: string | undefined; numbers: number[] } | undefined {
  const [sub, ...rest] = args;
  if (sub === "ls") return rest.length === 0 ? { sub, all: false, pipeline: undefined, numbers: [] } : undefined;
  if (sub !== "replay") return undefined;
  let all = false;
  let pipeline: string | undefined;
  const numbers: number[] = [];
  for (let index = 0; index < rest.length; index++) {
    const arg = rest[index] as string;
    if (arg === "--all") all = true;
    else if (arg === "--pipeline") {
      pipeline = rest[++index];
      if (!pipeline) return undefined;
    } else if (/^[1-9]\d{0,15}$/.test(arg)) numbers.push(Number(arg));
    else return undefined;
  }
  // Either sequence numbers or --all; --pipeline narrows --all.
  if (all === numbers.length > 0 || (pipeline !== undefined && !all)) return undefined;
  return { sub, all, pipeline, numbers };
}
