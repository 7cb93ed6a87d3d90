/* CryptoPulse dashboard: speaks the WebSocket protocol of PROTOCOL.md section 2.
 * Plain ES2020, no dependencies. Every server string reaches the DOM through
 * textContent only. */
'use strict';

(() => {
  const PING_INTERVAL_MS = 5000;
  const BACKOFF_START_MS = 500;
  const BACKOFF_MAX_MS = 15000;
  const SPARK_POINTS = 60;
  const HISTORY_LIMIT = 60;

  const state = {
    ws: null,
    attempt: 0,
    retryTimer: 0,
    pingTimer: 0,
    staleTimer: 0,
    pingId: 0,
    lastMessageAt: 0,
    intervalMs: 1500,
    ticks: 0,
    lastTickId: null,
    order: [],
    cards: new Map(),
  };

  const $ = (id) => document.getElementById(id);
  const dom = {
    status: $('status'),
    statusText: $('status-text'),
    ticks: $('ticks'),
    latency: $('latency'),
    cards: $('cards'),
    empty: $('empty'),
    server: $('server'),
    updated: $('updated'),
  };

  /* ---------- formatting ---------- */

  const fmtCache = new Map();
  function usd(digits) {
    let f = fmtCache.get(digits);
    if (!f) {
      f = new Intl.NumberFormat('en-US', {
        style: 'currency', currency: 'USD',
        minimumFractionDigits: digits, maximumFractionDigits: digits,
      });
      fmtCache.set(digits, f);
    }
    return f;
  }

  function priceDigits(p) {
    const a = Math.abs(p);
    if (a >= 100) return 2;
    if (a >= 1) return 4;
    if (a >= 0.01) return 5;
    return 8;
  }

  const formatPrice = (p) => usd(priceDigits(p)).format(p);

  const pctFmt = new Intl.NumberFormat('en-US', {
    style: 'percent', minimumFractionDigits: 2, maximumFractionDigits: 2,
    signDisplay: 'exceptZero',
  });
  const compactFmt = new Intl.NumberFormat('en-US', {
    notation: 'compact', compactDisplay: 'short', maximumFractionDigits: 2,
  });
  const intFmt = new Intl.NumberFormat('en-US');
  const timeFmt = new Intl.DateTimeFormat(undefined, {
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  });

  /* ---------- header ---------- */

  function setStatus(name, detail) {
    dom.status.dataset.state = name;
    dom.statusText.textContent = detail ? `${name} ${detail}` : name;
  }

  function countTick(id) {
    if (id === undefined || id === null || id === state.lastTickId) return;
    state.lastTickId = id;
    state.ticks += 1;
    dom.ticks.textContent = intFmt.format(state.ticks);
  }

  function showUpdated(ts) {
    if (Number.isFinite(ts)) dom.updated.textContent = `Last tick ${timeFmt.format(new Date(ts))}`;
  }

  /* ---------- cards ---------- */

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  const SVG_NS = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    return node;
  }

  function hue(symbol) {
    let h = 0;
    for (const ch of symbol) h = (h * 31 + ch.codePointAt(0)) % 360;
    return h;
  }

  function stat(label, className) {
    const wrap = el('div', 'stat');
    wrap.append(el('dt', '', label));
    const dd = el('dd', `num ${className}`, '–');
    wrap.append(dd);
    return { wrap, dd };
  }

  function buildCard(symbol) {
    const card = el('article', 'card pending');
    card.dataset.symbol = symbol;
    card.tabIndex = 0;
    card.style.setProperty('--coin-hue', String(hue(symbol)));
    const nameId = `sym-${symbol.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    card.setAttribute('aria-labelledby', nameId);

    const head = el('div', 'card-head');
    const badge = el('span', 'badge', symbol.slice(0, 1));
    badge.setAttribute('aria-hidden', 'true');
    const name = el('h2', 'sym', symbol);
    name.id = nameId;
    const pair = el('span', 'pair', '/ USD');
    const change = el('span', 'change flat num', '–');
    head.append(badge, name, pair, change);

    const price = el('div', 'price num', '–');

    const spark = svg('svg', { class: 'spark', viewBox: '0 0 100 32', preserveAspectRatio: 'none', 'aria-hidden': 'true' });
    const area = svg('path', { class: 'spark-area', d: '' });
    const line = svg('polyline', { class: 'spark-line', points: '', 'vector-effect': 'non-scaling-stroke' });
    spark.append(area, line);

    const range = el('div', 'range');
    range.setAttribute('aria-hidden', 'true');
    const marker = el('span', 'range-marker');
    range.append(marker);

    const stats = el('dl', 'stats');
    const high = stat('24h High', 'high');
    const low = stat('24h Low', 'low');
    const vol = stat('24h Vol', 'vol');
    stats.append(high.wrap, low.wrap, vol.wrap);

    card.append(head, price, spark, range, stats);
    return {
      card, price, change, marker, line, area,
      high: high.dd, low: low.dd, vol: vol.dd,
      last: null, points: [], flashTimer: 0,
    };
  }

  function ensureCard(symbol) {
    let c = state.cards.get(symbol);
    if (!c) {
      c = buildCard(symbol);
      state.cards.set(symbol, c);
      state.order.push(symbol);
      dom.cards.append(c.card);
      dom.empty.hidden = true;
    }
    return c;
  }

  /* Announced symbols first, in welcome order; late arrivals keep their place after. */
  function layoutCards(symbols) {
    for (const s of symbols) ensureCard(s);
    const announced = new Set(symbols);
    state.order = symbols.concat(state.order.filter((s) => !announced.has(s)));
    for (const s of state.order) dom.cards.append(state.cards.get(s).card);
    dom.empty.hidden = state.cards.size > 0;
  }

  function flash(c, up) {
    const cls = up ? 'flash-up' : 'flash-down';
    c.price.classList.remove('flash-up', 'flash-down');
    void c.price.offsetWidth; // restart the animation
    c.price.classList.add(cls);
    clearTimeout(c.flashTimer);
    c.flashTimer = setTimeout(() => c.price.classList.remove(cls), 900);
  }

  function renderChange(c, pct) {
    if (!Number.isFinite(pct)) return;
    const dir = pct > 0 ? 'up' : pct < 0 ? 'down' : 'flat';
    const arrow = dir === 'up' ? '▲' : dir === 'down' ? '▼' : '■';
    c.change.className = `change num ${dir}`;
    c.change.textContent = `${arrow} ${pctFmt.format(pct / 100)}`;
    c.card.dataset.trend = dir;
  }

  function renderRange(c, p, lo, hi) {
    if (![p, lo, hi].every(Number.isFinite) || hi <= lo) return;
    const pos = Math.min(1, Math.max(0, (p - lo) / (hi - lo)));
    c.marker.style.left = `${(pos * 100).toFixed(2)}%`;
  }

  function renderSpark(c) {
    const pts = c.points;
    if (pts.length < 2) return;
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of pts) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    const span = hi - lo || 1;
    const step = 100 / (SPARK_POINTS - 1);
    const x0 = 100 - (pts.length - 1) * step;
    const coords = pts.map((v, i) =>
      `${(x0 + i * step).toFixed(2)},${(30 - ((v - lo) / span) * 28).toFixed(2)}`);
    c.line.setAttribute('points', coords.join(' '));
    c.area.setAttribute('d', `M${x0.toFixed(2)},32 L${coords.join(' L')} L100,32 Z`);
  }

  function pushPoint(c, p) {
    c.points.push(p);
    if (c.points.length > SPARK_POINTS) c.points.splice(0, c.points.length - SPARK_POINTS);
    renderSpark(c);
  }

  function applyPrice(obj) {
    if (!obj || typeof obj.symbol !== 'string' || !Number.isFinite(obj.price)) return;
    const c = ensureCard(obj.symbol);
    const p = obj.price;
    if (c.last !== null && p !== c.last) flash(c, p > c.last);
    c.price.textContent = formatPrice(p);
    c.card.classList.remove('pending', 'stale');
    renderChange(c, obj.change24h);
    if (Number.isFinite(obj.high24h)) c.high.textContent = formatPrice(obj.high24h);
    if (Number.isFinite(obj.low24h)) c.low.textContent = formatPrice(obj.low24h);
    if (Number.isFinite(obj.volume24h)) {
      c.vol.textContent = compactFmt.format(obj.volume24h);
      c.vol.title = intFmt.format(obj.volume24h);
    }
    renderRange(c, p, obj.low24h, obj.high24h);
    if (c.last === null || p !== c.last || c.points.length < 2) pushPoint(c, p);
    c.last = p;
    if (state.order[0] === obj.symbol) document.title = `${obj.symbol} ${formatPrice(p)} · CryptoPulse`;
  }

  function applyHistory(data) {
    if (!data || typeof data.symbol !== 'string' || !Array.isArray(data.points)) return;
    const c = state.cards.get(data.symbol);
    if (!c) return;
    const hist = data.points.map((pt) => (Array.isArray(pt) ? pt[1] : NaN)).filter(Number.isFinite);
    if (!hist.length) return;
    c.points = hist.concat(c.points.slice(-1)).slice(-SPARK_POINTS);
    renderSpark(c);
  }

  /* ---------- staleness: grey the board when ticks stop ---------- */

  function armStaleTimer() {
    clearTimeout(state.staleTimer);
    state.staleTimer = setTimeout(() => {
      for (const c of state.cards.values()) c.card.classList.add('stale');
    }, state.intervalMs * 3 + 500);
  }

  /* ---------- protocol ---------- */

  function send(event, data) {
    const ws = state.ws;
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ event, data }));
  }

  function sendPing() {
    if (state.lastMessageAt && Date.now() - state.lastMessageAt > PING_INTERVAL_MS * 3) {
      dropSocket(); // silent for three ping periods: treat as dead
      return;
    }
    state.pingId += 1;
    send('ping', { id: state.pingId, ts: Date.now() });
  }

  const handlers = {
    welcome(data) {
      state.attempt = 0;
      setStatus('connected');
      if (data && Number.isFinite(data.interval_ms) && data.interval_ms > 0) state.intervalMs = data.interval_ms;
      if (data && typeof data.server === 'string') dom.server.textContent = data.server;
      const symbols = data && Array.isArray(data.symbols)
        ? [...new Set(data.symbols.filter((s) => typeof s === 'string'))] : [];
      layoutCards(symbols);
      send('subscribe', { symbols: ['*'] });
      sendPing();
      clearInterval(state.pingTimer);
      state.pingTimer = setInterval(sendPing, PING_INTERVAL_MS);
    },
    subscribed() {
      for (const s of state.order) {
        if (state.cards.get(s).points.length < 2) send('history', { symbol: s, limit: HISTORY_LIMIT });
      }
    },
    'price-update-bulk'(data) {
      if (!data || !Array.isArray(data.prices)) return;
      countTick(data.id);
      for (const p of data.prices) applyPrice(p);
      showUpdated(data.ts);
      armStaleTimer();
    },
    'price-update'(data) {
      if (!data) return;
      countTick(data.id);
      applyPrice(data);
      showUpdated(data.ts);
      armStaleTimer();
    },
    pong(data) {
      if (data && Number.isFinite(data.ts)) {
        dom.latency.textContent = `${Math.max(0, Date.now() - data.ts)} ms`;
      }
    },
    history: applyHistory,
    error(data) {
      const code = data && data.code;
      // History is optional for the board; do not make noise when a server lacks it.
      if (code !== 'unknown_event') console.warn('CryptoPulse server error:', code, data && data.message);
    },
  };

  function onMessage(ev) {
    state.lastMessageAt = Date.now();
    let msg;
    try {
      msg = JSON.parse(ev.data);
    } catch (_) {
      return;
    }
    if (!msg || typeof msg.event !== 'string') return;
    const h = Object.prototype.hasOwnProperty.call(handlers, msg.event) ? handlers[msg.event] : null;
    if (h) h(msg.data);
  }

  /* ---------- connection lifecycle ---------- */

  function socketUrl() {
    return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws';
  }

  function stopTimers() {
    clearInterval(state.pingTimer);
    state.pingTimer = 0;
  }

  function connect() {
    clearTimeout(state.retryTimer);
    state.retryTimer = 0;
    if (!navigator.onLine) {
      setStatus('offline');
      return;
    }
    setStatus(state.attempt === 0 ? 'connecting' : 'reconnecting');
    let ws;
    try {
      ws = new WebSocket(socketUrl());
    } catch (_) {
      scheduleReconnect();
      return;
    }
    state.ws = ws;
    state.lastMessageAt = 0;
    ws.onmessage = onMessage;
    ws.onclose = () => { if (state.ws === ws) { state.ws = null; scheduleReconnect(); } };
    ws.onerror = () => { /* onclose follows and schedules the retry */ };
  }

  function dropSocket() {
    const ws = state.ws;
    state.ws = null;
    if (ws) {
      ws.onmessage = ws.onclose = ws.onerror = null;
      try { ws.close(); } catch (_) { /* already gone */ }
    }
    scheduleReconnect();
  }

  function backoffDelay(attempt) {
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** Math.min(attempt, 10));
    const jittered = base * (0.8 + Math.random() * 0.4); // ±20 % so clients spread out
    return Math.round(Math.min(BACKOFF_MAX_MS, jittered));
  }

  function scheduleReconnect() {
    stopTimers();
    dom.latency.textContent = '–';
    if (state.retryTimer) return;
    if (!navigator.onLine) {
      setStatus('offline');
      return;
    }
    const delay = backoffDelay(state.attempt);
    state.attempt += 1;
    setStatus('reconnecting', `in ${(delay / 1000).toFixed(1)} s`);
    state.retryTimer = setTimeout(connect, delay);
  }

  window.addEventListener('online', () => {
    if (!state.ws) { state.attempt = 0; connect(); }
  });
  window.addEventListener('offline', () => {
    if (state.ws) dropSocket(); else setStatus('offline');
  });

  dom.empty.hidden = false;
  connect();
})();
