import type { storage } from "@wharf/contracts";

/** A storage upload's header as the listener sends it for a plain STOR, with what a test cares about changed. */
export function uploadHeader(root: string, path: string, uploadId: string, changes: Partial<Omit<storage.WriteHeader, "location" | "uploadId">> = {}): storage.WriteHeader {
  return {
    location: { root, path },
    uploadId,
    user: root,
    sessionId: "test",
    portAlias: "test",
    offset: 0,
    append: false,
    noOverwrite: false,
    quotaBytes: 0,
    quotaFiles: 0,
    ...changes,
  };
}
