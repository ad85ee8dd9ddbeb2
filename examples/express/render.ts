/**
 * The CPU work of a render job, free of queues so it reads (and tests) on its own. Headings come from
 * the rendered HTML, so raw-HTML headings (`<h1 align="center">`, common in READMEs) count too.
 */

const HEADING = /<h([1-6])\b[^>]*>([\s\S]*?)<\/h\1\s*>/gi;
const WORD = /[\p{L}\p{N}][\p{L}\p{N}'’_-]*/gu;

/** A heading of a rendered document. */
export interface Heading {
  level: number;
  text: string;
}

/** Every heading of an HTML document, in order, as plain text; image-only headings use the alt text. */
export function extractHeadings(html: string): Heading[] {
  const headings: Heading[] = [];
  for (const match of html.matchAll(HEADING)) {
    const inner = match[2]!;
    const text = plainText(inner) || altText(inner);
    if (text) headings.push({ level: Number(match[1]), text });
  }
  return headings;
}

/** The document's title: its first level-1 heading, else its first heading. */
export function titleOf(headings: readonly Heading[]): string | null {
  return (headings.find((heading) => heading.level === 1) ?? headings[0])?.text ?? null;
}

/** Words of the visible text of an HTML fragment. */
export function countWords(html: string): number {
  return plainText(html.replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ')).match(WORD)?.length ?? 0;
}

/** The text of an HTML fragment: tags dropped, entities decoded, whitespace collapsed. */
export function plainText(html: string): string {
  return decodeEntities(html.replace(/<!--[\s\S]*?-->/g, ' ').replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim();
}

function altText(html: string): string {
  return [...html.matchAll(/\balt\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi)]
    .map((match) => decodeEntities(match[1] ?? match[2] ?? match[3] ?? '').trim())
    .filter(Boolean)
    .join(' ');
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (entity, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return Number.isFinite(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
    }
    return NAMED_ENTITIES[body.toLowerCase()] ?? entity;
  });
}
