export * from "./service.js";
export * from "./config.js";
export * from "./probe.js";
