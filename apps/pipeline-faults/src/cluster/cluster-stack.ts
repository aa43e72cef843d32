import { join, resolve } from 'node:path';
import { CLUSTER_PIPELINE_COMPONENTS, integrationSettings, ownClusterEnv } from '@sparkflow/testing';

const REPO = resolve(__dirname, '..', '..', '..', '..');

/**
 * The cluster the cluster fault tests start for themselves: a home and ports of their own (31xxx), so it
 * never meets the single-node stack the other integration tests use, whether that one runs or not.
 */
export const CLUSTER_HOME = join(REPO, '.sparkflow-cluster');

export const CLUSTER_ENV = ownClusterEnv(process.env, CLUSTER_HOME, 31);

/** The `sparkflow` command as a person runs it: spawned, never imported (apps do not import apps). */
export const SPARKFLOW_CLI = join(REPO, 'apps', 'cli', 'bin', 'sparkflow');

/** How the tests' own clients reach that cluster: every broker and every Cassandra node. */
export const clusterSettings = () => integrationSettings(CLUSTER_ENV);

/** What the fault test needs of the cluster. */
export const CLUSTER_COMPONENTS = CLUSTER_PIPELINE_COMPONENTS;
