export * from "./password-hash.js";

export * from "./user-store.js";
export * from "./config.js";
export * from "./service.js";
export * from "./defender.js";
export * from "./certificate-identity.js";
