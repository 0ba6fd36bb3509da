import { inspect } from 'node:util';

/**
 * A credential's value. Printing, logging or serialising it shows `[secret]`; only `reveal()` gives the
 * value, at the one place that hands it to a venue client.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[secret]';
  }
  toJSON(): string {
    return '[secret]';
  }
  [inspect.custom](): string {
    return '[secret]';
  }
}
