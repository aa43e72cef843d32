import { randomUUID } from 'node:crypto';

/** A name no other test run uses, for topics, groups and batches that tests create on the shared stack. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`;
}
