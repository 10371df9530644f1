import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@wharf/bus";

/**
 * Every message on a subject that a stream holds, with its JSON body: the
 * oracle for "the event was published exactly once" and "no event".
 */
export async function streamMessages(nc: NatsConnection, stream: string, subject: string): Promise<Array<{ seq: number; body: Record<string, unknown> }>> {
  const jsm = await jetstreamManager(nc);
  const { state } = await jsm.streams.info(stream);
  const found: Array<{ seq: number; body: Record<string, unknown> }> = [];
  if (state.messages === 0) return found;
  for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
    const msg = await jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
    if (msg?.subject === subject) found.push({ seq, body: msg.json<Record<string, unknown>>() });
  }
  return found;
}
