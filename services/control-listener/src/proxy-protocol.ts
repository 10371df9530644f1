import type { Socket } from "node:net";

/**
 * The PROXY protocol (HAProxy's proxy-protocol.txt, versions 1 and 2): a TCP
 * load balancer in front of the listener writes one header before the
 * client's first byte, naming the client's real address. Behind HAProxy every
 * connection otherwise comes from the balancer, so per-address limits, bans,
 * logs and the data connection's peer check would all see one address.
 */

/** The client a header names; `undefined` for a LOCAL (v2) or UNKNOWN (v1) header: the balancer's own connection, e.g. a health check. */
export type ProxiedSource = { address: string; port: number } | undefined;

export interface ParsedHeader {
  /** Bytes of the header: what follows is the client's own stream. */
  length: number;
  source: ProxiedSource;
}

export class ProxyHeaderError extends Error {
  override name = "ProxyHeaderError";
}

const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_PREFIX = Buffer.from("PROXY ");
/** Version 1's longest line, CRLF included (the specification's 107 bytes). */
const V1_MAX = 107;
/** Version 2's address block plus TLVs; HAProxy's TLVs (ALPN, SSL, unique id) stay well below this. */
const V2_MAX_BODY = 2_048;

/**
 * Parses a header at the start of `data`: the header, `undefined` when more
 * bytes are needed, or a ProxyHeaderError when these bytes cannot be a header.
 */
export function parseProxyHeader(data: Buffer): ParsedHeader | undefined {
  const v2Prefix = Math.min(data.length, V2_SIGNATURE.length);
  if (data.subarray(0, v2Prefix).equals(V2_SIGNATURE.subarray(0, v2Prefix))) return data.length < 16 ? undefined : parseV2(data);
  const v1Prefix = Math.min(data.length, V1_PREFIX.length);
  if (data.subarray(0, v1Prefix).equals(V1_PREFIX.subarray(0, v1Prefix))) return parseV1(data);
  throw new ProxyHeaderError("the connection did not start with a PROXY protocol header");
}

function parseV2(data: Buffer): ParsedHeader | undefined {
  const versionCommand = data[12] as number;
  if (versionCommand >> 4 !== 2) throw new ProxyHeaderError(`unsupported PROXY protocol version ${versionCommand >> 4}`);
  const command = versionCommand & 0x0f;
  if (command > 1) throw new ProxyHeaderError(`unknown PROXY v2 command ${command}`);
  const bodyLength = data.readUInt16BE(14);
  if (bodyLength > V2_MAX_BODY) throw new ProxyHeaderError(`PROXY v2 header of ${bodyLength} bytes is too long`);
  const length = 16 + bodyLength;
  if (data.length < length) return undefined;
  // LOCAL: the balancer speaks for itself (health checks); the addresses, if any, are to be ignored.
  if (command === 0) return { length, source: undefined };
  const family = (data[13] as number) >> 4;
  const transport = (data[13] as number) & 0x0f;
  if (transport !== 1) throw new ProxyHeaderError("PROXY v2 header for a transport other than TCP");
  if (family === 1) {
    if (bodyLength < 12) throw new ProxyHeaderError("PROXY v2 IPv4 address block is too short");
    return { length, source: { address: [...data.subarray(16, 20)].join("."), port: data.readUInt16BE(24) } };
  }
  if (family === 2) {
    if (bodyLength < 36) throw new ProxyHeaderError("PROXY v2 IPv6 address block is too short");
    const groups = Array.from({ length: 8 }, (_, index) => data.readUInt16BE(16 + index * 2).toString(16));
    return { length, source: { address: compactIpv6(groups), port: data.readUInt16BE(48) } };
  }
  throw new ProxyHeaderError(`PROXY v2 header for address family ${family}, which FTP cannot use`);
}

function parseV1(data: Buffer): ParsedHeader | undefined {
  const end = data.indexOf("\r\n");
  if (end < 0) {
    if (data.length >= V1_MAX) throw new ProxyHeaderError("PROXY v1 line is too long");
    return undefined;
  }
  const fields = data.subarray(0, end).toString("latin1").split(" ");
  const length = end + 2;
  if (fields[1] === "UNKNOWN") return { length, source: undefined };
  const [, protocol, source, , sourcePort] = fields;
  const port = Number(sourcePort);
  const shaped = fields.length === 6 && (protocol === "TCP4" ? /^\d{1,3}(\.\d{1,3}){3}$/ : /^[0-9a-fA-F:.]+$/).test(source ?? "");
  if ((protocol !== "TCP4" && protocol !== "TCP6") || !shaped || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ProxyHeaderError("malformed PROXY v1 line");
  }
  return { length, source: { address: (source as string).toLowerCase(), port } };
}

/** The shortest spelling of an IPv6 address (RFC 5952), and IPv4-mapped ones as plain IPv4, as Node reports peers. */
function compactIpv6(groups: string[]): string {
  if (groups.slice(0, 5).every((group) => group === "0") && groups[5] === "ffff") {
    const [high, low] = [Number.parseInt(groups[6] as string, 16), Number.parseInt(groups[7] as string, 16)];
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  let best = { start: -1, length: 0 };
  for (let start = 0; start < 8; ) {
    let end = start;
    while (end < 8 && groups[end] === "0") end++;
    if (end - start > best.length && end - start > 1) best = { start, length: end - start };
    start = end === start ? start + 1 : end;
  }
  if (best.start < 0) return groups.join(":");
  return `${groups.slice(0, best.start).join(":")}::${groups.slice(best.start + best.length).join(":")}`;
}

/**
 * Reads the header off a fresh connection and leaves everything after it
 * buffered on the socket for whoever reads next (the FTP session, or a TLS
 * handshake: Node's TLSSocket takes bytes already buffered on the socket it
 * wraps). Rejects when the bytes are no header, or none came in `timeoutMs`.
 */
export function readProxyHeader(socket: Socket, timeoutMs: number): Promise<ProxiedSource> {
  return new Promise((resolve, reject) => {
    let seen = Buffer.alloc(0);
    const finish = (outcome: { source: ProxiedSource } | { error: Error }) => {
      clearTimeout(timer);
      socket.off("readable", onReadable);
      socket.off("close", onClose);
      if ("error" in outcome) reject(outcome.error);
      else resolve(outcome.source);
    };
    const timer = setTimeout(() => finish({ error: new ProxyHeaderError(`no PROXY protocol header within ${timeoutMs} ms`) }), timeoutMs);
    const onClose = () => finish({ error: new ProxyHeaderError("the connection closed before its PROXY protocol header") });
    const onReadable = () => {
      for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null) {
        seen = Buffer.concat([seen, chunk]);
        let header: ParsedHeader | undefined;
        try {
          header = parseProxyHeader(seen);
        } catch (error) {
          return finish({ error: error as Error });
        }
        if (!header) continue;
        // What came with the header belongs to the client: back onto the socket, in order.
        if (seen.length > header.length) socket.unshift(seen.subarray(header.length));
        return finish({ source: header.source });
      }
    };
    socket.on("readable", onReadable);
    socket.once("close", onClose);
  });
}
