/** ccxt `urls.api` entries pointing the `binance` / `binanceusdm` classes at a front's base URL. */
export function binanceFrontApiUrls(baseUrl: string): Record<string, string> {
  const b = baseUrl.replace(/\/+$/, '');
  return {
    public: `${b}/api/v3`,
    private: `${b}/api/v3`,
    v1: `${b}/api/v1`,
    fapiPublic: `${b}/fapi/v1`,
    fapiPublicV2: `${b}/fapi/v2`,
    fapiPublicV3: `${b}/fapi/v3`,
    fapiPrivate: `${b}/fapi/v1`,
    fapiPrivateV2: `${b}/fapi/v2`,
    fapiPrivateV3: `${b}/fapi/v3`,
  };
}

/**
 * ccxt.pro `urls.api.ws` entries for the front's streams. ccxt recognises a spot market socket by
 * `/stream` in its URL and rewrites a futures base ending in `/ws` to `/public/ws` (book tickers) and
 * `/private/ws?listenKey=` (USD-M user data). Spot user data goes over the WebSocket API (`ws-api.spot`).
 */
export function binanceFrontWsUrls(baseUrl: string): {
  spot: string;
  margin: string;
  future: string;
  'ws-api': { spot: string };
} {
  const b = baseUrl.replace(/\/+$/, '').replace(/^http/, 'ws');
  return {
    spot: `${b}/stream/ws`,
    margin: `${b}/stream/ws`,
    future: `${b}/fstream/ws`,
    'ws-api': { spot: `${b}/ws-api/v3` },
  };
}
