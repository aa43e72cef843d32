import { Controller, Get, Req, Res, ServiceUnavailableException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { prometheusExporter } from '@sparkflow/telemetry';

/** Prometheus text exposition of the service's OpenTelemetry metrics. */
@Controller('metrics')
export class MetricsController {
  @Get()
  metrics(@Req() req: Request, @Res() res: Response): void {
    const exporter = prometheusExporter();
    if (!exporter) throw new ServiceUnavailableException('telemetry is off (SPARKFLOW_TELEMETRY=off)');
    exporter.getMetricsRequestHandler(req, res);
  }
}
