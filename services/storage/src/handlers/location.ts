import { type storage, WharfError } from "@wharf/contracts";

/** The location of a request; a request without one is refused. */
export function locationOf(request: { location?: storage.Location | undefined }): storage.Location {
  if (!request.location) throw new WharfError("WHARF_INVALID_ARGUMENT", "location missing");
  return request.location;
}
