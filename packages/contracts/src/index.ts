export * from "./errors.js";
export * from "./events/file-stored.js";
export * from "./grpc-errors.js";
export * from "./subjects.js";
export * as auth from "./gen/wharf/auth/v1/auth.js";
export * as storage from "./gen/wharf/storage/v1/storage.js";
export * from "./grpc-metadata.js";
export * from "./ports.js";
export * from "./storage-client.js";
