export * from "./password-hash.js";
export * from "./user-record.js";
export * from "./user-store.js";
export * from "./config.js";
export * from "./service.js";
export * from "./defender.js";
