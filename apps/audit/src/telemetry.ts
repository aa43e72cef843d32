// Loaded before anything else: OpenTelemetry must patch http before Nest requires it.
import { startTelemetry } from '@sparkflow/telemetry';

startTelemetry('audit');
