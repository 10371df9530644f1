export * from "./connect.js";
export * from "./errors.js";
export * from "./jetstream.js";
export * from "./request.js";
export * from "./service.js";
export * from "./trace-headers.js";
export * from "./nats-server-process.js";
export * from "./follow-bucket.js";
