import { commonEnv, commonSettings, tcpPort } from "@wharf/config";
import { z } from "zod";

export const OutboundConfig = z
  .object({
    ...commonEnv,
    // Port of /metrics, /healthz and /readyz.
    WHARF_OUTBOUND_METRICS_PORT: tcpPort.default(9104),
    // OTLP/HTTP endpoint for traces; unset means no export.
    OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  })
  .transform((env) => ({
    ...commonSettings(env),
    metricsPort: env.WHARF_OUTBOUND_METRICS_PORT,
    otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
  }));
export type OutboundConfig = z.output<typeof OutboundConfig>;
