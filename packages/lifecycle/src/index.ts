export * from "./readiness.js";
export * from "./shutdown.js";
