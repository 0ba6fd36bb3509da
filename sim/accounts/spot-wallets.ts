import type { AccountId } from '../ids';
import { asAccountId } from '../ids';
import { atoms } from '../snapshot';
import type { SpotWalletsSnapshot } from '../snapshot';

export interface AssetBalance {
  /** Everything the account owns, in atoms (1e-8). */
  total: bigint;
  /** Part of total held by open orders. */
  locked: bigint;
}

/** Spot balances per account and asset, with amounts locked by open orders. */
export class SpotWallets {
  private readonly accounts = new Map<AccountId, Map<string, AssetBalance>>();

  balance(account: AccountId, asset: string): AssetBalance {
    let assets = this.accounts.get(account);
    if (!assets) {
      assets = new Map();
      this.accounts.set(account, assets);
    }
    let b = assets.get(asset);
    if (!b) {
      b = { total: 0n, locked: 0n };
      assets.set(asset, b);
    }
    return b;
  }

  all(account: AccountId): Map<string, AssetBalance> {
    return this.accounts.get(account) ?? new Map<string, AssetBalance>();
  }

  available(account: AccountId, asset: string): bigint {
    const b = this.balance(account, asset);
    return b.total - b.locked;
  }

  credit(account: AccountId, asset: string, atoms: bigint): void {
    this.balance(account, asset).total += atoms;
  }

  /** Locks `atoms` if available; false (and no change) otherwise. */
  lock(account: AccountId, asset: string, atoms: bigint): boolean {
    const b = this.balance(account, asset);
    if (b.total - b.locked < atoms) return false;
    b.locked += atoms;
    return true;
  }

  unlock(account: AccountId, asset: string, atoms: bigint): void {
    this.balance(account, asset).locked -= atoms;
  }

  /** Spends `spend` from total while releasing `unlock` of the lock (they differ when a buy fills below its limit). */
  spendLocked(account: AccountId, asset: string, spend: bigint, unlock: bigint): void {
    const b = this.balance(account, asset);
    b.total -= spend;
    b.locked -= unlock;
  }

  snapshot(): SpotWalletsSnapshot {
    return [...this.accounts].flatMap(([account, assets]) =>
      [...assets].map(([asset, b]) => ({
        account,
        asset,
        total: String(b.total),
        locked: String(b.locked),
      })),
    );
  }

  restore(s: SpotWalletsSnapshot): void {
    this.accounts.clear();
    for (const b of s) {
      const balance = this.balance(asAccountId(b.account), b.asset);
      balance.total = atoms(b.total);
      balance.locked = atoms(b.locked);
    }
  }
}
