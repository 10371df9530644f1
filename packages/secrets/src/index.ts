export { type SealedSecret, SecretsError, type SecretsErrorCode, open, rewrap, seal, secretPlace } from "./envelope.js";
export { Keyring, keyId } from "./keyring.js";
export { loadKeyring, type SecretsSettings, secretsEnv, secretsSettings } from "./keyring-config.js";
