/** A URL path segment decoded, or `undefined` when it is not valid percent-encoding (it then names nothing). */
export function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
