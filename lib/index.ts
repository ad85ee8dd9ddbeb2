export { defineQueues, job, DEFAULT_RETENTION } from './definition/define';
export type {
  JobDefaults, JobDefinition, SchemaJobDefinition, QueueDefinition, QueueDefinitions, QueueSet,
  QueueNameOf, JobNameOf, JobDataOf, JobHandlerDataOf, JobResultOf, JobReturnOf, StoredResult, SchedulesOf,
} from './definition/define';
export type { ScheduleDefinition, ScheduleJobOptions, ScheduleDate } from './definition/schedule';
export type { StandardSchemaV1 } from './definition/standard-schema';
export { createQueueClient, QueueClient } from './client';
export type { QueueClientOptions } from './client';
export type { ConnectionInput } from './connection/connections';
export { Producer } from './producer/producer';
export type { EnqueuedJob, BulkEnqueuedJob, BulkJob, AddAndWaitOptions } from './producer/producer';
export { jobMetadata } from './producer/job-metadata';
export type { JobMetadata } from './producer/job-metadata';
export type { BeforeAddHook, PendingJob } from './producer/add-hooks';
export { DEFAULT_IDEMPOTENCY_WINDOW, IDEMPOTENCY_KEY_HEADER, REQUEST_ID_HEADER } from './producer/request-scope';
export type { RequestScope, RequestScopeOptions } from './producer/request-scope';
export type { JobOptions } from './definition/job-options';
export { EventBus } from './events/event-bus';
export type { EventMap, JobEvent, QueueEvent, JobEventName, QueueEventName, JobProgress } from './events/event-types';
export { handlers } from './workers/handlers';
export type { HandlerRegistry, HandlerMap, JobHandler, HandlerContext } from './workers/handlers';
export { startWorkers } from './workers/workers';
export type { StartWorkersOptions, WorkerGroup, ShutdownReport } from './workers/workers';
export { SCHEDULER_ID_PREFIX } from './workers/schedule-sync';
export type { ScheduleChange } from './workers/schedule-sync';
export { toHttpError } from './http/http-status';
export { createJobRoutes, JobRoutes } from './http/job-routes';
export type { JobRoutesOptions, JobRouteRequest, JobRouteAnswer } from './http/job-routes';
export type { JobAccessOptions, JobToAuthorize } from './http/job-access';
export { readJobStatus } from './http/job-status';
export type { JobStatus, PublicJobState } from './http/job-status';
export type { HealthReport, QueueHealth, LocalWorkerHealth } from './connection/health';
export type { EvictionPolicyFinding } from './connection/eviction-policy';
export type { Logger } from './logger';
export type { Register, RegisteredQueues, RegisteredProducer } from './definition/register';
export * from './errors';
