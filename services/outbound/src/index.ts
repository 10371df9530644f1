export * from "./service.js";
export * from "./config.js";
