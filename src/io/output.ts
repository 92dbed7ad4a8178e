import { closeSync, mkdirSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ArgumentError, DataError, quote } from '../errors.js';

/**
 * Every file a run writes goes through one {@link OutputGroup}: each output is reserved at a
 * temporary name in its target's folder before the work starts (so a bad path fails at once),
 * written there, and all of them are renamed into place by {@link OutputGroup.commit} only after
 * every one of them succeeded. On an error, SIGINT, SIGTERM or exit the temporary files are
 * removed. The temporary name `.<name>.klscope-<pid>.tmp` carries the writer's process id, so a
 * later run that writes the same target removes the ones whose process is gone (kill -9).
 *
 * @example
 * const out = new OutputGroup();
 * out.reserve('report.html');
 * out.reserve('summary.json');
 * out.write('report.html', html);
 * out.write('summary.json', json);
 * out.commit(); // both files appear, or neither
 *
 * A large output is streamed instead: {@link OutputGroup.open} reserves it and returns a handle
 * that appends to the temporary file; commit (or abort) closes it.
 */
export class OutputGroup {
  private readonly entries = new Map<string, string>();
  private readonly streams = new Map<string, FileStream>();
  private committed = false;

  /**
   * Reserves `target`: creates its (empty) temporary file now and returns the temporary path.
   * A folder that does not exist, a target that is a folder, or a place that cannot be written
   * is an {@link ArgumentError} naming the path. `mkdir` creates the folder first.
   */
  reserve(target: string, opts: { mkdir?: boolean } = {}): string {
    const existing = this.entries.get(target);
    if (existing) return existing;
    const dir = path.dirname(path.resolve(target));
    if (opts.mkdir) {
      try {
        makeFolders(dir);
      } catch (e) {
        throw outputError(target, e, true);
      }
    }
    try {
      if (statSync(target, { throwIfNoEntry: false })?.isDirectory()) throw new ArgumentError({ where: `output ${quote(target)}`, expected: 'a file name, not a folder' });
    } catch (e) {
      throw outputError(target, e, true);
    }
    removeStale(target);
    const tmp = tempName(target);
    try {
      closeSync(openSync(tmp, 'w'));
    } catch (e) {
      throw outputError(target, e, true);
    }
    track(tmp);
    this.entries.set(target, tmp);
    return tmp;
  }

  /** The temporary path of a reserved target. */
  tempPath(target: string): string {
    const tmp = this.entries.get(target);
    if (!tmp) throw new ArgumentError({ where: `output ${quote(target)}`, expected: 'a reserved output' });
    return tmp;
  }

  /** Writes the whole content of a target (reserving it first if needed) at its temporary name. */
  write(target: string, data: string | Uint8Array): void {
    const tmp = this.reserve(target);
    try {
      writeFileSync(tmp, data);
    } catch (e) {
      throw outputError(target, e, false);
    }
  }

  /**
   * Reserves `target` (see {@link OutputGroup.reserve}) and opens its temporary file for
   * streaming: each {@link OutputStream.write} appends there, and nothing appears at `target`
   * before {@link OutputGroup.commit}. A write that fails (disk full) is a {@link DataError}
   * naming the target.
   *
   * @example
   * const out = new OutputGroup();
   * const s = out.open('ref.klref');
   * s.write(header);
   * for (const block of blocks) s.write(block);
   * out.commit(); // closes the stream and renames it into place
   */
  open(target: string, opts: { mkdir?: boolean } = {}): OutputStream {
    const tmp = this.reserve(target, opts);
    const open = this.streams.get(target);
    if (open) return open; // one stream per target (a closed one refuses further writes)
    let fd: number;
    try {
      fd = openSync(tmp, 'w');
    } catch (e) {
      throw outputError(target, e, true);
    }
    const s = new FileStream(target, tmp, fd);
    this.streams.set(target, s);
    return s;
  }

  /** Renames every output into place; on a failure the rest are removed. */
  commit(): void {
    try {
      for (const s of this.streams.values()) s.close();
      this.streams.clear();
      for (const [target, tmp] of this.entries) {
        try {
          renameSync(tmp, target);
        } catch (e) {
          throw outputError(target, e, false);
        }
        untrack(tmp);
      }
      this.committed = true;
    } finally {
      if (!this.committed) this.abort();
    }
  }

  /** Removes every temporary file that was not renamed yet. */
  abort(): void {
    for (const s of this.streams.values()) s.closeQuietly();
    this.streams.clear();
    for (const tmp of this.entries.values()) removeTemp(tmp);
    this.entries.clear();
  }

  /** Runs `work` with this group: commit after it succeeds, abort (and rethrow) after it fails. */
  async run<T>(work: (out: OutputGroup) => Promise<T> | T): Promise<T> {
    try {
      const r = await work(this);
      this.commit();
      return r;
    } catch (e) {
      this.abort();
      throw e;
    }
  }
}

/**
 * A writer's streamed output: in the run's group when `out` is given (it appears at that group's
 * commit, with the run's other outputs), otherwise in a group of its own that
 * {@link WriterOutput.finish} commits. Aborting removes the group's temporary files.
 *
 * @example
 * const o = new WriterOutput('rows.bin');
 * o.stream.write(new Uint8Array([1, 2, 3]));
 * o.finish(); // rows.bin now exists
 */
export class WriterOutput {
  readonly stream: OutputStream;
  private readonly group: OutputGroup;
  private readonly own: boolean;
  private done = false;

  constructor(target: string, out?: OutputGroup) {
    this.own = !out;
    this.group = out ?? new OutputGroup();
    this.stream = this.group.open(target);
  }

  /**
   * Runs `last` (the final writes and checks), closes the stream and, with a group of its own,
   * commits it. A failure aborts and is rethrown.
   */
  finish(last?: () => void): void {
    if (this.done) return;
    try {
      last?.();
      this.stream.close();
    } catch (e) {
      this.abort();
      throw e;
    }
    this.done = true;
    if (this.own) this.group.commit();
  }

  /** Gives up: the group's temporary files are removed (a run's other outputs too: a run with a failed output writes nothing). */
  abort(): void {
    if (this.done) return;
    this.done = true;
    this.group.abort();
  }
}

/** A reserved output open for streaming (see {@link OutputGroup.open}). */
export interface OutputStream {
  /** The path the output will have after the commit. */
  readonly target: string;
  /** Bytes written so far. */
  readonly size: number;
  /** Appends `data` to the temporary file. */
  write(data: string | Uint8Array): void;
  /** Closes the file early (commit and abort close it too); later writes are refused. */
  close(): void;
}

/**
 * Writes all of `data` to `fd` and returns its length in bytes. writeSync may write only part
 * (a disk filling up mid-write): the rest is written, or its ENOSPC thrown, by the next call.
 *
 * @example
 * const fd = openSync('rows.csv', 'w');
 * writeAll(fd, 'a,b\n1,2\n'); // returns the byte count, once every byte is written
 */
export function writeAll(fd: number, data: string | Uint8Array): number {
  const b = typeof data === 'string' ? Buffer.from(data) : data;
  for (let done = 0; done < b.length; ) done += writeSync(fd, b, done, b.length - done);
  return b.length;
}

class FileStream implements OutputStream {
  size = 0;
  closed = false;
  constructor(
    readonly target: string,
    readonly tmp: string,
    private readonly fd: number,
  ) {}

  write(data: string | Uint8Array): void {
    if (this.closed) throw new ArgumentError({ where: `output ${quote(this.target)}`, expected: 'an open output (it was closed)' });
    try {
      this.size += writeAll(this.fd, data);
    } catch (e) {
      throw outputError(this.target, e, false);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      closeSync(this.fd);
    } catch (e) {
      throw outputError(this.target, e, false);
    }
  }

  closeQuietly(): void {
    try {
      this.close();
    } catch {
      // the file is removed next
    }
  }
}

/**
 * Creates `dir` and its missing parents one level at a time (Node's recursive mkdir loops
 * forever on some pseudo file systems such as /proc, where mkdir answers ENOENT).
 */
function makeFolders(dir: string): void {
  const missing: string[] = [];
  let d = dir;
  while (!statSync(d, { throwIfNoEntry: false })) {
    missing.push(d);
    const up = path.dirname(d);
    if (up === d) break;
    d = up;
  }
  for (const m of missing.reverse()) mkdirSync(m);
}

const TEMP_RE = /^\.(.+)\.klscope-(\d+)\.tmp$/;

/** The temporary name of `target` for this process. */
export function tempName(target: string, pid = process.pid): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.klscope-${pid}.tmp`);
}

/** Whether a process with this id exists (EPERM: it exists, owned by someone else). */
function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the temporary files of `target` left by processes that no longer exist. */
export function removeStale(target: string): string[] {
  const dir = path.dirname(target);
  const base = path.basename(target);
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const n of names) {
    const m = TEMP_RE.exec(n);
    if (!m || m[1] !== base || alive(Number(m[2]))) continue;
    try {
      unlinkSync(path.join(dir, n));
      removed.push(path.join(dir, n));
    } catch {
      // someone else removed it, or it is not ours to remove
    }
  }
  return removed;
}

const live = new Set<string>();
let handlersInstalled = false;

function removeTemp(tmp: string): void {
  try {
    unlinkSync(tmp);
  } catch {
    // already gone
  }
  live.delete(tmp);
}

/** Removes every temporary file of this process (used on signals, EPIPE and exit). */
export function removeAllTemps(): void {
  for (const tmp of [...live]) removeTemp(tmp);
}

function onSignal(signal: NodeJS.Signals): void {
  removeAllTemps();
  // re-raise with the default action so the exit status says which signal ended the run
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  process.kill(process.pid, signal);
}

/** Registers a temporary file outside an {@link OutputGroup} (e.g. a writer's own temp) for cleanup on signals and exit. */
export function track(tmp: string): void {
  live.add(tmp);
  if (!handlersInstalled) {
    handlersInstalled = true;
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('exit', removeAllTemps);
  }
}

/** Forgets a temporary file that was renamed into place or removed. */
export function untrack(tmp: string): void {
  live.delete(tmp);
}

const REASONS: Record<string, string> = {
  ENOENT: 'the folder does not exist',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'the file is too large for the file system',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  EEXIST: 'a file is in the way',
  EXDEV: 'it is on another device',
  EIO: 'an I/O error',
};

/**
 * The one-line error for an output that cannot be written: a bad place (found when reserving)
 * is an {@link ArgumentError}, a failure while writing (disk full) a {@link DataError}.
 */
export function outputError(target: string, e: unknown, reserving: boolean): Error {
  if (e instanceof ArgumentError || e instanceof DataError) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string') return e as Error;
  const parts = { where: `cannot write ${quote(target)}`, expected: 'a writable file in an existing folder', got: `${REASONS[code] ?? 'an error'} (${code})` };
  return reserving && code !== 'ENOSPC' && code !== 'EDQUOT' && code !== 'EIO' ? new ArgumentError(parts) : new DataError(parts);
}
