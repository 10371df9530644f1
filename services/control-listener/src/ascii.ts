const CR = 0x0d;
const LF = 0x0a;

/**
 * TYPE A for downloads (RFC 959 §3.1.1.1): the network form of a line end is
 * CRLF, so every LF not already preceded by CR is sent as CRLF. State carries
 * across chunks, so a CRLF split between two chunks is not doubled.
 */
export async function* toNetworkAscii(source: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  let previous = -1;
  for await (const chunk of source) {
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === LF && previous !== CR) out.push(CR);
      out.push(byte);
      previous = byte;
    }
    yield Buffer.from(out);
  }
}

/**
 * TYPE A for uploads: CRLF from the network is stored as LF (a Unix file). A
 * CR at the end of a chunk is held until the next byte shows whether it starts
 * a CRLF; a lone CR is kept as it is.
 */
export function createAsciiDecoder() {
  let heldCr = false;
  return {
    push(chunk: Buffer): Buffer {
      const out: number[] = [];
      for (const byte of chunk) {
        if (heldCr) {
          heldCr = false;
          if (byte !== LF) out.push(CR);
        }
        if (byte === CR) heldCr = true;
        else out.push(byte);
      }
      return Buffer.from(out);
    },
    end(): Buffer {
      const rest = heldCr ? Buffer.from([CR]) : Buffer.alloc(0);
      heldCr = false;
      return rest;
    },
  };
}
