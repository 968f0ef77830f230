/** The PostgreSQL layer: targets, clients, programs and throwaway clusters. */
export { connect, withClient, isQueryCanceled, clientConfigFor, sendCancelRequest } from './client.js';
export { connectionErrorFrom } from './connection-errors.js';
export {
  startCluster,
  stopAllClusters,
  sweepStaleClusters,
  CLUSTER_SUPERUSER,
  type Cluster,
  type StartClusterOptions,
} from './cluster.js';
export { createDatabase, dropDatabase, assertDatabaseName } from './databases.js';
export { PgConnectionError, ClusterError, type PgConnectionProblem, type ClusterProblem } from './errors.js';
export { findProgram, programMajor, clearProgramCache, type FindProgramOptions, type PgProgram } from './programs.js';
export { parseConnectionString, childEnvFor, redactedUrl, targetUrl, formatLabel, type PgTarget } from './target.js';
