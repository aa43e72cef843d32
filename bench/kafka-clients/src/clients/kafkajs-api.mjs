// The eachBatch handler both KafkaJS-style clients (kafkajs and confluent's KafkaJS-compatible API) run:
// resolve and commit the batch's last offset, then count the batch.
export function commitEachBatch(consumer, topic, onBatch) {
  return async ({ batch, resolveOffset }) => {
    const last = batch.messages[batch.messages.length - 1];
    if (!last) return;
    resolveOffset(last.offset);
    await consumer.commitOffsets([
      { topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() },
    ]);
    onBatch(batch.messages.length);
  };
}
