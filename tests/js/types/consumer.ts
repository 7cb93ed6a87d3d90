/* What an editor sees of the client library: tests/js/types.sh has
 * TypeScript check this file against www/cryptopulse.js's JSDoc types.
 * Each @ts-expect-error line must be an error, or the check fails: the
 * types are precise, not "any". */
import { connect, VERSION, HttpError, type Price } from '../../../www/cryptopulse.js';
import { CryptoPulseTicker } from '../../../www/cryptopulse-ticker.js';

const version: string = VERSION;
const cp = connect(undefined, { symbols: ['BTC', 'ETH'], transport: 'sse', share: 'broadcast' });
const off: () => void = cp.on('price', (p) => {
  const price: number = p.price;
  const symbol: string = p.symbol;
  const id: string = p.id;
  return [price, symbol, id];
});
off();
cp.on('tick', (t) => t.prices.map((p: Price) => p.change24h.toFixed(2)));
cp.on('state', (state, detail) => {
  if (state === 'reconnecting' && detail && detail.delayMs) return detail.delayMs + 1;
  // @ts-expect-error: not a state
  if (state === 'connected') return 0;
  return 0;
});
cp.on('latency', (ms) => (ms === null ? 0 : ms.toFixed(0)));
cp.on('welcome', (w) => w.symbols.join() + w.intervalMs.toFixed(0) + w.server);
cp.on('error', (e) => e.code + e.message);
// @ts-expect-error: no such event
cp.on('prices', () => 0);
// @ts-expect-error: a price handler gets a price, not a string
cp.on('price', (p: string) => p);
// @ts-expect-error: not a transport
connect(undefined, { transport: 'long-polling' });
// @ts-expect-error: not a sharing mode
connect(undefined, { share: 'always' });
cp.subscribe(['SOL']);
cp.unsubscribe(['ETH']);
const latest: Price | undefined = cp.prices.get('BTC');
const shared: 'worker' | 'broadcast' | 'none' = cp.shared;
cp.history('BTC', { interval: '1h', limit: 24 }).catch((e: unknown) => {
  if (e instanceof HttpError) return e.status + e.code;
  return null;
});
// @ts-expect-error: not an interval
cp.history('BTC', { interval: '2h' });
cp.close();
const el: HTMLElement = new CryptoPulseTicker();
export { version, latest, shared, el };
