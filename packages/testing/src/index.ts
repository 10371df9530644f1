export * from "./certificates.js";
export * from "./free-port.js";
export * from "./nats-server.js";
export * from "./wait-for.js";
export * from "./ftp-control.js";
export * from "./stream-messages.js";
export * from "./python-clients.js";
export * from "./test-ca.js";
