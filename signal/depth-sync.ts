import { OrderBook, type DepthDiff, type DepthSnapshot, type DiffOutcome } from './order-book';

/** Diffs kept while a snapshot is awaited; a stream that outruns the snapshot this far starts over. */
const BUFFER_LIMIT = 2_000;

export interface DepthSyncCounts {
  /** Snapshots applied (the first one and every resync). */
  snapshots: number;
  /** Times the book was found broken (a gap, a bad level, a crossed book) or its stream reopened, and refetched. */
  resyncs: number;
  /** Diffs dropped while awaiting a snapshot beyond the buffer. */
  overflows: number;
}

/**
 * Keeps an L2 book from a venue's depth stream as Binance documents it: diffs that arrive before the
 * snapshot are buffered, the snapshot is applied, the buffered diffs after it follow (older ones are
 * stale). A diff the book refuses (a gap, a bad level, a crossed book) stops it and asks for a new
 * snapshot: the book is never read between a gap and the resync. A full book (a venue client that keeps
 * it, or a snapshot) simply replaces it.
 */
export class DepthSync {
  readonly book: OrderBook;
  readonly counts: DepthSyncCounts = { snapshots: 0, resyncs: 0, overflows: 0 };
  #buffer: DepthDiff[] = [];
  #awaiting = true;

  constructor(
    /** Asks for a snapshot; its answer comes back through `onSnapshot`. */
    private readonly requestSnapshot: () => void,
    capacity?: number,
  ) {
    this.book = new OrderBook(capacity);
  }

  /** Whether the book can be read: a snapshot applied, and no gap since. */
  get synced(): boolean {
    return this.book.synced && !this.#awaiting;
  }

  onSnapshot(snapshot: DepthSnapshot): void {
    // A REST snapshot that answers after a streamed book newer than it would only take the book back.
    if (this.synced && snapshot.lastUpdateId < this.book.lastUpdateId) return;
    if (!this.book.applySnapshot(snapshot)) {
      this.#resync();
      return;
    }
    this.counts.snapshots++;
    this.#awaiting = false;
    const buffered = this.#buffer;
    this.#buffer = [];
    for (const diff of buffered) if (this.onDiff(diff) !== 'applied' && this.#awaiting) return;
  }

  onDiff(diff: DepthDiff): DiffOutcome | 'buffered' {
    if (this.#awaiting) {
      if (this.#buffer.length >= BUFFER_LIMIT) {
        this.counts.overflows++;
        this.#buffer = [];
      }
      this.#buffer.push(diff);
      return 'buffered';
    }
    const outcome = this.book.applyDiff(diff);
    if (outcome === 'gap' || outcome === 'invalid' || outcome === 'crossed') {
      this.#resync();
    }
    return outcome;
  }

  /** Starts over from a new snapshot: the stream was reopened, and what it missed meanwhile is unknown. */
  restart(): void {
    this.#resync();
  }

  #resync(): void {
    this.counts.resyncs++;
    this.#awaiting = true;
    this.#buffer = [];
    this.requestSnapshot();
  }
}
