export { defineQueues, job, DEFAULT_RETENTION } from './define';
export type {
  JobDefaults, JobDefinition, QueueDefinition, QueueDefinitions, QueueSet,
  QueueNameOf, JobNameOf, JobDataOf, JobResultOf, JobReturnOf, StoredResult,
} from './define';
export { createQueueClient, QueueClient } from './client';
export type { QueueClientOptions } from './client';
export type { ConnectionInput } from './connections';
export { Producer } from './producer';
export type { EnqueuedJob, BulkEnqueuedJob, BulkJob, AddAndWaitOptions } from './producer';
export type { JobOptions } from './job-options';
export { EventBus } from './event-bus';
export type { EventMap, JobEvent, QueueEvent, JobEventName, QueueEventName, JobProgress } from './event-types';
export { handlers } from './handlers';
export type { HandlerRegistry, HandlerMap, JobHandler, HandlerContext } from './handlers';
export { startWorkers } from './workers';
export type { StartWorkersOptions, WorkerGroup, ShutdownReport } from './workers';
export { toHttpError } from './http-status';
export { createJobRoutes, JobRoutes } from './job-routes';
export type { JobRoutesOptions, JobRouteRequest, JobRouteAnswer } from './job-routes';
export type { JobAccessOptions, JobToAuthorize } from './job-access';
export { readJobStatus } from './job-status';
export type { JobStatus, PublicJobState } from './job-status';
export type { HealthReport, QueueHealth, LocalWorkerHealth } from './health';
export type { EvictionPolicyFinding } from './eviction-policy';
export type { Logger } from './logger';
export type { Register, RegisteredQueues, RegisteredProducer } from './register';
export * from './errors';
