import { add, compare, decimalPlaces, multiply, subtract } from '../../../domain/decimal';
import { canonicalToVenue } from '../../../domain/symbols';
import { formatAtoms } from '../../instruments';
import type { Instrument as SimInstrument } from '../../instruments';
import type { OrderView, TradeRecord } from '../../orders';
import type { BalanceView, FundingView, PerpAccountView, PositionView } from '../../venue';
import type { BookTop } from '../../venue-market';
import { firstAtOrAfter, percentChange, tapeStats } from '../binance/tape';
import type { BybitCategory } from './errors';

/** Simulator views in the JSON shapes of Bybit v5 (`/v5/...`), spot and USDT linear perpetuals. */

export const bybitSymbol = (symbol: string): string => canonicalToVenue('bybit', 'spot', symbol) ?? symbol;

/** `bybit-linear-7` style simulator ids -> Bybit's string id: the sequence number. */
export const bybitOrderId = (orderId: string): string => orderId.slice(orderId.lastIndexOf('-') + 1);

const DAY = 86_400_000;

/** The `{ retCode: 0, retMsg: "OK", result, retExtInfo: {}, time }` envelope of every answer. */
export function envelope(result: unknown, time: number, retCode = 0, retMsg = 'OK'): Record<string, unknown> {
  return { retCode, retMsg, result, retExtInfo: {}, time };
}

export function instrumentsInfo(c: BybitCategory, instruments: SimInstrument[], fundingIntervalMs: number) {
  const list = instruments.map((i) => {
    const s = i.spec;
    const common = { symbol: bybitSymbol(i.symbol), baseCoin: i.base, quoteCoin: i.quote, status: 'Trading' };
    if (c === 'spot')
      return {
        ...common,
        innovation: '0',
        marginTrading: 'none',
        stTag: '0',
        lotSizeFilter: {
          basePrecision: s.lotSize,
          quotePrecision: '0.00000001',
          minOrderQty: s.minQty,
          maxOrderQty: s.maxQty,
          minOrderAmt: s.minNotional,
          maxOrderAmt: '9000000',
        },
        priceFilter: { tickSize: s.tickSize },
      };
    return {
      ...common,
      contractType: 'LinearPerpetual',
      launchTime: '1585526400000',
      deliveryTime: '0',
      deliveryFeeRate: '',
      priceScale: String(decimalPlaces(s.tickSize)),
      leverageFilter: { minLeverage: '1', maxLeverage: `${i.maxLeverage}.00`, leverageStep: '0.01' },
      priceFilter: { minPrice: s.tickSize, maxPrice: '1999999.80', tickSize: s.tickSize },
      lotSizeFilter: {
        maxOrderQty: s.maxQty,
        maxMktOrderQty: s.maxQty,
        minOrderQty: s.minQty,
        qtyStep: s.lotSize,
        postOnlyMaxOrderQty: s.maxQty,
        minNotionalValue: s.minNotional,
      },
      unifiedMarginTrade: true,
      fundingInterval: Math.round(fundingIntervalMs / 60_000),
      settleCoin: i.quote,
      copyTrading: 'none',
      upperFundingRate: '0.00375',
      lowerFundingRate: '-0.00375',
      isPreListing: false,
      preListingInfo: null,
    };
  });
  return { category: c, list, nextPageCursor: '' };
}

/**
 * One `/v5/market/tickers` entry: touch from the book, last/24 h figures from the tape (the trades of
 * the 24 h ending now; prices stay at the last trade when the window is empty, "0" if never traded).
 */
export function ticker(
  c: BybitCategory,
  inst: SimInstrument,
  top: BookTop,
  tape: readonly TradeRecord[],
  now: number,
  perp?: { mark: string; funding: FundingView },
): Record<string, unknown> {
  const window = tape.slice(firstAtOrAfter(tape, now - DAY));
  const stats = tapeStats(inst, window);
  const lastTrade = tape[tape.length - 1];
  const last = lastTrade ? inst.formatPrice(lastTrade.priceTicks) : '0';
  const before = tape[tape.length - window.length - 1];
  const openTicks = stats ? (before ?? stats.first).priceTicks : lastTrade?.priceTicks;
  const base = {
    symbol: bybitSymbol(inst.symbol),
    bid1Price: top.bidPrice ?? '',
    bid1Size: top.bidQty ?? '',
    ask1Price: top.askPrice ?? '',
    ask1Size: top.askQty ?? '',
    lastPrice: last,
    prevPrice24h: openTicks === undefined ? '0' : inst.formatPrice(openTicks),
    price24hPcnt:
      openTicks === undefined || !lastTrade
        ? '0'
        : String(Number(percentChange(openTicks, lastTrade.priceTicks)) / 100),
    highPrice24h: stats ? inst.formatPrice(stats.highTicks) : last,
    lowPrice24h: stats ? inst.formatPrice(stats.lowTicks) : last,
    turnover24h: stats ? formatAtoms(stats.quoteAtoms) : '0',
    volume24h: stats ? inst.formatQty(stats.lots) : '0',
  };
  if (c === 'spot' || !perp) return { ...base, usdIndexPrice: '' };
  return {
    ...base,
    indexPrice: perp.mark,
    markPrice: perp.mark,
    prevPrice1h: base.prevPrice24h,
    openInterest: '0',
    openInterestValue: '0',
    fundingRate: perp.funding.rate,
    nextFundingTime: String(perp.funding.nextFundingTime),
    predictedDeliveryPrice: '',
    basisRate: '',
    deliveryFeeRate: '',
    deliveryTime: '0',
  };
}

function orderStatus(o: OrderView, c: BybitCategory): string {
  const filled = compare(o.filledQuantity, '0') > 0;
  switch (o.status) {
    case 'NEW':
      return 'New';
    case 'PARTIALLY_FILLED':
      return 'PartiallyFilled';
    case 'FILLED':
      return 'Filled';
    // An IOC remainder or a cancel after partial fills: spot says PartiallyFilledCanceled.
    case 'CANCELED':
    case 'EXPIRED':
      return filled && c === 'spot' ? 'PartiallyFilledCanceled' : 'Cancelled';
  }
}

function timeInForce(o: OrderView): string {
  if (o.postOnly) return 'PostOnly';
  if (o.type === 'market') return 'IOC';
  return o.timeInForce;
}

/** A `/v5/order/realtime` or `/v5/order/history` entry. Spot market orders are in base units. */
export function order(o: OrderView, c: BybitCategory): Record<string, unknown> {
  const leaves =
    o.status === 'NEW' || o.status === 'PARTIALLY_FILLED' ? subtract(o.quantity, o.filledQuantity) : '0';
  // Bybit reports `tpslMode` on derivatives orders only; ccxt tells a contract order by that key.
  const contract = c === 'spot' ? {} : { tpslMode: 'UNKNOWN' };
  return {
    ...contract,
    orderId: bybitOrderId(o.orderId),
    orderLinkId: o.clientOrderId,
    blockTradeId: '',
    symbol: bybitSymbol(o.symbol),
    price: o.price ?? '0',
    qty: o.quantity,
    side: o.side === 'buy' ? 'Buy' : 'Sell',
    isLeverage: '',
    positionIdx: 0,
    orderStatus: orderStatus(o, c),
    cancelType: o.status === 'CANCELED' ? 'CancelByUser' : 'UNKNOWN',
    rejectReason: 'EC_NoError',
    avgPrice: o.averagePrice ?? (c === 'spot' ? '0' : ''),
    leavesQty: leaves,
    leavesValue: '0',
    cumExecQty: o.filledQuantity,
    cumExecValue: o.cumulativeQuote,
    cumExecFee: o.fee,
    cumFeeDetail: compare(o.fee, '0') > 0 ? { [o.feeAsset]: o.fee } : {},
    timeInForce: timeInForce(o),
    orderType: o.type === 'market' ? 'Market' : 'Limit',
    stopOrderType: '',
    orderIv: '',
    marketUnit: c === 'spot' && o.type === 'market' ? 'baseCoin' : '',
    triggerPrice: '0',
    takeProfit: '0',
    stopLoss: '0',
    tpLimitPrice: '0',
    slLimitPrice: '0',
    tpTriggerBy: '',
    slTriggerBy: '',
    triggerDirection: 0,
    triggerBy: '',
    lastPriceOnCreated: '',
    reduceOnly: o.reduceOnly,
    closeOnTrigger: false,
    placeType: '',
    smpType: 'None',
    smpGroup: 0,
    smpOrderId: '',
    createdTime: String(o.createdAt),
    updatedTime: String(o.updatedAt),
  };
}

/**
 * One `/v5/position/list` entry (one-way mode, positionIdx 0): side Buy/Sell, or "" with size 0 for a
 * symbol without a position.
 */
export function position(
  p: PositionView | undefined,
  symbol: string,
  mark: string,
  leverage: number,
  now: number,
): Record<string, unknown> {
  const open = p !== undefined && p.side !== 'flat';
  const size = open ? p.quantity : '0';
  const entry = open ? (p.entryPrice ?? '0') : '0';
  return {
    positionIdx: 0,
    riskId: 1,
    riskLimitValue: '2000000',
    symbol: bybitSymbol(symbol),
    side: !open ? '' : p.side === 'long' ? 'Buy' : 'Sell',
    size,
    avgPrice: entry,
    positionValue: open ? multiply(size, entry) : '0',
    tradeMode: 0,
    autoAddMargin: 0,
    positionStatus: 'Normal',
    leverage: String(p?.leverage ?? leverage),
    markPrice: p?.markPrice ?? mark,
    liqPrice: '',
    bustPrice: '',
    positionIM: p?.initialMargin ?? '0',
    positionMM: p?.maintenanceMargin ?? '0',
    positionBalance: p?.initialMargin ?? '0',
    takeProfit: '0',
    stopLoss: '0',
    trailingStop: '0',
    sessionAvgPrice: '',
    delta: '',
    gamma: '',
    vega: '',
    theta: '',
    unrealisedPnl: p?.unrealizedPnl ?? '0',
    curRealisedPnl: p?.realizedPnl ?? '0',
    cumRealisedPnl: p?.realizedPnl ?? '0',
    adlRankIndicator: open ? 2 : 0,
    createdTime: String(now),
    updatedTime: String(now),
    seq: 0,
    isReduceOnly: false,
    mmrSysUpdatedTime: '',
    leverageSysUpdatedTime: '',
  };
}

interface CoinLine {
  walletBalance: string;
  locked: string;
  totalOrderIM: string;
  totalPositionIM: string;
  unrealisedPnl: string;
  equity: string;
}

/**
 * `/v5/account/wallet-balance` for accountType UNIFIED. A Bybit unified account is one wallet for spot
 * and derivatives; the simulator keeps a spot wallet and a perp margin account per venue, so each coin
 * line is their sum: spot balance (locked = held by open spot orders) plus, for the margin asset, the
 * perp wallet balance with its order and position margin as IM and its unrealised PnL.
 */
export function unifiedWallet(
  spot: BalanceView[],
  perp: PerpAccountView,
  now: number,
): Record<string, unknown> {
  const coins = new Map<string, CoinLine>();
  const line = (coin: string): CoinLine => {
    let l = coins.get(coin);
    if (!l) {
      l = {
        walletBalance: '0',
        locked: '0',
        totalOrderIM: '0',
        totalPositionIM: '0',
        unrealisedPnl: '0',
        equity: '0',
      };
      coins.set(coin, l);
    }
    return l;
  };
  for (const b of spot) {
    const l = line(b.asset);
    l.walletBalance = add(l.walletBalance, b.total);
    l.equity = add(l.equity, b.total);
    l.locked = add(l.locked, b.locked);
  }
  const positionIM = perp.positions.reduce((sum, p) => add(sum, p.initialMargin), '0');
  if (compare(perp.walletBalance, '0') !== 0 || perp.positions.length > 0) {
    const l = line(perp.asset);
    l.walletBalance = add(l.walletBalance, perp.walletBalance);
    l.equity = add(l.equity, perp.equity);
    l.totalOrderIM = add(l.totalOrderIM, perp.orderMargin);
    l.totalPositionIM = add(l.totalPositionIM, positionIM);
    l.unrealisedPnl = add(l.unrealisedPnl, perp.unrealizedPnl);
  }
  const coin = [...coins].map(([name, l]) => ({
    coin: name,
    equity: l.equity,
    usdValue: '',
    walletBalance: l.walletBalance,
    free: '',
    locked: l.locked,
    spotHedgingQty: '0',
    borrowAmount: '',
    availableToWithdraw: '',
    accruedInterest: '',
    totalOrderIM: l.totalOrderIM,
    totalPositionIM: l.totalPositionIM,
    totalPositionMM: '0',
    unrealisedPnl: l.unrealisedPnl,
    cumRealisedPnl: '0',
    bonus: '0',
    marginCollateral: true,
    collateralSwitch: true,
    availableToBorrow: '',
  }));
  return {
    list: [
      {
        accountType: 'UNIFIED',
        accountLTV: '0',
        accountIMRate: '0',
        accountMMRate: '0',
        totalEquity: '',
        totalWalletBalance: '',
        totalMarginBalance: '',
        totalAvailableBalance: perp.availableMargin,
        totalPerpUPL: perp.unrealizedPnl,
        totalInitialMargin: add(perp.orderMargin, positionIM),
        totalMaintenanceMargin: '0',
        coin,
      },
    ],
    updateTime: String(now),
  };
}
