/** The control API as the dashboard calls it: every call carries the operator's token. */

export interface SymbolView {
  symbol: string;
  workflowId: string;
  status: string;
  problems: string[];
  config: { strategies?: Array<{ name: string; params?: Record<string, unknown> }> } | null;
}

export interface SymbolDetail extends SymbolView {
  strategies: Array<{ name: string; health: string; problems: string[]; openOrders: string[] }>;
}

export interface PositionView {
  strategy: string;
  quantity: string;
  averagePrice: string;
  realizedPnl: string;
  fills: number;
}

export interface PerformancePoint {
  time: number;
  netPnl: string;
}

export type SymbolAction = 'pause' | 'resume' | 'remove';

/** A refusal as the API worded it (`{ error, message }`), with its status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function apiClient(token: () => string) {
  const call = async <T>(method: string, path: string): Promise<T> => {
    const response = await fetch(path, { method, headers: { authorization: `Bearer ${token()}` } });
    const body = (await response.json().catch(() => ({}))) as { message?: string };
    if (!response.ok) throw new ApiError(response.status, body.message ?? response.statusText);
    return body as T;
  };
  const path = (symbol: string) => `/symbols/${encodeURIComponent(symbol)}`;
  return {
    symbols: () => call<{ symbols: SymbolView[] }>('GET', '/symbols'),
    symbol: (symbol: string) => call<SymbolDetail>('GET', path(symbol)),
    positions: (symbol: string) => call<{ positions: PositionView[] }>('GET', `${path(symbol)}/positions`),
    performance: (symbol: string) =>
      call<{ points: PerformancePoint[] }>('GET', `${path(symbol)}/performance`),
    act: (symbol: string, action: SymbolAction) =>
      action === 'remove' ? call('DELETE', path(symbol)) : call('POST', `${path(symbol)}/${action}`),
  };
}
export type ApiClient = ReturnType<typeof apiClient>;
