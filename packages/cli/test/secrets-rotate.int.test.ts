import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import type { KV } from "@nats-io/kv";
import { openBucket } from "@wharf/bus";
import { buckets, EndpointConfig, type SealedSecret } from "@wharf/contracts";
import { Keyring, open, seal } from "@wharf/secrets";
import { useTestBus } from "@wharf/testing";
import { endpointSecretPlace } from "../src/secrets/endpoint-secrets.js";
import { rotateEndpointSecrets } from "../src/secrets/secrets-command.js";

const bus = useTestBus("rotate-test");
const oldKey = randomBytes(32);
const newKey = randomBytes(32);
const older = new Keyring([oldKey]);
const ring = new Keyring([newKey, oldKey]);
const place = endpointSecretPlace("acme", "password");

const endpoint = (host: string, password: string) =>
  EndpointConfig.parse({ name: "acme", host, user: "u", trust: { insecure: true }, password: { sealed: seal(older, password, place) } });

test("rotate - a change made between rotate's read and its write is not overwritten: the entry is read again and the new secret re-wrapped", async () => {
  const kv = await openBucket(bus.nc, buckets.endpoints);
  await kv.put("acme", JSON.stringify(endpoint("old.example", "old-password")));
  // A concurrent `wharf apply` replaces the endpoint (another host, another password) after rotate has read it.
  let raced = false;
  const racing = new Proxy(kv, {
    get(target, property) {
      if (property === "update") {
        return async (key: string, body: string, revision: number) => {
          if (!raced) {
            raced = true;
            await target.put(key, JSON.stringify(endpoint("new.example", "new-password")));
          }
          return target.update(key, body, revision);
        };
      }
      const value = Reflect.get(target, property);
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as KV;
  const lines: string[] = [];
  const problems: string[] = [];
  assert.equal(await rotateEndpointSecrets(racing, ring, (line) => lines.push(line), (line) => problems.push(line)), 0, problems.join("\n"));
  assert.ok(raced);
  const stored = EndpointConfig.parse((await kv.get("acme"))?.json());
  assert.equal(stored.host, "new.example", "the concurrent change is kept");
  assert.equal(stored.password?.sealed?.kid, ring.current);
  assert.equal(open(new Keyring([newKey]), stored.password?.sealed as SealedSecret, place), "new-password");
  assert.deepEqual(lines, [`key ${older.current}: 1 sealed secret re-wrapped under ${ring.current}`], "counted once, for the write that was made");
});
