/**
 * ccxt `urls.api` entries pointing the `bybit` class at a front's base URL. ccxt's bybit builds every
 * request as `<urls.api[api]>/<path>` with paths like `v5/market/time`, for its families `spot`,
 * `futures`, `v2`, `public` and `private` (all `https://api.bybit.com` upstream).
 */
export function bybitFrontApiUrls(baseUrl: string): Record<string, string> {
  const b = baseUrl.replace(/\/+$/, '');
  return { spot: b, futures: b, v2: b, public: b, private: b };
}

/**
 * ccxt.pro `urls.api.ws` entries for the front's streams. Public: ccxt's bybit picks `ws.public.spot` /
 * `ws.public.linear` by market (it tells spot by `spot` in the URL). Private: on a unified account (what
 * the front's `/v5/user/query-api` reports) ccxt uses `ws.private.contract` for every market, spot
 * included, and subscribes the all-in-one `order` topic there; it tells the account type by the URL
 * (`v5/private`, and no `spot` in it). The other private entries (pre-UTA spot, USDC options, the
 * order-entry `trade` socket) are not served: they point at paths the front refuses.
 */
export function bybitFrontWsUrls(baseUrl: string): Record<string, unknown> {
  const b = baseUrl.replace(/\/+$/, '').replace(/^http/, 'ws');
  return {
    public: {
      spot: `${b}/v5/public/spot`,
      linear: `${b}/v5/public/linear`,
      inverse: `${b}/v5/public/inverse`,
      option: `${b}/v5/public/option`,
    },
    private: {
      spot: { unified: `${b}/v5/private`, nonUnified: `${b}/spot/private/v3` },
      contract: `${b}/v5/private`,
      usdc: `${b}/trade/option/usdc/private/v1`,
      trade: `${b}/v5/trade`,
    },
  };
}
