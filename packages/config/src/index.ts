export * from "./common-schemas.js";
export * from "./load-config.js";
export * from "./read-files.js";
