/* Number and time formatting for the dashboard, all through Intl.NumberFormat.
 * Prices show exactly the symbol's tick size, as the feeder rounds them
 * (lib/price.c's price_ticks table), so a price never gains or loses digits
 * between ticks and the cards do not shift. */

const TICK_DECIMALS = {
  BTC: 2, ETH: 2, SOL: 2, BNB: 2, XRP: 4, ADA: 4, DOGE: 5, AVAX: 2, DOT: 3, LINK: 3,
  LTC: 2, MATIC: 4, USDT: 4, USDC: 4, TRX: 5, SHIB: 8, BCH: 2, XLM: 5, ATOM: 3, UNI: 3,
  NEAR: 3,
};

const NAMES = {
  BTC: 'Bitcoin', ETH: 'Ethereum', SOL: 'Solana', BNB: 'BNB', XRP: 'XRP', ADA: 'Cardano',
  DOGE: 'Dogecoin', AVAX: 'Avalanche', DOT: 'Polkadot', LINK: 'Chainlink', LTC: 'Litecoin',
  MATIC: 'Polygon', USDT: 'Tether', USDC: 'USD Coin', TRX: 'TRON', SHIB: 'Shiba Inu',
  BCH: 'Bitcoin Cash', XLM: 'Stellar', ATOM: 'Cosmos', UNI: 'Uniswap', NEAR: 'NEAR Protocol',
};

/* Decimal places of symbol's tick size.  A symbol the table does not know is
 * rounded by the feeder to six significant digits of its price, between 0 and
 * 8 places (price_decimals); the places are fixed by the first price seen, so
 * its cards keep their width as the price moves. */
const learnedDecimals = new Map();
export function tickDecimals(symbol, refPrice) {
  if (Object.prototype.hasOwnProperty.call(TICK_DECIMALS, symbol)) return TICK_DECIMALS[symbol];
  let d = learnedDecimals.get(symbol);
  if (d === undefined && Number.isFinite(refPrice) && refPrice > 0) {
    d = Math.min(8, Math.max(0, 5 - Math.floor(Math.log10(refPrice))));
    learnedDecimals.set(symbol, d);
  }
  return d === undefined ? 2 : d;
}

export function coinName(symbol) {
  return Object.prototype.hasOwnProperty.call(NAMES, symbol) ? NAMES[symbol] : symbol;
}

const usdCache = new Map();
function usd(digits) {
  let f = usdCache.get(digits);
  if (!f) {
    f = new Intl.NumberFormat('en-US', {
      style: 'currency', currency: 'USD',
      minimumFractionDigits: digits, maximumFractionDigits: digits,
    });
    usdCache.set(digits, f);
  }
  return f;
}

export function formatPrice(symbol, value) {
  return Number.isFinite(value) ? usd(tickDecimals(symbol, value)).format(value) : '–';
}

const pctFmt = new Intl.NumberFormat('en-US', {
  style: 'percent', minimumFractionDigits: 2, maximumFractionDigits: 2, signDisplay: 'exceptZero',
});
export const formatPercent = (pct) => pctFmt.format(pct / 100);

const compactFmt = new Intl.NumberFormat('en-US', {
  notation: 'compact', compactDisplay: 'short', maximumSignificantDigits: 3,
});
export const formatCompact = (v) => (Number.isFinite(v) ? compactFmt.format(v) : '–');

const intFmt = new Intl.NumberFormat('en-US');
export const formatInt = (v) => intFmt.format(v);

const timeFmt = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
});
export const formatTime = (ms) => timeFmt.format(new Date(ms));
