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
