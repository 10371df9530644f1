import { WharfError } from "@wharf/contracts";

/**
 * Maps a filesystem error to a WharfError. Messages are generic on purpose:
 * they reach partners, so they never name a server path.
 */
export function fromFsError(reason: unknown): WharfError {
  if (reason instanceof WharfError) return reason;
  switch ((reason as NodeJS.ErrnoException)?.code) {
    case "ENOENT":
      return new WharfError("WHARF_NOT_FOUND", "no such file or folder", { cause: reason });
    case "EEXIST":
      return new WharfError("WHARF_ALREADY_EXISTS", "already exists", { cause: reason });
    case "ENOTDIR":
      return new WharfError("WHARF_NOT_A_DIRECTORY", "not a folder", { cause: reason });
    case "EISDIR":
      return new WharfError("WHARF_IS_A_DIRECTORY", "is a folder", { cause: reason });
    case "ENOTEMPTY":
      return new WharfError("WHARF_DIRECTORY_NOT_EMPTY", "folder not empty", { cause: reason });
    case "EACCES":
    case "EPERM":
    case "ELOOP":
      return new WharfError("WHARF_PERMISSION_DENIED", "permission denied", { cause: reason });
    case "EINVAL":
      // rename() of a folder into itself, the one EINVAL a valid path can cause.
      return new WharfError("WHARF_INVALID_ARGUMENT", "a folder cannot move into itself", { cause: reason });
    case "ENAMETOOLONG":
      return new WharfError("WHARF_INVALID_PATH", "file name is too long", { cause: reason });
    case "ENOSPC":
    case "EDQUOT":
    case "EFBIG":
      return new WharfError("WHARF_STORAGE_FULL", "storage is full", { cause: reason });
    default:
      return WharfError.from(reason);
  }
}
