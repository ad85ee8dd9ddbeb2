import type { QueueClient } from '../client';
import type { HealthReport } from '../connection/health';

/**
 * The HTTP answer of a health route: 200 with the report when the process is ready, 503 when it is not
 * (Redis unreachable, or a local worker lost its connection for good), so a load balancer or
 * orchestrator can act on the status alone. Never cached.
 */
export async function healthAnswer(client: QueueClient<any>, timeout?: number): Promise<{ status: 200 | 503; headers: Record<string, string>; body: HealthReport }> {
  const report = await client.health(timeout === undefined ? {} : { timeout });
  return { status: report.ok ? 200 : 503, headers: { 'Cache-Control': 'no-store' }, body: report };
}
