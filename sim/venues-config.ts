import type { MarketKind, VenueName } from './ids';
import type { InstrumentSpec } from './instruments';

export type ClientIdReuse = 'never' | 'after-close';

export interface FeeSchedule {
  /** Parts per million of notional, e.g. 1000 = 0.1 %. */
  makerPpm: number;
  takerPpm: number;
}

export interface MarketConfig {
  fees: FeeSchedule;
  instruments: InstrumentSpec[];
}

export interface VenueConfig {
  name: VenueName;
  clientIdReuse: ClientIdReuse;
  spot: MarketConfig;
  perp: MarketConfig;
  /** Funding settles every this many ms of simulated time (8 h on the big venues). */
  fundingIntervalMs: number;
}

interface AssetDefaults {
  spot: Omit<InstrumentSpec, 'symbol'>;
  perp: Omit<InstrumentSpec, 'symbol'>;
  /** Starting fair value for the synthetic price process. */
  initialPrice: number;
}

/** Per base asset filters, close to what the big venues publish for these pairs. */
export const DEFAULT_ASSETS: Record<string, AssetDefaults> = {
  BTC: {
    initialPrice: 60000,
    spot: { tickSize: '0.01', lotSize: '0.00001', minQty: '0.00001', maxQty: '9000', minNotional: '5' },
    perp: {
      tickSize: '0.1',
      lotSize: '0.001',
      minQty: '0.001',
      maxQty: '1000',
      minNotional: '5',
      maintenanceMarginPpm: 4000,
      maxLeverage: 125,
    },
  },
  ETH: {
    initialPrice: 3000,
    spot: { tickSize: '0.01', lotSize: '0.0001', minQty: '0.0001', maxQty: '9000', minNotional: '5' },
    perp: {
      tickSize: '0.01',
      lotSize: '0.001',
      minQty: '0.001',
      maxQty: '10000',
      minNotional: '5',
      maintenanceMarginPpm: 5000,
      maxLeverage: 100,
    },
  },
  SOL: {
    initialPrice: 150,
    spot: { tickSize: '0.01', lotSize: '0.001', minQty: '0.001', maxQty: '90000', minNotional: '5' },
    perp: {
      tickSize: '0.01',
      lotSize: '0.01',
      minQty: '0.01',
      maxQty: '100000',
      minNotional: '5',
      maintenanceMarginPpm: 10000,
      maxLeverage: 50,
    },
  },
  XRP: {
    initialPrice: 0.55,
    spot: { tickSize: '0.0001', lotSize: '0.1', minQty: '0.1', maxQty: '9000000', minNotional: '5' },
    perp: {
      tickSize: '0.0001',
      lotSize: '0.1',
      minQty: '0.1',
      maxQty: '9000000',
      minNotional: '5',
      maintenanceMarginPpm: 10000,
      maxLeverage: 50,
    },
  },
};

export const DEFAULT_SYMBOLS = ['BTC-USDT', 'ETH-USDT', 'SOL-USDT', 'XRP-USDT'];

const FEES: Record<VenueName, { spot: FeeSchedule; perp: FeeSchedule; clientIdReuse: ClientIdReuse }> = {
  binance: {
    spot: { makerPpm: 1000, takerPpm: 1000 },
    perp: { makerPpm: 200, takerPpm: 500 },
    clientIdReuse: 'after-close',
  },
  bybit: {
    spot: { makerPpm: 1000, takerPpm: 1000 },
    perp: { makerPpm: 200, takerPpm: 550 },
    clientIdReuse: 'never',
  },
  okx: {
    spot: { makerPpm: 800, takerPpm: 1000 },
    perp: { makerPpm: 200, takerPpm: 500 },
    clientIdReuse: 'after-close',
  },
  mexc: {
    spot: { makerPpm: 0, takerPpm: 500 },
    perp: { makerPpm: 0, takerPpm: 200 },
    clientIdReuse: 'never',
  },
};

export function instrumentSpecsFor(kind: MarketKind, symbols: readonly string[]): InstrumentSpec[] {
  return symbols.map((symbol) => {
    const base = symbol.split('-')[0] ?? '';
    const defaults = DEFAULT_ASSETS[base];
    if (!defaults) throw new Error(`no default filters for ${symbol}; pass an InstrumentSpec`);
    return { symbol, ...defaults[kind] };
  });
}

export function defaultVenueConfig(
  name: VenueName,
  symbols: readonly string[] = DEFAULT_SYMBOLS,
): VenueConfig {
  const f = FEES[name];
  return {
    name,
    clientIdReuse: f.clientIdReuse,
    fundingIntervalMs: 8 * 3600_000,
    spot: { fees: f.spot, instruments: instrumentSpecsFor('spot', symbols) },
    perp: { fees: f.perp, instruments: instrumentSpecsFor('perp', symbols) },
  };
}
