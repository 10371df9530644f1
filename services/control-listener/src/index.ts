export * from "./auth-client.js";
export * from "./commands/index.js";
export * from "./config.js";
export * from "./ftp-server.js";
export * from "./metrics.js";
export * from "./tls-contexts.js";
