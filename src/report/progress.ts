import cliProgress from 'cli-progress';

/** A progress reporter; a no-op when stderr is not a terminal. */
export interface Progress {
  update(done: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  total: number;
  /** What is counted, e.g. 'tokens' or 'steps'. */
  label: string;
  /** Extra text after the bar, with {name} placeholders filled from the update payload. */
  extra?: string;
  /** Initial values of the {name} placeholders in `extra`, so the first frame shows no raw placeholder. */
  payload?: Record<string, string | number>;
  /** Force on/off; default: only when stderr is a TTY. */
  enabled?: boolean;
}

/**
 * A progress bar with ETA on stderr, shown only when stderr is a terminal, so pipes and CI logs
 * stay clean.
 *
 * @example
 * const bar = createProgress({ total: 1000, label: 'tokens' });
 * bar.update(500); bar.stop();
 */
export function createProgress(opts: ProgressOptions): Progress {
  const enabled = opts.enabled ?? Boolean(process.stderr.isTTY);
  if (!enabled) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `{bar} {percentage}% | {value}/{total} ${opts.label} | ETA {eta_formatted}${opts.extra ? ' | ' + opts.extra : ''}`,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  // Placeholders in `extra` start as empty strings unless the caller gives initial values.
  const names = [...(opts.extra ?? '').matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  bar.start(opts.total, 0, { ...Object.fromEntries(names.map((n) => [n, ''])), ...opts.payload });
  return {
    update(done, payload) {
      bar.update(done, payload);
    },
    stop() {
      bar.stop();
    },
  };
}
