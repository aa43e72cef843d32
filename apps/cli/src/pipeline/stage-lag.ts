import type { Kafka } from 'kafkajs';
import type { CliConfig } from '../cli.config';
import { withAdmin } from '../kafka/connection';
import { describeTopic, type GroupLag } from '../kafka/topics';
import { stageReaders, stalledStages, type StalledStage } from './stages';

/** Every pipeline topic's consumer groups as `topics describe` sees them, and the stages among them that are stalled. */
export async function stageLag(
  cfg: CliConfig,
  kafka: Kafka,
  stallAfterMs: number,
): Promise<{ groupsByTopic: Map<string, GroupLag[]>; stalled: StalledStage[] }> {
  const readers = stageReaders(cfg);
  const topics = [...new Set(readers.map((r) => r.topic))];
  const groupsByTopic = await withAdmin(cfg, kafka, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const out = new Map<string, GroupLag[]>();
    for (const topic of topics) {
      if (existing.has(topic)) out.set(topic, (await describeTopic(admin, kafka, topic, stallAfterMs)).groups);
    }
    return out;
  });
  return { groupsByTopic, stalled: stalledStages(readers, groupsByTopic) };
}
