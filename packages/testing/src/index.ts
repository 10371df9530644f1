export * from "./certificates.js";
export * from "./free-port.js";
export * from "./nats-server.js";
export * from "./wait-for.js";
