/**
 * The exit code of a service that refused its settings (sysexits' EX_CONFIG). Whoever runs the service
 * reads it as "do not restart": the same settings would be refused again. The native stack's supervisor
 * stops there and `stack up` exits 2 naming the setting; Kubernetes shows it as the container's exit code.
 */
export const EXIT_INVALID_CONFIGURATION = 78;
