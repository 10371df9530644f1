import { commonEnv, commonSettings, tcpPort } from "@wharf/config";
import { z } from "zod";

export const OutboundConfig = z
  .object({
    ...commonEnv,
    // Port of /metrics, /healthz and /readyz.
    WHARF_OUTBOUND_METRICS_PORT: tcpPort.default(9104),
  })
  .transform((env) => ({
    ...commonSettings(env),
    metricsPort: env.WHARF_OUTBOUND_METRICS_PORT,
  }));
export type OutboundConfig = z.output<typeof OutboundConfig>;
