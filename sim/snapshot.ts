import { z } from 'zod';
import { OrderSideSchema, OrderTypeSchema, TimeInForceSchema } from '../domain/trading';
import { MarketKindSchema } from '../domain/venues';
import { FaultRuleSchema } from './faults';
import { VENUE_NAMES } from './ids';

/**
 * The whole state of a `SimExchange` as plain JSON (`exchange.snapshot()`, `SimExchange.restore()`):
 * what a restarted simulator needs to answer every lookup as before and then behave as the exchange that
 * never stopped. Engine units stay exact: prices are integer ticks, quantities integer lots, and money
 * is bigint atoms (1e-8) written as decimal strings. Versioned; a reader refuses any other version.
 */
export const SIM_SNAPSHOT_FORMAT = 'keel-sim-exchange';
export const SIM_SNAPSHOT_VERSION = 1;

const Int = z.int();
const Count = z.int().min(0);
const Seq = z.int().positive();
const Name = z.string().min(1);
/** A bigint amount (atoms of 1e-8) as a decimal string: JSON numbers would lose its precision. */
const Atoms = z.string().regex(/^-?\d+$/, 'must be an integer number of atoms as a decimal string');

export const PrngStateSchema = z.object({
  state: z.int().min(0).max(0xffff_ffff),
  spareNormal: z.number().nullable(),
});

const InstrumentSpecSchema = z.object({
  symbol: Name,
  tickSize: Name,
  lotSize: Name,
  minQty: Name,
  maxQty: Name,
  minNotional: Name,
  maintenanceMarginPpm: Count.optional(),
  maxLeverage: z.int().positive().optional(),
});
const FeesSchema = z.object({ makerPpm: Int, takerPpm: Int });
const ClientIdReuseSchema = z.enum(['never', 'after-close']);
const MarketConfigSchema = z.object({ fees: FeesSchema, instruments: z.array(InstrumentSpecSchema) });

/** Instruments, fees and funding interval as the venue was configured; runtime changes live below. */
export const VenueConfigSnapshotSchema = z.object({
  name: z.enum(VENUE_NAMES),
  clientIdReuse: ClientIdReuseSchema,
  fundingIntervalMs: z.int().positive(),
  spot: MarketConfigSchema,
  perp: MarketConfigSchema,
});

/** Every order a lookup can reach, open or closed; its venue order id is `{venue}-{market}-{seq}`. */
export const OrderSnapshotSchema = z.object({
  seq: Seq,
  clientOrderId: Name,
  account: Name,
  symbol: Name,
  side: OrderSideSchema,
  type: OrderTypeSchema,
  timeInForce: TimeInForceSchema,
  postOnly: z.boolean(),
  reduceOnly: z.boolean(),
  priceTicks: z.int().positive().nullable(),
  lots: z.int().positive(),
  filledLots: Count,
  cumQuoteAtoms: Atoms,
  feeAtoms: Atoms,
  feeAsset: Name,
  status: z.enum(['NEW', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'EXPIRED']),
  createdAt: Int,
  updatedAt: Int,
  reservedAtoms: Atoms,
});

export const TradeSnapshotSchema = z.object({
  tradeId: Seq,
  ts: Int,
  priceTicks: z.int().positive(),
  lots: z.int().positive(),
  takerSide: OrderSideSchema,
  makerOrderId: Name,
  takerOrderId: Name,
});

const FillSnapshotSchema = z.object({
  tradeId: Seq,
  ts: Int,
  orderId: Name,
  clientOrderId: Name,
  symbol: Name,
  side: OrderSideSchema,
  price: Name,
  quantity: Name,
  fee: Name,
  feeAsset: Name,
  liquidity: z.enum(['maker', 'taker']),
});

/** One symbol of a venue market: its book as resting order seqs in priority order (best price, then FIFO). */
const SymbolSnapshotSchema = z.object({
  symbol: Name,
  markTicks: Count,
  lastTradeTicks: Count,
  /** The book's depth update sequence: a restored venue numbers its depth diffs on from it (older snapshots: 0). */
  bookSequence: Count.default(0),
  bids: z.array(Seq),
  asks: z.array(Seq),
  /** Oldest first; may be cut to the newest trades (`snapshot({ tapeLimit })`). */
  tape: z.array(TradeSnapshotSchema),
});

export const VenueMarketSnapshotSchema = z.object({
  kind: MarketKindSchema,
  fees: FeesSchema,
  clientIdReuse: ClientIdReuseSchema,
  nextSeq: Seq,
  nextTradeId: Seq,
  /** Accounts (liquidity bots, replays) whose closed orders are forgotten. */
  transientAccounts: z.array(Name),
  /** In placement order (the order `openOrders` lists them). */
  orders: z.array(OrderSnapshotSchema),
  /** The order each (account, client order id) names now: the newest one under `after-close`. */
  clientOrderIds: z.array(z.object({ account: Name, clientOrderId: Name, seq: Seq })),
  symbols: z.array(SymbolSnapshotSchema),
  fills: z.array(z.object({ account: Name, fills: z.array(FillSnapshotSchema) })),
});

export const SpotWalletsSnapshotSchema = z.array(
  z.object({ account: Name, asset: Name, total: Atoms, locked: Atoms }),
);

export const PerpLedgerSnapshotSchema = z.object({
  insuranceFundAtoms: Atoms,
  accounts: z.array(
    z.object({
      account: Name,
      walletAtoms: Atoms,
      orderMarginAtoms: Atoms,
      positions: z.array(z.object({ symbol: Name, lots: Int, costAtoms: Atoms, realizedPnlAtoms: Atoms })),
      leverage: z.array(z.object({ symbol: Name, leverage: z.int().positive() })),
    }),
  ),
});

export const VenueSnapshotSchema = z.object({
  config: VenueConfigSnapshotSchema,
  wallets: SpotWalletsSnapshotSchema,
  ledger: PerpLedgerSnapshotSchema,
  funding: z.object({
    nextFundingAt: Int,
    /** Rate per interval times 1e8; `manual` when pinned (the synthetic market leaves it alone). */
    rates: z.array(z.object({ symbol: Name, rateE8: Int, manual: z.boolean() })),
    history: z.array(z.object({ ts: Int, account: Name, symbol: Name, rateE8: Int, amountAtoms: Atoms })),
  }),
  liquidations: z.array(
    z.object({
      ts: Int,
      account: Name,
      symbol: Name,
      lots: Int,
      markTicks: Count,
      realizedPnlAtoms: Atoms,
      shortfallAtoms: Atoms,
    }),
  ),
  spot: VenueMarketSnapshotSchema,
  perp: VenueMarketSnapshotSchema,
});

export const FaultsSnapshotSchema = z.object({
  nextId: Seq,
  prng: PrngStateSchema,
  rules: z.array(z.object({ id: Name, seen: Count, fired: Count, rule: FaultRuleSchema })),
});

export const MarketProcessSnapshotSchema = z.object({
  options: z.object({
    volPerSqrtSec: z.number(),
    perpBasisMeanBps: z.number(),
    spotBasisMeanBps: z.number(),
    basisReversionPerSec: z.number(),
    basisVolBpsPerSqrtSec: z.number(),
    dislocationRatePerSec: z.number(),
    dislocationBps: z.number(),
    dislocationDurationMs: z.number(),
  }),
  elapsedMs: z.number(),
  prng: PrngStateSchema,
  /** Fair value per base asset (floats: the synthetic process is the one place prices are not exact). */
  fair: z.array(z.object({ asset: Name, price: z.number() })),
  basis: z.array(
    z.object({ key: Name, bps: z.number(), dislocationBps: z.number(), dislocationUntil: z.number() }),
  ),
});

export const BotSnapshotSchema = z.object({
  venueMarket: Name,
  symbol: Name,
  account: Name,
  prng: PrngStateSchema,
  steps: Count,
});

const BookTopSchema = z.object({
  symbol: Name,
  bidPrice: z.string().nullable(),
  bidQty: z.string().nullable(),
  askPrice: z.string().nullable(),
  askQty: z.string().nullable(),
  ts: Int,
});

export const SimSnapshotSchema = z.object({
  format: z.literal(SIM_SNAPSHOT_FORMAT),
  version: z.literal(SIM_SNAPSHOT_VERSION),
  seed: z.int().min(0).max(0xffff_ffff),
  /** The simulated clock, ms since the epoch. */
  now: Int,
  prng: PrngStateSchema,
  faults: FaultsSnapshotSchema,
  venues: z.array(VenueSnapshotSchema).min(1),
  /** The synthetic price process and its liquidity bots (in creation order), if the market runs one. */
  synthetic: z.object({ process: MarketProcessSnapshotSchema, bots: z.array(BotSnapshotSchema) }).nullable(),
  /** Feeds frozen by a `stale` fault: until when, and the tops they keep showing. */
  staleFeeds: z.array(z.object({ venueMarket: Name, until: Int })),
  frozenTops: z.array(z.object({ key: Name, top: BookTopSchema })),
});

export type SimSnapshot = z.infer<typeof SimSnapshotSchema>;
export type VenueSnapshot = z.infer<typeof VenueSnapshotSchema>;
export type VenueConfigSnapshot = z.infer<typeof VenueConfigSnapshotSchema>;
export type VenueMarketSnapshot = z.infer<typeof VenueMarketSnapshotSchema>;
export type OrderSnapshot = z.infer<typeof OrderSnapshotSchema>;
export type TradeSnapshot = z.infer<typeof TradeSnapshotSchema>;
export type SpotWalletsSnapshot = z.infer<typeof SpotWalletsSnapshotSchema>;
export type PerpLedgerSnapshot = z.infer<typeof PerpLedgerSnapshotSchema>;
export type FaultsSnapshot = z.infer<typeof FaultsSnapshotSchema>;
export type MarketProcessSnapshot = z.infer<typeof MarketProcessSnapshotSchema>;
export type BotSnapshot = z.infer<typeof BotSnapshotSchema>;

/** A snapshot that cannot be restored: not one, another version, or inconsistent. */
export class SimSnapshotError extends Error {
  override readonly name = 'SimSnapshotError';
}

/** Validates `input` as a snapshot this simulator can restore; the error names the first bad fields. */
export function parseSimSnapshot(input: unknown): SimSnapshot {
  const head = z.object({ format: z.string(), version: z.unknown() }).safeParse(input);
  if (!head.success || head.data.format !== SIM_SNAPSHOT_FORMAT)
    throw new SimSnapshotError(`not a simulator snapshot (expected format "${SIM_SNAPSHOT_FORMAT}")`);
  if (head.data.version !== SIM_SNAPSHOT_VERSION)
    throw new SimSnapshotError(
      `simulator snapshot version ${String(head.data.version)} is not supported (this simulator reads version ${SIM_SNAPSHOT_VERSION})`,
    );
  const parsed = SimSnapshotSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
  throw new SimSnapshotError(`invalid simulator snapshot: ${issues}`);
}

/** Atoms back from their decimal string. */
export const atoms = (text: string): bigint => BigInt(text);

/** Fails a restore on a snapshot whose parts contradict each other (e.g. a resting order that is closed). */
export function inconsistent(what: string): never {
  throw new SimSnapshotError(`inconsistent simulator snapshot: ${what}`);
}
