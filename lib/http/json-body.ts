import type { IncomingMessage } from 'node:http';
import { InvalidAdminArgumentError } from '../errors';

/** The largest request body the admin routes read: their bodies are a few options. */
export const MAX_ADMIN_BODY_BYTES = 16 * 1024;

/**
 * The JSON body of a request, or `undefined` when it has none. When a body parser of the application
 * (`express.json()`, a Koa body parser) already read the stream, its result `parsed` is used; otherwise
 * the stream is read here, up to `MAX_ADMIN_BODY_BYTES`.
 *
 * @throws InvalidAdminArgumentError for a body that is too large or not JSON
 */
export async function readJsonBody(raw: IncomingMessage, parsed: unknown): Promise<unknown> {
  if (raw.readableEnded) return parsed;
  const text = (await readText(raw)).trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidAdminArgumentError('The request body is not valid JSON.');
  }
}

// Reads to the end even past the limit (discarding the rest): destroying the request would also close
// the socket the answer goes out on.
function readText(raw: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    raw.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_ADMIN_BODY_BYTES) chunks.push(chunk);
    });
    raw.once('end', () => {
      if (size > MAX_ADMIN_BODY_BYTES) reject(new InvalidAdminArgumentError(`The request body is ${size} bytes, over the ${MAX_ADMIN_BODY_BYTES} the admin routes read.`));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    raw.once('error', reject);
  });
}
