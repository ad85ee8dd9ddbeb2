/** The environment variables through which a worker tells its sandbox children which module to load. */
export const SANDBOX_ENV = {
  module: 'QUEUEWIRE_SANDBOX_MODULE',
  queue: 'QUEUEWIRE_SANDBOX_QUEUE',
  /** JSON array of the job names sent to this module, checked when it loads. */
  jobs: 'QUEUEWIRE_SANDBOX_JOBS',
} as const;
