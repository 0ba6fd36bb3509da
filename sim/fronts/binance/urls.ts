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
 * ccxt.pro `urls.api.ws` entries for the front's market stream. ccxt recognises a spot socket by
 * `/stream` in its URL and appends `/public/ws` handling to a futures base ending in `/ws`.
 */
export function binanceFrontWsUrls(baseUrl: string): Record<string, string> {
  const b = baseUrl.replace(/\/+$/, '').replace(/^http/, 'ws');
  return {
    spot: `${b}/stream/ws`,
    margin: `${b}/stream/ws`,
    future: `${b}/fstream/ws`,
  };
}
