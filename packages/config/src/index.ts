export * from "./common-schemas.js";
export * from "./load-config.js";
