import type { LiveMessage, OrderView, TradeView } from '../../api/live/live-messages';
import { apiClient, ApiError, type PositionView, type SymbolAction, type SymbolView } from './api-client';
import { liveConnection } from './live-connection';
import { pnlChart } from './pnl-chart';
import { priceChart } from './price-chart';

/*
 * The operator's dashboard: the symbols and their state, and per symbol its chart, book, orders, fills,
 * position and PnL, live from `GET /live`; the REST API for the rest. Every call carries the token the
 * operator gave (kept for the browser tab only); the buttons need the mutation token, and the API says so.
 */

const REFRESH_MS = 3_000;
/** Orders that rest (or may) at the venue: what the chart draws as the grid's levels. */
const RESTING = new Set(['sending', 'unknown', 'open', 'partially-filled']);

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const temporalUi = document.body.dataset.temporalUi ?? '';
const namespace = document.body.dataset.namespace ?? 'default';

let token = sessionStorage.getItem('keel.token') ?? '';
const api = apiClient(() => token);
const chart = priceChart($('chart'));
const pnl = pnlChart($('pnl-chart'));

const view = {
  selected: decodeURIComponent(location.hash.slice(1)) || undefined,
  orders: new Map<string, OrderView>(),
  fills: [] as TradeView[],
  positions: [] as PositionView[],
  mid: undefined as number | undefined,
  /** The grid's lower and upper prices, drawn dashed. */
  bounds: [] as number[],
  /** The next kline message is the connection's first: all the candles so far. */
  awaitingCandles: true,
};

function notice(text: string, kind: 'info' | 'error' = 'info') {
  const element = $('notice');
  element.textContent = text;
  element.dataset.kind = kind;
}

function cells(row: HTMLTableRowElement, values: Array<string | Node>) {
  for (const value of values) row.insertCell().append(value);
  return row;
}

function renderSymbols(symbols: SymbolView[]) {
  const body = $<HTMLTableSectionElement>('symbols');
  body.replaceChildren();
  for (const entry of symbols) {
    const link = document.createElement('a');
    link.href = `${temporalUi}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(entry.workflowId)}`;
    link.target = '_blank';
    link.textContent = 'Temporal';
    const status = document.createElement('span');
    status.className = `status-${entry.status}`;
    status.textContent = entry.status;
    const strategies = (entry.config?.strategies ?? []).map((strategy) => strategy.name).join(', ');
    const row = cells(body.insertRow(), [entry.symbol, status, strategies || '—', link]);
    row.dataset.symbol = entry.symbol;
    row.setAttribute('aria-selected', String(entry.symbol === view.selected));
    row.onclick = () => select(entry.symbol);
  }
}

function renderOrders() {
  const resting = [...view.orders.values()]
    .filter((order) => RESTING.has(order.status))
    .sort((a, b) => Number(b.price ?? 0) - Number(a.price ?? 0));
  const body = $<HTMLTableSectionElement>('orders');
  body.replaceChildren();
  for (const order of resting) {
    const row = cells(body.insertRow(), [
      order.side,
      order.price ?? 'market',
      order.quantity,
      order.filledQuantity,
      order.status,
    ]);
    row.className = order.side;
  }
  chart.setLevels(
    resting
      .filter((order) => order.price !== null)
      .map((order) => ({ price: Number(order.price), side: order.side === 'sell' ? 'sell' : 'buy' })),
    view.bounds,
  );
}

function renderFills() {
  const body = $<HTMLTableSectionElement>('fills');
  body.replaceChildren();
  for (const fill of view.fills.slice(0, 50)) {
    const time = new Date(fill.time * 1000).toLocaleTimeString();
    cells(body.insertRow(), [time, fill.side, fill.price, fill.amount, fill.strategy]).className = fill.side;
  }
  chart.setFills(view.fills.map((fill) => ({ time: fill.time, side: fill.side, price: Number(fill.price) })));
}

function renderPosition() {
  const body = $<HTMLTableSectionElement>('position');
  body.replaceChildren();
  for (const position of view.positions) {
    const quantity = Number(position.quantity);
    const unrealized =
      view.mid === undefined ? '—' : (quantity * (view.mid - Number(position.averagePrice))).toFixed(8);
    cells(body.insertRow(), [position.strategy, `${position.quantity} @ ${position.averagePrice}`]);
    cells(body.insertRow(), ['realized PnL', position.realizedPnl]);
    cells(body.insertRow(), ['unrealized PnL', unrealized]);
  }
  if (view.positions.length === 0) cells(body.insertRow(), ['flat', '']);
}

function onMessage(message: LiveMessage) {
  if (!view.selected) return; // the feed then only tells whether the API is there
  switch (message.type) {
    case 'history':
      view.orders = new Map(message.data.orders.map((order) => [order.id, order]));
      view.fills = [...message.data.trades].sort((a, b) => b.time - a.time);
      view.awaitingCandles = true;
      renderOrders();
      renderFills();
      return;
    case 'orders':
      view.orders.set(message.data.id, message.data);
      return renderOrders();
    case 'trade_event':
      view.fills.unshift(message.data);
      renderFills();
      return void refreshPositions();
    case 'position':
      return void refreshPositions();
    case 'kline':
      if (view.awaitingCandles) chart.setCandles(message.data.candles, message.data.interval);
      else for (const candle of message.data.candles) chart.updateCandle(candle);
      view.awaitingCandles = false;
      return;
    case 'book': {
      const { bid, ask, bidSize, askSize } = message.data;
      view.mid = (Number(bid) + Number(ask)) / 2;
      const body = $<HTMLTableSectionElement>('book');
      body.replaceChildren();
      cells(body.insertRow(), ['ask', ask, askSize]).className = 'sell';
      cells(body.insertRow(), ['bid', bid, bidSize]).className = 'buy';
      return renderPosition();
    }
  }
}

const live = liveConnection(() => token, {
  onMessage,
  onState(state) {
    const element = $('connection');
    element.textContent = state;
    element.dataset.state = state;
  },
});

async function refreshPositions() {
  if (!view.selected) return;
  view.positions = (
    await api.positions(view.selected).catch(() => ({ positions: view.positions }))
  ).positions;
  renderPosition();
}

async function refresh() {
  try {
    renderSymbols((await api.symbols()).symbols);
    if (!view.selected) return;
    const detail = await api.symbol(view.selected);
    $('detail-status').textContent = detail.status;
    $('detail-status').className = `status-${detail.status}`;
    $('detail-problems').textContent = detail.problems.join('; ');
    const grid = detail.config?.strategies?.find((strategy) => strategy.name === 'grid')?.params;
    view.bounds = grid ? [Number(grid.lowerPrice), Number(grid.upperPrice)] : [];
    await refreshPositions();
    pnl.setPoints((await api.performance(view.selected)).points);
  } catch (error) {
    notice(
      error instanceof ApiError ? `${error.status}: ${error.message}` : 'the API does not answer',
      'error',
    );
  }
}

function select(symbol: string) {
  view.selected = symbol;
  history.replaceState(null, '', `#${encodeURIComponent(symbol)}`);
  view.orders.clear();
  view.fills = [];
  view.positions = [];
  view.mid = undefined;
  chart.clear();
  pnl.setPoints([]);
  $('detail').hidden = false;
  $('detail-symbol').textContent = symbol;
  live.follow([symbol]);
  void refresh();
}

async function act(action: SymbolAction) {
  const symbol = view.selected;
  if (!symbol) return;
  try {
    await api.act(symbol, action);
    notice(`${action} ${symbol}: accepted`);
    void refresh();
  } catch (error) {
    const reason = error instanceof ApiError ? `${error.status} ${error.message}` : String(error);
    notice(`${action} ${symbol} refused: ${reason}`, 'error');
  }
}

for (const button of document.querySelectorAll<HTMLButtonElement>('button[data-action]'))
  button.onclick = () => void act(button.dataset.action as SymbolAction);

$('token-form').onsubmit = (event) => {
  event.preventDefault();
  token = $<HTMLInputElement>('token').value;
  sessionStorage.setItem('keel.token', token);
  notice('');
  if (view.selected) select(view.selected);
  else live.follow([]);
  void refresh();
};

if (view.selected) select(view.selected);
else live.follow([]);
void refresh();
setInterval(() => void refresh(), REFRESH_MS);
