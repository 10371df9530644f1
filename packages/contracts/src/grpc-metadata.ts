import type { Metadata } from "@grpc/grpc-js";

/**
 * gRPC metadata seen as a string header carrier, so trace context can be
 * injected into (and extracted from) a call's metadata like NATS headers.
 */
export function metadataCarrier(metadata: Metadata) {
  return {
    get: (key: string): string | undefined => {
      const value = metadata.get(key)[0];
      return typeof value === "string" ? value : undefined;
    },
    set: (key: string, value: string): void => {
      metadata.set(key, value);
    },
  };
}
