import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { stopTelemetry } from '@sparkflow/telemetry';

/** Flushes buffered spans when the service stops. */
@Injectable()
export class TelemetryLifecycle implements OnApplicationShutdown {
  onApplicationShutdown(): Promise<void> {
    return stopTelemetry();
  }
}
