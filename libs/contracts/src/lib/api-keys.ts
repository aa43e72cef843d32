/**
 * The rule for a `<SERVICE>_API_KEYS` setting (`INGESTION_API_KEYS`, `AUDIT_API_KEYS`), read by the services
 * (service-kit's `apiKeysEnv`) and by the native stack, which refuses a list the services would refuse
 * before it starts them. Several keys, comma-separated, so a key can be rotated without downtime.
 */
export const API_KEY_MIN_LENGTH = 8;

/** What a list that breaks the rule is told. */
export const API_KEYS_RULE = `one or more comma-separated keys of at least ${API_KEY_MIN_LENGTH} characters`;

/** The keys of a setting's value: its comma-separated entries, trimmed, empty ones dropped. */
export const apiKeysOf = (value: string): string[] =>
  value
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean);

/** Whether a list of keys follows the rule: at least one, each at least `API_KEY_MIN_LENGTH` characters. */
export const followsApiKeysRule = (keys: readonly string[]): boolean =>
  keys.length > 0 && keys.every((key) => key.length >= API_KEY_MIN_LENGTH);
