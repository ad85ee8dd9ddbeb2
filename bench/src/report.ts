// Turns the recorded samples into the table: medians, spreads, and ratios queuewire ÷ each other
// contender, with the targets checked.
import type { ContenderName } from './contenders/types.js';
import { median, spread } from './stats.js';

export interface Sample {
  figure: string;
  contender: ContenderName;
  round: number;
  value: number;
}

type Check =
  | { kind: 'ratio'; versus: 'handwritten' | 'nest'; op: '>=' | '<='; value: number }
  | { kind: 'delta'; versus: 'handwritten'; op: '<='; value: number; unit: string }
  | { kind: 'absolute'; op: '>=' | '<=' | '='; value: number; stretch?: boolean };

export interface Figure {
  id: string;
  label: string;
  unit: string;
  digits: number;
  /** Counts and other figures where a spread or ratio says nothing. */
  count?: boolean;
  checks?: Check[];
}

export const FIGURES: Figure[] = [
  { id: 'http.enqueue.rps', label: 'HTTP enqueue: req/s', unit: 'req/s', digits: 0, checks: [{ kind: 'ratio', versus: 'handwritten', op: '>=', value: 0.97 }, { kind: 'ratio', versus: 'nest', op: '>=', value: 1.1 }] },
  { id: 'http.enqueue.p50', label: 'HTTP enqueue: p50', unit: 'ms', digits: 0 },
  { id: 'http.enqueue.p99', label: 'HTTP enqueue: p99', unit: 'ms', digits: 0, checks: [{ kind: 'ratio', versus: 'handwritten', op: '<=', value: 1.05 }] },
  { id: 'http.enqueue.errors', label: 'HTTP enqueue: errors', unit: '', digits: 0, count: true },
  { id: 'http.enqueue.cpu', label: 'HTTP enqueue: server CPU per 1k req', unit: 'ms', digits: 0 },
  { id: 'http.enqueue.rss', label: 'HTTP enqueue: server RSS at the end of the run', unit: 'MB', digits: 1, checks: [{ kind: 'delta', versus: 'handwritten', op: '<=', value: 10, unit: 'MB' }] },
  { id: 'http.settled.rss', label: 'HTTP server RSS after the run, garbage collected', unit: 'MB', digits: 1 },
  { id: 'http.settled.heap', label: 'HTTP server heap used after the run, garbage collected', unit: 'MB', digits: 1 },
  { id: 'http.control.rps', label: 'HTTP control (no Redis): req/s', unit: 'req/s', digits: 0 },
  { id: 'http.control.p99', label: 'HTTP control (no Redis): p99', unit: 'ms', digits: 0 },
  { id: 'http.control.cpu', label: 'HTTP control (no Redis): server CPU per 1k req', unit: 'ms', digits: 0 },
  { id: 'http.control.errors', label: 'HTTP control (no Redis): errors', unit: '', digits: 0, count: true },
  { id: 'http.enqueue.share', label: 'HTTP enqueue ÷ own control route', unit: '×', digits: 2, checks: [{ kind: 'absolute', op: '>=', value: 0.85, stretch: true }] },
  { id: 'worker.c1', label: 'Worker, concurrency 1: jobs/s', unit: 'jobs/s', digits: 0, checks: [{ kind: 'ratio', versus: 'handwritten', op: '>=', value: 0.97 }] },
  { id: 'worker.c50', label: 'Worker, concurrency 50: jobs/s', unit: 'jobs/s', digits: 0, checks: [{ kind: 'ratio', versus: 'handwritten', op: '>=', value: 0.97 }] },
  { id: 'worker.c1.cpu', label: 'Worker, concurrency 1: worker CPU per 1k jobs', unit: 'ms', digits: 0 },
  { id: 'worker.c50.cpu', label: 'Worker, concurrency 50: worker CPU per 1k jobs', unit: 'ms', digits: 0 },
  { id: 'events.p50', label: 'Events: handler return → listener p50', unit: 'ms', digits: 2 },
  { id: 'events.p95', label: 'Events: p95', unit: 'ms', digits: 2 },
  { id: 'events.p99', label: 'Events: p99', unit: 'ms', digits: 2, checks: [{ kind: 'ratio', versus: 'handwritten', op: '<=', value: 1.05 }] },
  { id: 'events.missed', label: 'Events: missed', unit: '', digits: 0, count: true, checks: [{ kind: 'absolute', op: '=', value: 0 }] },
  { id: 'events.duplicated', label: 'Events: duplicated', unit: '', digits: 0, count: true, checks: [{ kind: 'absolute', op: '=', value: 0 }] },
  { id: 'events.rate', label: 'Events: feed rate achieved', unit: 'jobs/s', digits: 0 },
  { id: 'events.cpu', label: 'Events: listener CPU per 1k jobs', unit: 'ms', digits: 0 },
  { id: 'reply.p50', label: 'Request-reply: p50', unit: 'ms', digits: 2 },
  { id: 'reply.p99', label: 'Request-reply: p99', unit: 'ms', digits: 2, checks: [{ kind: 'ratio', versus: 'handwritten', op: '<=', value: 1.1 }] },
  { id: 'reply.cpu', label: 'Request-reply: requester CPU per 1k calls', unit: 'ms', digits: 0 },
  { id: 'reply.errors', label: 'Request-reply: errors', unit: '', digits: 0, count: true },
  { id: 'connections.web.q1', label: 'Connections, web process, 1 queue', unit: '', digits: 0, count: true },
  { id: 'connections.web.q20', label: 'Connections, web process, 20 queues', unit: '', digits: 0, count: true },
  { id: 'connections.web.q100', label: 'Connections, web process, 100 queues', unit: '', digits: 0, count: true, checks: [{ kind: 'absolute', op: '<=', value: 3 }] },
  { id: 'connections.worker.q1', label: 'Connections, worker process, 1 queue', unit: '', digits: 0, count: true },
  { id: 'connections.worker.q20', label: 'Connections, worker process, 20 queues', unit: '', digits: 0, count: true },
  { id: 'connections.worker.q100', label: 'Connections, worker process, 100 queues', unit: '', digits: 0, count: true },
  { id: 'scale.p1', label: 'Scale, 1 worker process: jobs/s', unit: 'jobs/s', digits: 0 },
  { id: 'scale.p2', label: 'Scale, 2 worker processes: jobs/s', unit: 'jobs/s', digits: 0 },
  { id: 'scale.p4', label: 'Scale, 4 worker processes: jobs/s', unit: 'jobs/s', digits: 0 },
];

export interface Row {
  figure: Figure;
  medians: Partial<Record<ContenderName, number>>;
  spreads: Partial<Record<ContenderName, number>>;
  /** Median over rounds of queuewire ÷ the other contender in the same round. */
  ratios: Partial<Record<'handwritten' | 'nest', number>>;
  verdicts: string[];
  /** The verdicts whose target queuewire missed. */
  missed: string[];
}

/**
 * Ratios are taken within a round (the three contenders ran back to back), then their median: drift of
 * the machine between rounds cancels out of each ratio.
 */
export function summarise(samples: readonly Sample[], contenders: readonly ContenderName[]): Row[] {
  const rows: Row[] = [];
  for (const figure of FIGURES) {
    const mine = samples.filter((sample) => sample.figure === figure.id);
    if (mine.length === 0) continue;
    const values = (contender: ContenderName): number[] => mine.filter((sample) => sample.contender === contender).map((sample) => sample.value);
    const row: Row = { figure, medians: {}, spreads: {}, ratios: {}, verdicts: [], missed: [] };
    for (const contender of contenders) {
      const own = values(contender);
      if (own.length === 0) continue;
      row.medians[contender] = median(own);
      row.spreads[contender] = spread(own);
    }
    for (const versus of ['handwritten', 'nest'] as const) {
      if (!contenders.includes(versus) || !contenders.includes('queuewire')) continue;
      const rounds = [...new Set(mine.map((sample) => sample.round))];
      const perRound = rounds.flatMap((round) => {
        const ours = mine.find((sample) => sample.round === round && sample.contender === 'queuewire')?.value;
        const theirs = mine.find((sample) => sample.round === round && sample.contender === versus)?.value;
        return ours !== undefined && theirs !== undefined && theirs !== 0 && Number.isFinite(ours / theirs) ? [ours / theirs] : [];
      });
      if (perRound.length > 0) row.ratios[versus] = median(perRound);
    }
    for (const check of figure.checks ?? []) {
      const verdict = judge(check, row);
      if (!verdict) continue;
      row.verdicts.push(verdict.text);
      if (!verdict.met) row.missed.push(verdict.text);
    }
    rows.push(row);
  }
  return rows;
}

function compare(actual: number, op: '>=' | '<=' | '=', target: number): boolean {
  return op === '>=' ? actual >= target : op === '<=' ? actual <= target : actual === target;
}

function judge(check: Check, row: Row): { text: string; met: boolean } | undefined {
  const ours = row.medians.queuewire;
  if (ours === undefined) return undefined;
  const opText = (op: string): string => (op === '>=' ? '≥' : op === '<=' ? '≤' : '=');
  switch (check.kind) {
    case 'ratio': {
      const ratio = row.ratios[check.versus];
      if (ratio === undefined) return undefined;
      const met = compare(ratio, check.op, check.value);
      return { text: `${check.versus === 'nest' ? '÷ nest' : '÷ hand'} ${opText(check.op)} ${check.value} ${met ? '✓' : '✗'}`, met };
    }
    case 'delta': {
      const theirs = row.medians[check.versus];
      if (theirs === undefined) return undefined;
      const delta = ours - theirs;
      const met = compare(delta, check.op, check.value);
      return { text: `Δ ${delta >= 0 ? '+' : ''}${delta.toFixed(1)} ${check.unit} ${opText(check.op)} +${check.value} ${met ? '✓' : '✗'}`, met };
    }
    case 'absolute': {
      const met = compare(ours, check.op, check.value);
      return { text: `${check.stretch ? 'stretch: ' : ''}${opText(check.op)} ${check.value} ${met ? '✓' : '✗'}`, met };
    }
  }
}

function formatNumber(value: number | undefined, digits: number): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function cell(row: Row, contender: ContenderName): string {
  const value = row.medians[contender];
  if (value === undefined) return '—';
  const text = formatNumber(value, row.figure.digits);
  const spreadValue = row.spreads[contender] ?? 0;
  if (row.figure.count) return spreadValue === 0 ? text : `${text} (varied)`;
  return `${text} ±${(spreadValue * 100).toFixed(0)}%`;
}

function ratioCell(row: Row, versus: 'handwritten' | 'nest'): string {
  const ratio = row.ratios[versus];
  return ratio === undefined ? '—' : `${ratio.toFixed(2)}`;
}

/** The markdown table: one row per figure. */
export function table(rows: readonly Row[]): string {
  const lines = [
    '| figure | unit | hand-written | @nestjs/bullmq | queuewire | queuewire ÷ hand-written | queuewire ÷ nest | target (queuewire) |',
    '|---|---|---:|---:|---:|---:|---:|---|',
  ];
  for (const row of rows) {
    lines.push(`| ${row.figure.label} | ${row.figure.unit} | ${cell(row, 'handwritten')} | ${cell(row, 'nest')} | ${cell(row, 'queuewire')} | ${ratioCell(row, 'handwritten')} | ${ratioCell(row, 'nest')} | ${row.verdicts.join('; ')} |`);
  }
  return lines.join('\n');
}
