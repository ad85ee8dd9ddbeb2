// Small statistics over repetitions and latency samples.

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The value below which `p` percent of the samples fall (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Half the range of the repetitions, relative to their median: "±4%" means min and max lie within 4% of it. */
export function spread(values: readonly number[]): number {
  const middle = median(values);
  if (values.length < 2 || middle === 0 || !Number.isFinite(middle)) return 0;
  return (Math.max(...values) - Math.min(...values)) / 2 / Math.abs(middle);
}
