import { Kafka, logLevel, type LogEntry } from 'kafkajs';

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
}

/** A kafkajs client whose log lines go to the given logger instead of the console. */
export function createKafka(
  s: KafkaSettings,
  log?: (level: 'error' | 'warn' | 'info', message: string, extra: object) => void,
): Kafka {
  return new Kafka({
    clientId: s.clientId,
    brokers: s.brokers,
    connectionTimeout: 3000,
    requestTimeout: 30000,
    retry: { initialRetryTime: 300, retries: 8 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...extra } = entry;
        const name = level === logLevel.ERROR ? 'error' : level === logLevel.WARN ? 'warn' : 'info';
        if (log) log(name, `kafkajs: ${message}`, extra);
        // Without a logger, warnings and errors still reach the service's log as JSON lines.
        else
          process.stderr.write(
            `${JSON.stringify({ level: name, time: new Date().toISOString(), msg: `kafkajs: ${message}`, ...extra })}\n`,
          );
      },
  });
}
