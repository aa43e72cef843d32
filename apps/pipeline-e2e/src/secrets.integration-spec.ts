import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { kafkaPrincipalPasswords } from '@sparkflow/testing';
import { settings } from './pipeline-client';

/** Every log and trace file the stack and its services wrote under the data folder. */
function outputFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const st = statSync(path);
    if (st.isDirectory())
      return ['data', 'commitlog', 'saved_caches', 'hints'].includes(name) ? [] : outputFiles(path);
    return /\.(log|jsonl|out|err)(\.\d+)?$/.test(name) ? [path] : [];
  });
}

const keys = (name: string, list: string) =>
  Object.fromEntries(list.split(',').map((k, i) => [`${name}[${i}]`, k.trim()]));

describe('secrets', () => {
  it('never appear in any log or trace the stack wrote', () => {
    const secrets = {
      CASSANDRA_PASSWORD: settings.CASSANDRA_PASSWORD,
      POSTGRES_PASSWORD: settings.POSTGRES_PASSWORD,
      POSTGRES_ADMIN_PASSWORD: settings.POSTGRES_ADMIN_PASSWORD,
      POSTGRES_OWNER_PASSWORD: settings.POSTGRES_OWNER_PASSWORD,
      AIRFLOW_ADMIN_PASSWORD: settings.AIRFLOW_ADMIN_PASSWORD,
      AIRFLOW_DB_PASSWORD: settings.AIRFLOW_DB_PASSWORD,
      KAFKA_ADMIN_PASSWORD: settings.KAFKA_ADMIN_PASSWORD,
      ...kafkaPrincipalPasswords(),
      ...keys('INGESTION_API_KEYS', settings.INGESTION_API_KEYS),
      ...keys('AUDIT_API_KEYS', settings.AUDIT_API_KEYS),
    };
    const files = outputFiles(settings.SPARKFLOW_HOME);
    expect(files.length).toBeGreaterThan(5);
    const leaks = files.flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      return Object.entries(secrets)
        .filter(([, value]) => value.length >= 8 && text.includes(value))
        .map(([name]) => `${name} in ${file}`);
    });
    expect(leaks).toEqual([]);
  });
});
