// The error model lives in @sparkflow/errors (every layer may import it); re-exported here so code that
// imported it from the Kafka transport keeps compiling.
export * from '@sparkflow/errors';
export * from './kafka-errors';
