export * from "./file-store.js";
export * from "./metrics.js";
export * from "./service.js";
export * from "./config.js";
export * from "./recovery.js";
export * from "./usage.js";
export * from "./file-metadata.js";
export * from "./storage-parts.js";
