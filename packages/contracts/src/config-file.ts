import { z } from "zod";
import { EndpointFileConfig, PipelineConfig, PullConfig } from "./outbound.js";
import { PortConfig } from "./ports.js";
import { isValidUserName, UserRecord } from "./users.js";

/** The file `wharf apply -f` reads. */
export const WharfConfigFile = z
  .object({
    ports: z.array(PortConfig).default([]),
    /** Users to create or update (users not listed are left alone). A password is given only as an argon2id hash. */
    users: z.array(UserRecord).default([]),
    /** Partners' servers; the file describes every endpoint (ones not listed are removed). */
    endpoints: z.array(EndpointFileConfig).default([]),
    /** Push pipelines; the file describes every pipeline (ones not listed are removed). */
    pipelines: z.array(PipelineConfig).default([]),
    /** Pulls from partners; the file describes every pull (ones not listed are removed). */
    pulls: z.array(PullConfig).default([]),
  })
  .strict()
  .superRefine((file, context) => {
    const aliases = new Map<string, number>();
    const bindings = new Map<string, number>();
    file.ports.forEach((port, index) => {
      const sameAlias = aliases.get(port.alias.toLowerCase());
      if (sameAlias !== undefined) context.addIssue({ code: "custom", path: ["ports", index, "alias"], message: `is already used by ports[${sameAlias}]` });
      aliases.set(port.alias.toLowerCase(), index);
      const binding = `${port.bindAddress}:${port.port}`;
      const samePort = bindings.get(binding);
      if (samePort !== undefined && port.enabled) context.addIssue({ code: "custom", path: ["ports", index, "port"], message: `${binding} is already used by ports[${samePort}]` });
      if (port.enabled) bindings.set(binding, index);
    });
    const names = new Map<string, number>();
    file.users.forEach((user, index) => {
      if (!isValidUserName(user.name)) context.addIssue({ code: "custom", path: ["users", index, "name"], message: '"anonymous" and "ftp" cannot be user names' });
      const same = names.get(user.name.toLowerCase());
      if (same !== undefined) context.addIssue({ code: "custom", path: ["users", index, "name"], message: `is already used by users[${same}]` });
      names.set(user.name.toLowerCase(), index);
    });
    const endpoints = new Map<string, number>();
    file.endpoints.forEach((endpoint, index) => {
      const same = endpoints.get(endpoint.name);
      if (same !== undefined) context.addIssue({ code: "custom", path: ["endpoints", index, "name"], message: `is already used by endpoints[${same}]` });
      endpoints.set(endpoint.name, index);
    });
    const pipelines = new Map<string, number>();
    file.pipelines.forEach((pipeline, index) => {
      const same = pipelines.get(pipeline.name);
      if (same !== undefined) context.addIssue({ code: "custom", path: ["pipelines", index, "name"], message: `is already used by pipelines[${same}]` });
      pipelines.set(pipeline.name, index);
      if (!endpoints.has(pipeline.target)) context.addIssue({ code: "custom", path: ["pipelines", index, "target"], message: `names no endpoint of this file ("${pipeline.target}")` });
    });
    const pulls = new Map<string, number>();
    file.pulls.forEach((pull, index) => {
      const same = pulls.get(pull.name);
      if (same !== undefined) context.addIssue({ code: "custom", path: ["pulls", index, "name"], message: `is already used by pulls[${same}]` });
      pulls.set(pull.name, index);
      if (!endpoints.has(pull.source.endpoint)) context.addIssue({ code: "custom", path: ["pulls", index, "source", "endpoint"], message: `names no endpoint of this file ("${pull.source.endpoint}")` });
    });
  });
export type WharfConfigFile = z.output<typeof WharfConfigFile>;

