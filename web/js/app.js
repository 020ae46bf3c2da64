/* The dashboard: one MQTT connection over websockets to the broker that served the page (the
 * same origin: ws:// in dev, wss:// and a login in prod), the fleet's and the voice sessions'
 * models fed from it, and their drawing. Settings: config.json beside the page (written by
 * `mqplane services up` from MQTT_TOPIC_VERSION, MQTT_BASE_PREFIX, MQTT_TOPIC_PREVIOUS_VERSION),
 * then the page's query string (?version=v2&base_prefix=...&previous_version=&broker=ws://...).
 * See docs/DASHBOARD.md. */
(function () {
  'use strict';

  const MQP = window.MQP;
  const $ = (sel, el) => (el || document).querySelector(sel);

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') {
        el.className = v;
      } else if (k.startsWith('on')) {
        el.addEventListener(k.slice(2), v);
      } else {
        el.setAttribute(k, v);
      }
    }
    for (const c of children) {
      el.append(c);
    }
    return el;
  }

  function ago(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    return s < 60 ? `${s} s ago` : s < 3600 ? `${Math.floor(s / 60)} min ago` : `${Math.floor(s / 3600)} h ago`;
  }

  function fixed(v, digits) {
    return v === null || v === undefined ? '–' : v.toFixed(digits);
  }

  /* ---- settings ---- */

  async function loadConfig() {
    let cfg = {};
    try {
      if (location.protocol === 'file:') {
        throw new Error('a page opened from disk has no config.json to fetch');
      }
      const r = await fetch('config.json', { cache: 'no-store' });
      if (r.ok) {
        cfg = await r.json();
      }
    } catch (e) {
      /* No config.json: the defaults, as a page opened from a plain file server. */
    }
    const q = new URLSearchParams(location.search);
    const map = { version: 'topic_version', base_prefix: 'base_prefix', previous_version: 'previous_version',
                  broker: 'broker', command_timeout_ms: 'command_timeout_ms', login: 'login' };
    for (const [param, key] of Object.entries(map)) {
      if (q.has(param)) {
        cfg[key] = q.get(param);
      }
    }
    if (!cfg.broker) {
      cfg.broker = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`;
    }
    cfg.login = cfg.login === true || cfg.login === 'true' || cfg.login === '1' ||
                (cfg.login === undefined && cfg.broker.startsWith('wss:'));
    return cfg;
  }

  /* ---- the connection ---- */

  const REFUSED = {
    /* mosquitto answers a wrong password with 135 (MQTT 5) or 5 (3.1.1), not 134. */
    134: 'wrong user name or password', 4: 'wrong user name or password',
    135: 'not authorized: a wrong user name or password, or a user this broker does not admit',
    5: 'not authorized: a wrong user name or password, or a user this broker does not admit',
    133: 'client id refused', 138: 'banned', 140: 'bad authentication method',
  };

  class Connection {
    constructor(cfg, onMessage, onState) {
      this.cfg = cfg;
      this.onMessage = onMessage;
      this.onState = onState;
      this.client = null;
      this.filters = [];
    }

    start(username, password) {
      if (this.client) {
        this.client.end(true);
      }
      if (typeof window.mqtt === 'undefined') {
        this.onState('bad', 'vendor/mqtt.min.js is missing: build mqplane with npm available (docs/DASHBOARD.md)');
        return;
      }
      this.onState('connecting', `connecting to ${this.cfg.broker}…`);
      const c = window.mqtt.connect(this.cfg.broker, {
        protocolVersion: 5, clean: true, connectTimeout: 5000, reconnectPeriod: 2000,
        clientId: `mqplane-dashboard-${Math.random().toString(16).slice(2, 10)}`,
        username: username || undefined, password: password || undefined,
      });
      this.client = c;
      let connected = false, refused = false;
      c.on('connect', () => {
        connected = true;
        this.onState('ok', `connected to ${this.cfg.broker}${username ? ` as ${username}` : ''}`);
        for (const f of this.filters) {
          c.subscribe(f.filter, { qos: f.qos });
        }
      });
      c.on('error', (err) => {
        const why = REFUSED[err && err.code];
        if (why) {
          refused = true;
          c.end(true); /* Retrying a refused login only repeats the refusal. */
          this.onState('refused', `the broker refused the login: ${why}`);
        } else {
          this.onState('bad', `error: ${err && err.message ? err.message : err}`);
        }
      });
      c.on('offline', () => {
        if (refused) {
          return;
        }
        this.onState('bad', connected ? `connection to ${this.cfg.broker} lost: reconnecting…`
                                      : `broker unreachable at ${this.cfg.broker}: retrying…`);
      });
      c.on('message', (topic, payload, packet) => this.onMessage(topic, payload, packet.properties));
    }

    subscribe(filter, qos) {
      this.filters.push({ filter, qos });
      if (this.client && this.client.connected) {
        this.client.subscribe(filter, { qos });
      }
    }

    publish(topic, payload) {
      if (!this.client || !this.client.connected) {
        return false;
      }
      this.client.publish(topic, payload, { qos: 1 });
      return true;
    }
  }

  /* ---- nodes ---- */

  const COMMANDS = [['pause', 'Pause'], ['resume', 'Resume'], ['stop', 'Stop'],
                    ['toggle_crop', 'Toggle crop'], ['snapshot', 'Snapshot']];

  class NodesView {
    constructor(fleet, send) {
      this.fleet = fleet;
      this.send = send;
      this.cards = new Map();
      this.sources = new Map(); /* "node/source" -> its elements */
    }

    nodeName(id) {
      return id === '' ? 'inference' : id;
    }

    card(n) {
      let c = this.cards.get(n.id);
      if (c) {
        return c;
      }
      const buttons = COMMANDS.map(([cmd, label]) =>
        h('button', { class: cmd === 'stop' ? 'danger' : '', 'data-command': cmd,
                      onclick: () => this.ask(n.id, cmd) }, label));
      c = {
        el: h('article', { class: 'node', 'data-node': n.id }),
        status: h('span', { class: 'pill' }),
        age: h('span', { class: 'age' }),
        health: h('span', { class: 'health' }),
        facts: h('p', { class: 'facts' }),
        answers: h('ul', { class: 'answers' }),
        sources: h('div', { class: 'sources' }),
      };
      c.el.append(
        h('header', {}, h('h2', {}, this.nodeName(n.id),
                          h('small', {}, n.id === '' ? ' reference topics' : ' --node-id')),
          c.status, c.age, c.health),
        c.facts, h('div', { class: 'controls' }, ...buttons), c.answers, c.sources);
      $('#nodes').append(c.el);
      $('#no-nodes').hidden = true;
      this.cards.set(n.id, c);
      return c;
    }

    ask(node, command) {
      if (command === 'stop') {
        confirmStop(`Stop node ${this.nodeName(node)}? It exits and does not come back by itself.`,
                    () => this.send(node, command));
        return;
      }
      this.send(node, command);
    }

    drawNode(n) {
      const c = this.card(n);
      const verdict = this.fleet.verdict(n);
      c.el.dataset.status = n.status || '';
      c.el.dataset.verdict = verdict;
      c.status.textContent = n.status || 'no status';
      c.status.dataset.verdict = verdict;
      const since = n.statusTimestamp ? Date.parse(n.statusTimestamp) : NaN;
      c.age.textContent = `${Number.isFinite(since) ? `since ${ago(Date.now() - since)}` : ''}` +
                          `${n.lastSeen ? ` · last message ${ago(Date.now() - n.lastSeen)}` : ''}`;
      c.health.replaceChildren(...['control', 'data'].filter((k) => n.health[k]).map((k) => {
        /* The control connection's will is its status, not its health: its health stays
         * "ready" after a crash. */
        const x = k === 'control' && n.status === 'disconnected'
          ? { ok: false, event: 'disconnected', err: 'its last will' } : n.health[k];
        return h('span', { class: `dot ${x.ok ? 'ok' : 'bad'}`, title: x.err || x.event },
                 `${k}: ${x.event}${x.err ? ` (${x.err})` : ''}`);
      }));
      const facts = [];
      if (n.status === 'disconnected') {
        facts.push('its control connection is gone (last will): the node crashed, or lost the network');
      }
      if (n.fps !== null) {
        facts.push(`${fixed(n.fps, 1)} frames/s`);
      }
      if (n.uptime !== null) {
        facts.push(`up ${Math.round(n.uptime)} s`);
      }
      if (n.crop !== null) {
        facts.push(`crop ${n.crop ? 'on' : 'off'}`);
      }
      const dp = n.metrics && n.metrics.data_plane;
      if (dp) {
        facts.push(`${dp.published} published, ${dp.dropped} dropped`);
      }
      c.facts.textContent = facts.join(' · ');
      c.answers.replaceChildren(...n.answers.map((a) => this.answerItem(a)));
      for (const s of n.sources.values()) {
        this.drawSource(n, s);
      }
    }

    answerItem(a) {
      let state, txt;
      if (a.waiting) {
        state = 'waiting';
        txt = 'waiting for the answer…';
      } else if (a.timedOut) {
        state = 'timeout';
        txt = `no answer in ${(a.ms / 1000).toFixed(1)} s: the node is down, or this login may not send commands`;
      } else if (a.ok) {
        state = 'ok';
        txt = `ok${a.status ? `, status ${a.status}` : ''}${a.result ? ` ${JSON.stringify(a.result).slice(0, 120)}` : ''} (${Math.round(a.ms)} ms)`;
      } else {
        state = 'error';
        txt = `refused: ${a.error || 'no reason given'}`;
      }
      return h('li', { class: 'answer', 'data-state': state, 'data-command': a.command },
               h('code', {}, a.command), ` ${txt}`, h('small', {}, ` ${a.requestId}`));
    }

    sourceEls(n, s) {
      const key = `${n.id}/${s.id}`;
      let e = this.sources.get(key);
      if (e) {
        return e;
      }
      e = {
        el: h('section', { class: 'source', 'data-source': String(s.id) }),
        title: h('h3', {}),
        live: h('div', { class: 'live' }),
        img: h('img', { alt: `latest frame of source ${s.id}` }),
        boxes: h('div', { class: 'boxes' }),
        stats: h('p', { class: 'stats' }),
        chart: h('div', { class: 'chart' }),
        url: null, frameSeq: 0, detSeq: -1,
      };
      e.img.addEventListener('load', () => {
        e.live.dataset.frame = 'shown';
        e.live.style.aspectRatio = `${e.img.naturalWidth} / ${e.img.naturalHeight}`;
      });
      e.live.append(e.img, e.boxes);
      e.el.append(e.title, h('div', { class: 'row' }, e.live, h('div', { class: 'side' }, e.stats, e.chart)));
      this.cards.get(n.id).sources.append(e.el);
      e.plot = new MQP.SourceChart(e.chart, 420);
      this.sources.set(key, e);
      return e;
    }

    drawSource(n, s) {
      const e = this.sourceEls(n, s);
      e.title.textContent = `source ${s.id}${s.name ? ` · ${s.name}` : ''}`;
      e.el.dataset.state = s.state || '';
      const w = e.img.naturalWidth || s.width || 640, hh = e.img.naturalHeight || s.height || 480;
      if (!e.img.naturalWidth) {
        e.live.style.aspectRatio = `${w} / ${hh}`;
      }
      if (s.frame && s.frameSeq !== e.frameSeq) {
        e.frameSeq = s.frameSeq;
        const url = URL.createObjectURL(new Blob([s.frame.bytes], { type: 'image/jpeg' }));
        const old = e.url;
        e.url = url;
        e.img.src = url;
        if (old) {
          setTimeout(() => URL.revokeObjectURL(old), 1000);
        }
      }
      if (s.detSeq !== e.detSeq) {
        e.detSeq = s.detSeq;
        const boxes = s.detections.map((d) => {
          const b = d.bbox;
          const label = `${d.track_id !== undefined ? `#${d.track_id} ` : ''}${d.class || '?'} ${fixed(d.confidence, 2)}`;
          const el = h('div', { class: `box${d.track_id !== undefined ? ' tracked' : ''}` }, h('span', {}, label));
          el.style.left = `${(100 * b.x) / w}%`;
          el.style.top = `${(100 * b.y) / hh}%`;
          el.style.width = `${(100 * b.width) / w}%`;
          el.style.height = `${(100 * b.height) / hh}%`;
          return el;
        });
        if (s.roi) {
          const r = h('div', { class: 'roi' });
          r.style.left = `${(100 * s.roi.x) / w}%`;
          r.style.top = `${(100 * s.roi.y) / hh}%`;
          r.style.width = `${(100 * s.roi.width) / w}%`;
          r.style.height = `${(100 * s.roi.height) / hh}%`;
          boxes.push(r);
        }
        e.boxes.replaceChildren(...boxes);
        e.live.dataset.boxes = String(s.detections.length);
      }
      const down = n.status === 'disconnected' || n.status === 'stopped';
      const state = down ? `was ${s.state || 'unknown'}: the node is ${n.status}` : s.state || 'state not known yet';
      const st = [state, `${fixed(s.rate, 1)} frames/s`,
                  `${fixed(s.detRate, 1)} detections/s`];
      if (s.width) {
        st.push(`${s.width}×${s.height}`);
      }
      if (s.latency) {
        st.push(`inference ${fixed(s.latency.infer, 1)} ms, end to end ${fixed(s.latency.e2e, 1)} ms`);
      }
      if (s.frame) {
        st.push(`frame ${s.frame.frameId ?? '?'} ${ago(Date.now() - s.frame.at)}`);
      }
      if (s.lastError) {
        st.push(`last error: ${s.lastError}`);
      }
      e.stats.textContent = st.join(' · ');
    }

    /* Once a second: the charts and the ages. */
    tick() {
      for (const n of this.fleet.nodes.values()) {
        if (n.known) {
          this.drawNode(n);
        }
      }
      for (const [key, e] of this.sources) {
        const [node, sid] = [key.slice(0, key.lastIndexOf('/')), Number(key.slice(key.lastIndexOf('/') + 1))];
        const n = this.fleet.nodes.get(node);
        const s = n && n.sources.get(sid);
        if (s) {
          e.plot.resize(e.chart.clientWidth);
          e.plot.update(s.history);
        }
      }
    }
  }

  /* ---- voice sessions ---- */

  class VoiceView {
    constructor(voice) {
      this.voice = voice;
      this.cards = new Map();
      $('#voice-filters').textContent = voice.filters().join('  ');
    }

    draw(s) {
      let c = this.cards.get(s.key);
      if (!c) {
        c = { el: h('article', { class: 'session', 'data-room': s.room, 'data-session': s.id }) };
        $('#sessions').prepend(c.el);
        $('#no-sessions').hidden = true;
        this.cards.set(s.key, c);
      }
      c.el.dataset.state = s.state || '';
      const line = (label, value, cls) =>
        h('p', { class: cls || '' }, h('b', {}, `${label} `), value === null || value === '' ? '–' : value);
      /* The answer as streamed, chunk by chunk; the complete one once it came, if different. */
      const streamed = s.response !== '' || s.streaming;
      const response = h('span', { class: `response${s.streaming ? ' streaming' : ''}` },
                         streamed ? s.response : s.complete || '');
      const final = s.final === null ? null : `${s.final}${s.confidence !== null ? ` (${s.confidence})` : ''}`;
      c.el.replaceChildren(
        h('header', {}, h('h2', {}, `room ${s.room}`, h('small', {}, ` session ${s.id}`)),
          h('span', { class: 'pill', 'data-verdict': 'ok' }, s.state || 'no state'),
          h('span', { class: 'age' }, `layouts: ${[...s.layouts].join(', ')} · ${s.messages} messages`)),
        s.interim ? line('hearing', s.interim, 'interim') : '',
        line('heard', final, 'transcript'),
        s.refined !== null ? line('refined', s.refined, 'refined') : '',
        h('p', { class: 'answer-line' }, h('b', {}, streamed ? 'answer, streamed ' : 'answer '), response),
        streamed && s.complete !== null && s.complete !== s.response
          ? line('answer, complete', s.complete, 'complete') : '',
        s.display ? line('display', `${s.display.type} ${JSON.stringify(s.display.data)}`, 'display') : '',
        s.tools.length ? line('tools', s.tools.map((t) => `${t.name} ${t.success ? '✓' : '✗'}`).join(', '), 'tools') : '');
    }
  }

  /* ---- the page ---- */

  let stopAction = null;
  function confirmStop(question, action) {
    stopAction = action;
    $('#confirm .question').textContent = question;
    $('#confirm').hidden = false;
  }

  function showConn(state, text) {
    const el = $('#conn');
    el.dataset.state = state;
    el.textContent = text;
    if (state === 'refused') {
      $('#login').hidden = false;
      $('#login-error').textContent = text;
    } else if (state === 'ok') {
      $('#login').hidden = true;
      $('#login-error').textContent = '';
    }
  }

  async function main() {
    const cfg = await loadConfig();
    let layout;
    try {
      layout = MQP.topics.voiceLayout(cfg);
    } catch (e) {
      showConn('bad', `bad topic settings: ${e.message}`);
      return;
    }
    const fleet = new MQP.Fleet({ commandTimeoutMs: Number(cfg.command_timeout_ms) || 5000 });
    const voice = new MQP.Voice(layout);
    const nodes = new NodesView(fleet, (node, command) => send(node, command, false));
    const voiceView = new VoiceView(voice);
    const dirty = new Set();
    let scheduled = false;
    const redraw = () => {
      scheduled = false;
      for (const id of dirty) {
        const n = fleet.nodes.get(id);
        if (n && n.known) {
          nodes.drawNode(n);
        }
      }
      dirty.clear();
    };
    const conn = new Connection(cfg, (topic, payload, props) => {
      const s = voice.onMessage(topic, payload);
      if (s) {
        voiceView.draw(s);
        return;
      }
      const changed = fleet.onMessage(topic, payload, props);
      if (changed) {
        dirty.add(changed.node);
        if (!scheduled) {
          scheduled = true;
          requestAnimationFrame(redraw);
        }
      }
    }, showConn);
    function send(node, command, quiet) {
      const c = fleet.command(node, command, quiet);
      if (!conn.publish(c.topic, c.payload) && !quiet) {
        showConn('bad', `not connected: ${command} not sent`);
      }
      const n = fleet.nodes.get(node);
      if (n && n.known) {
        nodes.drawNode(n);
      }
    }
    for (const f of MQP.topics.fleetFilters()) {
      conn.subscribe(f, /detections|metrics|full_frames/.test(f) ? 0 : 1);
    }
    for (const f of voice.filters()) {
      conn.subscribe(f, 1);
    }
    setInterval(() => {
      for (const id of fleet.tick()) {
        send(id, 'status', true);
      }
      nodes.tick();
    }, 1000);

    for (const tab of document.querySelectorAll('.tab')) {
      tab.addEventListener('click', () => {
        for (const t of document.querySelectorAll('.tab')) {
          t.setAttribute('aria-selected', String(t === tab));
          $(`#view-${t.dataset.view}`).hidden = t !== tab;
        }
      });
    }
    $('#confirm .yes').addEventListener('click', () => {
      $('#confirm').hidden = true;
      if (stopAction) {
        stopAction();
      }
    });
    $('#confirm .no').addEventListener('click', () => {
      $('#confirm').hidden = true;
    });
    window.mqpDashboard = { cfg, fleet, voice, conn };
    if (cfg.login) {
      const form = $('#login');
      $('.where', form).textContent = `The broker at ${cfg.broker} asks for a login.`;
      form.hidden = false;
      showConn('connecting', 'sign in to connect');
      form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        $('#login-error').textContent = '';
        conn.start(form.username.value, form.password.value);
      });
    } else {
      conn.start();
    }
  }

  main();
})();
