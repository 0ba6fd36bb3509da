/**
 * A fixed-capacity ring of numeric records, one Float64Array per field, allocated once: pushing overwrites
 * the oldest record when full and allocates nothing, so the hot loop's garbage is zero. Index 0 is the
 * oldest record kept, `size - 1` the newest.
 */
export class NumericRing<F extends string> {
  readonly #columns: Record<F, Float64Array>;
  #start = 0;
  #size = 0;
  /** Records ever pushed (dropped ones included). */
  #pushed = 0;

  constructor(
    readonly fields: readonly F[],
    readonly capacity: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
    this.#columns = Object.fromEntries(fields.map((field) => [field, new Float64Array(capacity)])) as Record<
      F,
      Float64Array
    >;
  }

  get size(): number {
    return this.#size;
  }

  get pushed(): number {
    return this.#pushed;
  }

  /** Copies the next record's fields in (the caller may reuse one object for every push). */
  push(record: Readonly<Record<F, number>>): void {
    const slot = (this.#start + this.#size) % this.capacity;
    for (const field of this.fields) this.#columns[field][slot] = record[field];
    if (this.#size < this.capacity) this.#size++;
    else this.#start = (this.#start + 1) % this.capacity;
    this.#pushed++;
  }

  /** A field of the record at `index` (0: oldest kept). */
  get(field: F, index: number): number {
    if (index < 0 || index >= this.#size) throw new RangeError(`index ${index} outside 0..${this.#size - 1}`);
    return this.#columns[field][(this.#start + index) % this.capacity]!;
  }

  /** The index of the oldest record whose `field` is at least `value` (records ordered by it), or `size`. */
  firstAtLeast(field: F, value: number): number {
    let low = 0;
    let high = this.#size;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.get(field, middle) < value) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** The storage slot of the record pushed `sequence`-th (0: the first ever); it must still be kept. */
  slotOf(sequence: number): number {
    if (sequence < this.#pushed - this.#size || sequence >= this.#pushed)
      throw new RangeError(
        `record ${sequence} is not kept (kept: ${this.#pushed - this.#size}..${this.#pushed - 1})`,
      );
    return sequence % this.capacity;
  }

  /** The storage itself: the hot loop reads it directly (with `slotOf`); tests check it is never reallocated. */
  column(field: F): Float64Array {
    return this.#columns[field];
  }
}
