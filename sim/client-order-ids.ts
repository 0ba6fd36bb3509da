import { SimError } from './errors';
import type { AccountId, ClientOrderId } from './ids';
import type { ClientIdReuse } from './venues-config';

/** The order an (account, client order id) names now. */
export interface ClientOrderIdEntry<T> {
  account: AccountId;
  clientOrderId: ClientOrderId;
  order: T;
}

/**
 * Client order ids, unique per account within one venue market.
 * - 'never': an id once accepted can never be used again by that account.
 * - 'after-close': an id is refused only while the order holding it is open; once that order is
 *   filled/cancelled/expired the id may be reused and lookups return the newest order.
 * Rejected orders never consume an id.
 */
export class ClientOrderIdRegistry<T> {
  private readonly newest = new Map<string, ClientOrderIdEntry<T>>();

  constructor(
    public mode: ClientIdReuse,
    private readonly isOpen: (order: T) => boolean,
  ) {}

  check(account: AccountId, clientOrderId: ClientOrderId): SimError | undefined {
    const existing = this.newest.get(key(account, clientOrderId));
    if (existing === undefined) return undefined;
    if (this.mode === 'after-close' && !this.isOpen(existing.order)) return undefined;
    return new SimError('DUPLICATE_CLIENT_ORDER_ID', `clientOrderId=${clientOrderId}`);
  }

  record(account: AccountId, clientOrderId: ClientOrderId, order: T): void {
    this.newest.set(key(account, clientOrderId), { account, clientOrderId, order });
  }

  lookup(account: AccountId, clientOrderId: ClientOrderId): T | undefined {
    return this.newest.get(key(account, clientOrderId))?.order;
  }

  /** Every id in use, in the order first recorded (snapshots). */
  entries(): IterableIterator<ClientOrderIdEntry<T>> {
    return this.newest.values();
  }
}

const key = (account: AccountId, clientOrderId: ClientOrderId): string => `${account}\u0000${clientOrderId}`;
