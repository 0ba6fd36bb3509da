import { decimalPlaces, multiply } from '../../../domain/decimal';
import { canonicalToVenue } from '../../../domain/symbols';
import type { Side } from '../../../domain/trading';
import type { DepthDiffView } from '../../depth-stream';
import type { Instrument as SimInstrument } from '../../instruments';
import type { FillView, OrderView, TradeView } from '../../orders';
import type { PerpAccountView, PositionView, BalanceView, FundingView } from '../../venue';
import type { BookTop } from '../../venue-market';

/** Simulator views in the JSON shapes of Binance spot (`/api/v3`) and USD-M futures (`/fapi`). */

export const PERPETUAL_DELIVERY = 4133404800000;

export const binanceSymbol = (symbol: string): string =>
  canonicalToVenue('binance', 'spot', symbol) ?? symbol;

/** `binance-spot-7` -> 7: Binance order ids are numbers. */
export function numericOrderId(orderId: string): number {
  return Number(orderId.slice(orderId.lastIndexOf('-') + 1));
}

function orderType(o: OrderView): string {
  if (o.type === 'market') return 'MARKET';
  return o.postOnly ? 'LIMIT_MAKER' : 'LIMIT';
}

/** `quoteOrderQty`: the quote amount a MARKET order was placed for (Binance echoes it on placement). */
export function spotOrder(o: OrderView, quoteOrderQty?: string): Record<string, unknown> {
  return {
    symbol: binanceSymbol(o.symbol),
    orderId: numericOrderId(o.orderId),
    orderListId: -1,
    clientOrderId: o.clientOrderId,
    price: o.price ?? '0',
    origQty: o.quantity,
    executedQty: o.filledQuantity,
    cummulativeQuoteQty: o.cumulativeQuote,
    status: o.status,
    timeInForce: o.timeInForce,
    type: orderType(o),
    side: o.side.toUpperCase(),
    stopPrice: '0',
    icebergQty: '0',
    time: o.createdAt,
    updateTime: o.updatedAt,
    isWorking: true,
    workingTime: o.createdAt,
    origQuoteOrderQty: quoteOrderQty ?? '0',
    selfTradePreventionMode: 'NONE',
  };
}

/** POST /api/v3/order with newOrderRespType FULL: the order plus its fills. */
export function spotOrderFull(
  o: OrderView,
  fills: FillView[],
  quoteOrderQty?: string,
): Record<string, unknown> {
  return {
    ...spotOrder(o, quoteOrderQty),
    transactTime: o.updatedAt,
    fills: fills.map((f) => ({
      price: f.price,
      qty: f.quantity,
      commission: f.fee,
      commissionAsset: f.feeAsset,
      tradeId: f.tradeId,
    })),
  };
}

/** GET /api/v3/myTrades: one of the account's fills. */
export function spotMyTrade(f: FillView): Record<string, unknown> {
  return {
    symbol: binanceSymbol(f.symbol),
    id: f.tradeId,
    orderId: numericOrderId(f.orderId),
    orderListId: -1,
    price: f.price,
    qty: f.quantity,
    quoteQty: multiply(f.price, f.quantity),
    commission: f.fee,
    commissionAsset: f.feeAsset,
    time: f.ts,
    isBuyer: f.side === 'buy',
    isMaker: f.liquidity === 'maker',
    isBestMatch: true,
  };
}

/**
 * GET /fapi/v1/userTrades: one of the account's fills. The simulator does not book realized PnL per
 * fill, so `realizedPnl` is "0" (the position's realized PnL is in positionRisk / the ledger).
 */
export function futuresUserTrade(f: FillView, marginAsset: string): Record<string, unknown> {
  return {
    symbol: binanceSymbol(f.symbol),
    id: f.tradeId,
    orderId: numericOrderId(f.orderId),
    side: f.side.toUpperCase(),
    price: f.price,
    qty: f.quantity,
    realizedPnl: '0',
    marginAsset,
    quoteQty: multiply(f.price, f.quantity),
    commission: f.fee,
    commissionAsset: f.feeAsset,
    time: f.ts,
    positionSide: 'BOTH',
    buyer: f.side === 'buy',
    maker: f.liquidity === 'maker',
  };
}

export function futuresOrder(o: OrderView): Record<string, unknown> {
  const type = o.type === 'market' ? 'MARKET' : 'LIMIT';
  return {
    orderId: numericOrderId(o.orderId),
    symbol: binanceSymbol(o.symbol),
    status: o.status,
    clientOrderId: o.clientOrderId,
    price: o.price ?? '0',
    avgPrice: o.averagePrice ?? '0',
    origQty: o.quantity,
    executedQty: o.filledQuantity,
    cumQty: o.filledQuantity,
    cumQuote: o.cumulativeQuote,
    timeInForce: o.postOnly ? 'GTX' : o.timeInForce,
    type,
    reduceOnly: o.reduceOnly,
    closePosition: false,
    side: o.side.toUpperCase(),
    positionSide: 'BOTH',
    stopPrice: '0',
    workingType: 'CONTRACT_PRICE',
    priceProtect: false,
    origType: type,
    priceMatch: 'NONE',
    selfTradePreventionMode: 'NONE',
    goodTillDate: 0,
    time: o.createdAt,
    updateTime: o.updatedAt,
  };
}

function filters(i: SimInstrument, futures: boolean): Array<Record<string, unknown>> {
  const s = i.spec;
  return [
    { filterType: 'PRICE_FILTER', minPrice: s.tickSize, maxPrice: '10000000', tickSize: s.tickSize },
    { filterType: 'LOT_SIZE', minQty: s.minQty, maxQty: s.maxQty, stepSize: s.lotSize },
    { filterType: 'MARKET_LOT_SIZE', minQty: s.minQty, maxQty: s.maxQty, stepSize: s.lotSize },
    futures
      ? { filterType: 'MIN_NOTIONAL', notional: s.minNotional }
      : {
          filterType: 'NOTIONAL',
          minNotional: s.minNotional,
          applyMinToMarket: true,
          maxNotional: '9000000',
          applyMaxToMarket: false,
          avgPriceMins: 5,
        },
  ];
}

export function spotExchangeInfo(instruments: SimInstrument[], now: number): Record<string, unknown> {
  return {
    timezone: 'UTC',
    serverTime: now,
    rateLimits: [],
    exchangeFilters: [],
    symbols: instruments.map((i) => ({
      symbol: binanceSymbol(i.symbol),
      status: 'TRADING',
      baseAsset: i.base,
      baseAssetPrecision: 8,
      quoteAsset: i.quote,
      quotePrecision: 8,
      quoteAssetPrecision: 8,
      baseCommissionPrecision: 8,
      quoteCommissionPrecision: 8,
      orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET'],
      icebergAllowed: false,
      ocoAllowed: false,
      quoteOrderQtyMarketAllowed: true,
      allowTrailingStop: false,
      cancelReplaceAllowed: false,
      isSpotTradingAllowed: true,
      isMarginTradingAllowed: false,
      filters: filters(i, false),
      permissions: [],
      permissionSets: [['SPOT']],
      defaultSelfTradePreventionMode: 'NONE',
      allowedSelfTradePreventionModes: ['NONE'],
    })),
  };
}

export function futuresExchangeInfo(instruments: SimInstrument[], now: number): Record<string, unknown> {
  return {
    timezone: 'UTC',
    serverTime: now,
    futuresType: 'U_MARGINED',
    rateLimits: [],
    exchangeFilters: [],
    assets: [{ asset: 'USDT', marginAvailable: true, autoAssetExchange: '0' }],
    symbols: instruments.map((i) => ({
      symbol: binanceSymbol(i.symbol),
      pair: binanceSymbol(i.symbol),
      contractType: 'PERPETUAL',
      deliveryDate: PERPETUAL_DELIVERY,
      onboardDate: 1569398400000,
      status: 'TRADING',
      maintMarginPercent: String(i.maintenanceMarginPpm / 10_000),
      requiredMarginPercent: String(100 / i.maxLeverage),
      baseAsset: i.base,
      quoteAsset: i.quote,
      marginAsset: i.quote,
      pricePrecision: decimalPlaces(i.spec.tickSize),
      quantityPrecision: decimalPlaces(i.spec.lotSize),
      baseAssetPrecision: 8,
      quotePrecision: 8,
      underlyingType: 'COIN',
      underlyingSubType: [],
      triggerProtect: '0.0500',
      liquidationFee: '0.012500',
      marketTakeBound: '0.05',
      maxMoveOrderLimit: 10000,
      filters: filters(i, true),
      orderTypes: ['LIMIT', 'MARKET'],
      timeInForce: ['GTC', 'IOC', 'FOK', 'GTX'],
    })),
  };
}

export function bookTicker(top: BookTop, futures: boolean, now: number): Record<string, unknown> {
  return {
    symbol: binanceSymbol(top.symbol),
    bidPrice: top.bidPrice ?? '0',
    bidQty: top.bidQty ?? '0',
    askPrice: top.askPrice ?? '0',
    askQty: top.askQty ?? '0',
    ...(futures ? { time: now, lastUpdateId: now } : {}),
  };
}

export function spotAccount(balances: BalanceView[], now: number): Record<string, unknown> {
  return {
    makerCommission: 10,
    takerCommission: 10,
    buyerCommission: 0,
    sellerCommission: 0,
    commissionRates: { maker: '0.001', taker: '0.001', buyer: '0', seller: '0' },
    canTrade: true,
    canWithdraw: false,
    canDeposit: false,
    brokered: false,
    requireSelfTradePrevention: false,
    preventSor: false,
    updateTime: now,
    accountType: 'SPOT',
    balances: balances.map((b) => ({ asset: b.asset, free: b.available, locked: b.locked })),
    permissions: ['SPOT'],
  };
}

export function futuresPosition(p: PositionView | undefined, symbol: string, mark: string, leverage: number) {
  const amt = p === undefined || p.side === 'flat' ? '0' : p.side === 'short' ? `-${p.quantity}` : p.quantity;
  return {
    symbol: binanceSymbol(symbol),
    positionSide: 'BOTH',
    positionAmt: amt,
    entryPrice: p?.entryPrice ?? '0',
    breakEvenPrice: p?.entryPrice ?? '0',
    markPrice: p?.markPrice ?? mark,
    unRealizedProfit: p?.unrealizedPnl ?? '0',
    liquidationPrice: '0',
    leverage: String(p?.leverage ?? leverage),
    maxNotionalValue: '1000000000',
    marginType: 'cross',
    isolatedMargin: '0',
    isAutoAddMargin: 'false',
    notional: '0',
    isolatedWallet: '0',
    marginAsset: 'USDT',
    initialMargin: p?.initialMargin ?? '0',
    maintMargin: p?.maintenanceMargin ?? '0',
    positionInitialMargin: p?.initialMargin ?? '0',
    openOrderInitialMargin: '0',
    adl: 0,
    bidNotional: '0',
    askNotional: '0',
    updateTime: 0,
  };
}

export function futuresAccount(a: PerpAccountView, now: number): Record<string, unknown> {
  const asset = {
    asset: a.asset,
    walletBalance: a.walletBalance,
    unrealizedProfit: a.unrealizedPnl,
    marginBalance: a.equity,
    maintMargin: '0',
    initialMargin: a.orderMargin,
    positionInitialMargin: '0',
    openOrderInitialMargin: a.orderMargin,
    crossWalletBalance: a.walletBalance,
    crossUnPnl: a.unrealizedPnl,
    availableBalance: a.availableMargin,
    maxWithdrawAmount: a.availableMargin,
    marginAvailable: true,
    updateTime: now,
  };
  return {
    feeTier: 0,
    canTrade: true,
    canDeposit: false,
    canWithdraw: false,
    updateTime: now,
    multiAssetsMargin: false,
    totalInitialMargin: a.orderMargin,
    totalMaintMargin: '0',
    totalWalletBalance: a.walletBalance,
    totalUnrealizedProfit: a.unrealizedPnl,
    totalMarginBalance: a.equity,
    totalPositionInitialMargin: '0',
    totalOpenOrderInitialMargin: a.orderMargin,
    totalCrossWalletBalance: a.walletBalance,
    totalCrossUnPnl: a.unrealizedPnl,
    availableBalance: a.availableMargin,
    maxWithdrawAmount: a.availableMargin,
    assets: [asset],
    positions: a.positions.map((p) => futuresPosition(p, p.symbol, p.markPrice, p.leverage)),
  };
}

export function premiumIndex(f: FundingView, mark: string, now: number): Record<string, unknown> {
  return {
    symbol: binanceSymbol(f.symbol),
    markPrice: mark,
    indexPrice: mark,
    estimatedSettlePrice: mark,
    lastFundingRate: f.rate,
    interestRate: '0.0001',
    nextFundingTime: f.nextFundingTime,
    time: now,
  };
}

/**
 * A `<symbol>@depth` diff. USD-M adds the transaction time and `pu`, the previous diff's final id: the
 * simulator numbers a book's diffs without holes, so that is this one's first id less one (a diff a
 * `depth-gap` fault dropped still counts, which is how a reader sees the gap).
 */
export function depthUpdate(d: DepthDiffView, futures: boolean, now: number): Record<string, unknown> {
  const s = binanceSymbol(d.symbol);
  const ids = { U: d.firstUpdateId, u: d.finalUpdateId };
  if (!futures) return { e: 'depthUpdate', E: now, s, ...ids, b: d.bids, a: d.asks };
  return { e: 'depthUpdate', E: now, T: d.ts, s, ...ids, pu: d.firstUpdateId - 1, b: d.bids, a: d.asks };
}

/** A `<symbol>@trade` event; `m`: the buyer was the maker, i.e. a seller took. */
export function tradeEvent(t: TradeView, futures: boolean, now: number): Record<string, unknown> {
  const s = binanceSymbol(t.symbol);
  const m = t.takerSide === 'sell';
  if (!futures) return { e: 'trade', E: now, s, t: t.tradeId, p: t.price, q: t.quantity, T: t.ts, m };
  return { e: 'trade', E: now, T: t.ts, s, t: t.tradeId, p: t.price, q: t.quantity, X: 'MARKET', m };
}

/** Consecutive fills of one taker order at one price, as a `<symbol>@aggTrade` event sums them. */
export interface AggregateTrade {
  symbol: string;
  firstTradeId: number;
  lastTradeId: number;
  price: string;
  quantity: string;
  ts: number;
  takerSide: Side;
}

/** A `<symbol>@aggTrade` event: its id is its first trade's, as on the REST `aggTrades`. */
export function aggTradeEvent(a: AggregateTrade, now: number): Record<string, unknown> {
  return {
    e: 'aggTrade',
    E: now,
    s: binanceSymbol(a.symbol),
    a: a.firstTradeId,
    p: a.price,
    q: a.quantity,
    f: a.firstTradeId,
    l: a.lastTradeId,
    T: a.ts,
    m: a.takerSide === 'sell',
  };
}
