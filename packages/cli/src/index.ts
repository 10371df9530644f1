export { start } from "./start/launcher.js";
