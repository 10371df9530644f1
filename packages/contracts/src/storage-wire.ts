import { type ChannelCredentials, type ClientOptions, makeGenericClientConstructor } from "@grpc/grpc-js";
import { type ReadResponse, StorageServiceService, type StorageServiceClient, type WriteRequest } from "./gen/wharf/storage/v1/storage.js";

/** Wire type 2 (length-delimited) of a protobuf field. */
const tagOf = (field: number) => (field << 3) | 2;

/**
 * Encodes a message whose only field is `bytes` field `field` (a data chunk):
 * one allocation and one copy. The generated encoder grows its buffer while it
 * writes and copies the bytes four times per chunk, which at upload speeds was
 * a large share of the listener's time and garbage.
 */
export function encodeChunkMessage(field: number, chunk: Uint8Array): Buffer {
  let length = chunk.byteLength;
  let header = 2;
  while (length >= 0x80) {
    length >>>= 7;
    header++;
  }
  const out = Buffer.allocUnsafe(header + chunk.byteLength);
  let at = 0;
  out[at++] = tagOf(field);
  for (length = chunk.byteLength; length >= 0x80; length >>>= 7) out[at++] = (length & 0x7f) | 0x80;
  out[at++] = length;
  out.set(chunk, at);
  return out;
}

/**
 * The bytes of a message that holds exactly one `bytes` field `field`, as a view
 * into `message` (no copy); undefined for any other message, which then goes to
 * the generated decoder.
 */
export function decodeChunkMessage(field: number, message: Buffer): Buffer | undefined {
  if (message.length < 2 || message[0] !== tagOf(field)) return undefined;
  let length = 0;
  let at = 1;
  for (let shift = 0; shift < 35; shift += 7) {
    const byte = message[at++];
    if (byte === undefined) return undefined;
    length += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return at + length === message.length ? message.subarray(at) : undefined;
  }
  return undefined;
}

const CHUNK_IN_WRITE_REQUEST = 2;
const CHUNK_IN_READ_RESPONSE = 1;
const { write, read } = StorageServiceService;

/**
 * The storage service definition used on both ends of the wire: the generated
 * one, with a direct codec for the two messages that carry file bytes (an
 * upload's chunks and a download's chunks). Every other message, and any
 * chunk message another encoder produced, goes through the generated code, so
 * the bytes on the wire are the same either way.
 */
export const storageWireService: typeof StorageServiceService = {
  ...StorageServiceService,
  write: {
    ...write,
    requestSerialize: (value: WriteRequest) =>
      value.chunk !== undefined && value.header === undefined && value.end === undefined ? encodeChunkMessage(CHUNK_IN_WRITE_REQUEST, value.chunk) : write.requestSerialize(value),
    requestDeserialize: (message: Buffer): WriteRequest => {
      const chunk = decodeChunkMessage(CHUNK_IN_WRITE_REQUEST, message);
      return chunk ? { header: undefined, chunk, end: undefined } : write.requestDeserialize(message);
    },
  },
  read: {
    ...read,
    responseSerialize: (value: ReadResponse) => (value.chunk.byteLength > 0 ? encodeChunkMessage(CHUNK_IN_READ_RESPONSE, value.chunk) : read.responseSerialize(value)),
    responseDeserialize: (message: Buffer): ReadResponse => {
      const chunk = decodeChunkMessage(CHUNK_IN_READ_RESPONSE, message);
      return chunk ? { chunk } : read.responseDeserialize(message);
    },
  },
};

/** The storage gRPC client class, on the wire service above. */
export const StorageWireClient = makeGenericClientConstructor(storageWireService, "wharf.storage.v1.StorageService") as unknown as {
  new (address: string, credentials: ChannelCredentials, options?: Partial<ClientOptions>): StorageServiceClient;
};
