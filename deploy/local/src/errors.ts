/** A problem with the machine or a server that the person running the stack can fix; exit code 1. */
export class SetupError extends Error {}

/** Bad arguments or settings; exit code 2. */
export class UsageError extends SetupError {}
