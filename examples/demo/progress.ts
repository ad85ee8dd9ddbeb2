import { Presets, SingleBar } from 'cli-progress';

/** What the progress display shows after each finished document. */
export interface ProgressState {
  done: number;
  failed: number;
  /** Jobs per second since the first POST. */
  rate: number;
  /** The latest stage a worker reported, e.g. `gzip chai`. */
  latest: string;
}

/** Shows how far the run is. */
export interface ProgressDisplay {
  update(state: ProgressState): void;
  stop(): void;
}

/**
 * A live bar on a terminal; on anything else (CI logs, a pipe, a file) plain lines at each tenth of the
 * way, so logs stay readable and free of cursor codes.
 */
export function progressDisplay(total: number, stream: NodeJS.WriteStream = process.stdout): ProgressDisplay {
  return stream.isTTY ? new TerminalBar(total, stream) : new LogLines(total, stream);
}

class TerminalBar implements ProgressDisplay {
  private readonly bar: SingleBar;
  private stopped = false;

  constructor(total: number, private readonly stream: NodeJS.WriteStream) {
    this.bar = new SingleBar({
      stream,
      format: ' {bar} {value}/{total} | {failed} failed | {rate} jobs/s | {latest}',
      hideCursor: true,
      barsize: 24,
      fps: 15,
    }, Presets.shades_classic);
    this.bar.start(total, 0, { failed: 0, rate: '0.0', latest: '' });
  }

  update(state: ProgressState): void {
    // What is left of the line after the bar and the counters (cli-progress cuts lines at the terminal width).
    const width = Math.max(0, (this.stream.columns ?? 100) - 64);
    this.bar.update(state.done, { failed: state.failed, rate: state.rate.toFixed(1), latest: truncate(state.latest, width) });
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.bar.stop();
  }
}

class LogLines implements ProgressDisplay {
  private reportedTenths = 0;

  constructor(private readonly total: number, private readonly stream: NodeJS.WritableStream) {
    stream.write(` rendering ${total} documents\n`);
  }

  update(state: ProgressState): void {
    const tenths = this.total === 0 ? 10 : Math.floor((state.done * 10) / this.total);
    if (tenths <= this.reportedTenths) return;
    this.reportedTenths = tenths;
    const percent = this.total === 0 ? 100 : Math.round((state.done * 100) / this.total);
    this.stream.write(` rendered ${state.done}/${this.total} (${percent}%), ${state.failed} failed, ${state.rate.toFixed(1)} jobs/s\n`);
  }

  stop(): void {}
}

function truncate(text: string, width: number): string {
  if (width < 2) return '';
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
