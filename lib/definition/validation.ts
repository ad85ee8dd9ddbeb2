import { ValidationError, type ValidationIssue } from '../errors';
import { appendKey } from './plain-json';
import type { StandardSchemaV1 } from './standard-schema';

/**
 * Runs a job name's Standard Schema over its data, awaiting async schemas. Resolves with the schema's
 * output (its transforms and defaults applied); rejects with `ValidationError` listing every issue
 * with its path (`data.items[1].qty`). A schema that throws instead of reporting issues rejects with
 * that error unchanged: it is a bug in the schema, not bad data.
 */
export async function validateJobData(
  schema: StandardSchemaV1,
  data: unknown,
  job: { queue: string; name: string; where: string },
): Promise<unknown> {
  const result = await schema['~standard'].validate(data);
  if (result.issues) throw new ValidationError(job.queue, job.name, result.issues.map(toIssue), job.where);
  return result.value;
}

function toIssue(issue: StandardSchemaV1.Issue): ValidationIssue {
  let path = 'data';
  for (const segment of issue.path ?? []) {
    const key = typeof segment === 'object' && segment !== null ? segment.key : segment;
    if (typeof key === 'number') path += `[${key}]`;
    else if (typeof key === 'symbol') path += `[${key.toString()}]`;
    else path = appendKey(path, String(key));
  }
  return { path, message: String(issue.message) };
}
