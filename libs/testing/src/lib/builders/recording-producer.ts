/**
 * Stands in for `EventProducer` in unit specs whose subject is what a use case produces, not the broker:
 * every `send` is recorded, in order, with its topic and events. Cast it where an `EventProducer` is taken.
 */
export function recordingProducer<E = unknown>() {
  const sent: {
    topic: string;
    events: { key: string | null; event: E; headers?: Record<string, string> }[];
  }[] = [];
  const producer = {
    send: async (
      topic: string,
      events: { key: string | null; event: E; headers?: Record<string, string> }[],
    ) => {
      sent.push({ topic, events });
      return [];
    },
  };
  return { producer, sent };
}
