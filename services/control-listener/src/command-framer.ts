/** What the framer found in the bytes it was given. */
export type FramedItem = { kind: "line"; bytes: Buffer } | { kind: "too-long" };

/**
 * Splits the control channel's byte stream into command lines. Bytes are kept
 * until a line feed arrives, so a command split over several TCP segments
 * (or a UTF-8 character split between them) is decoded only once it is whole.
 * CRLF and a bare LF both end a line. A line longer than the cap is dropped
 * up to its end and reported once, and the buffer never grows past the cap.
 */
export class CommandFramer {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private discarding = false;

  constructor(private readonly maxLineBytes: number) {}

  push(chunk: Buffer): FramedItem[] {
    const items: FramedItem[] = [];
    let start = 0;
    for (;;) {
      const lf = chunk.indexOf(0x0a, start);
      if (lf === -1) break;
      const piece = chunk.subarray(start, lf);
      start = lf + 1;
      if (this.discarding) {
        this.discarding = false;
        this.reset();
        continue;
      }
      const line = this.pending.length > 0 ? Buffer.concat([...this.pending, piece]) : Buffer.from(piece);
      this.reset();
      const content = line.at(-1) === 0x0d ? line.subarray(0, -1) : line;
      items.push(content.length > this.maxLineBytes ? { kind: "too-long" } : { kind: "line", bytes: content });
    }
    const rest = chunk.subarray(start);
    if (this.discarding || rest.length === 0) return items;
    if (this.pendingBytes + rest.length > this.maxLineBytes + 1) {
      this.reset();
      this.discarding = true;
      items.push({ kind: "too-long" });
      return items;
    }
    this.pending.push(Buffer.from(rest));
    this.pendingBytes += rest.length;
    return items;
  }

  /** Forgets buffered bytes: after AUTH TLS nothing sent in the clear may be read as a command. */
  reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.discarding = false;
  }
}
