/* What the dashboard knows of the nodes on the broker, from their messages alone (docs/WIRE.md):
 * status, health, answers, metrics, detections and frames, per node and source; rates and the
 * charts' history, advanced by tick() once a second; the commands it sent and their answers,
 * or their time-out. No DOM here: app.js draws it, tests/web/model.test.js checks it.
 * A classic script (see index.html): it defines MQP.Fleet, and module.exports under node. */
(function (root) {
  'use strict';

  const topics = root.MQP && root.MQP.topics ? root.MQP.topics : require('./topics.js');

  const HISTORY = 300; /* Points kept per chart: five minutes at one a second. */
  const MAX_NODES = 256;
  const MAX_SOURCES = 16;

  function text(payload) {
    return typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
  }

  function parseObject(payload) {
    try {
      const v = JSON.parse(text(payload));
      return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : null;
    } catch (e) {
      return null;
    }
  }

  function num(v) {
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  }

  class Fleet {
    /* now(): milliseconds; commandTimeoutMs: how long an answer may take before the command is
     * shown as timed out. */
    constructor(opts) {
      const o = opts || {};
      this.now = o.now || (() => Date.now());
      this.commandTimeoutMs = o.commandTimeoutMs || 5000;
      this.nodes = new Map();
      this.pending = new Map(); /* request_id -> {node, command, sentAt, quiet} */
      this.sent = 0;
      this.prefix = o.requestPrefix || `dash-${Math.random().toString(36).slice(2, 8)}`;
      this.bad = 0; /* Messages that were not what their topic says. */
      this.lastBad = '';
    }

    node(id) {
      let n = this.nodes.get(id);
      if (!n) {
        if (this.nodes.size >= MAX_NODES) {
          return null;
        }
        n = { id, status: null, statusTimestamp: null, clientId: null, lastSeen: 0, statusAt: 0,
              health: {}, sources: new Map(), answers: [], metrics: null, fps: null,
              uptime: null, crop: null, known: false, needStatus: true, lastStatusAsk: 0 };
        this.nodes.set(id, n);
      }
      return n;
    }

    source(n, sid) {
      let s = n.sources.get(sid);
      if (!s && n.sources.size < MAX_SOURCES) {
        s = { id: sid, name: null, state: null, fps: null, width: null, height: null,
              lastError: null, detections: [], frameId: null, roi: null, messages: 0,
              detectionCount: 0, rate: null, detRate: null, latency: null, frame: null,
              frameSeq: 0, detSeq: 0, rateAt: this.now(), rateMessages: 0, rateDetections: 0,
              history: { t: [], fps: [], dets: [], decode: [], infer: [], e2e: [] } };
        n.sources.set(sid, s);
      }
      return s;
    }

    bad_(topic, why) {
      this.bad++;
      this.lastBad = `${topic}: ${why}`;
      return null;
    }

    /* One message; props: the MQTT 5 properties (userProperties) when there are. Returns
     * {node, feed, source} of what changed, or null. */
    onMessage(topic, payload, props) {
      const h = topics.parseHealthTopic(topic);
      if (h) {
        return h.connection ? this.onHealth(h, payload) : null;
      }
      const t = topics.parseNodeTopic(topic);
      if (!t || t.feed === 'commands') {
        return null;
      }
      if (t.feed === 'frames') {
        return this.onFrame(t.node, topic, payload, props);
      }
      const obj = parseObject(payload);
      if (!obj) {
        if (t.feed === 'status' && payload.length === 0) {
          return null; /* A retained status cleared. */
        }
        return this.bad_(topic, 'not a JSON object');
      }
      const n = this.node(t.node);
      if (!n) {
        return null;
      }
      n.known = true;
      n.lastSeen = this.now();
      switch (t.feed) {
        case 'status': return this.onStatus(n, obj);
        case 'responses': return this.onResponse(n, obj);
        case 'metrics': return this.onMetrics(n, obj);
        default: return this.onDetections(n, topic, obj);
      }
    }

    onStatus(n, obj) {
      if (typeof obj.status !== 'string') {
        return this.bad_(topics.nodeTopic(n.id, 'status'), 'no "status" string');
      }
      n.status = obj.status;
      n.statusTimestamp = typeof obj.timestamp === 'string' ? obj.timestamp : null;
      n.clientId = typeof obj.client_id === 'string' ? obj.client_id : n.clientId;
      n.statusAt = this.now();
      return { node: n.id, feed: 'status' };
    }

    onHealth(h, payload) {
      const obj = parseObject(payload);
      if (!obj) {
        return payload.length ? this.bad_(`system/health/${h.client}`, 'not a JSON object') : null;
      }
      const n = this.node(h.node);
      if (!n) {
        return null;
      }
      n.health[h.connection] = { ok: obj.ok === true, event: String(obj.event || ''),
                                 err: typeof obj.err === 'string' ? obj.err : null, at: this.now() };
      /* A camera lost or back, a reconnection: the sources' state is worth asking again. */
      n.needStatus = n.needStatus || /^(source_lost|source_restored|reconnected|ready)$/.test(n.health[h.connection].event);
      return { node: n.id, feed: 'health' };
    }

    onResponse(n, obj) {
      const id = obj.request_id === null || obj.request_id === undefined ? null : String(obj.request_id);
      const result = obj.result && typeof obj.result === 'object' ? obj.result : null;
      if (result && obj.command === 'status') {
        this.takeStatusResult(n, result);
      }
      if (result && typeof result.crop === 'boolean') {
        n.crop = result.crop;
      }
      const p = id !== null ? this.pending.get(id) : undefined;
      if (!p) {
        return { node: n.id, feed: 'responses' };
      }
      this.pending.delete(id);
      if (!p.quiet) {
        this.answer(n, { requestId: id, command: p.command, ok: obj.ok === true,
                         error: typeof obj.error === 'string' ? obj.error : null,
                         status: typeof obj.status === 'string' ? obj.status : null,
                         result, ms: this.now() - p.sentAt });
      }
      return { node: n.id, feed: 'responses', answered: id };
    }

    /* The answer to a request in place of its "waiting" line, or first if that is gone. */
    answer(n, a) {
      const i = n.answers.findIndex((x) => x.requestId === a.requestId);
      if (i >= 0) {
        n.answers[i] = a;
        return;
      }
      n.answers.unshift(a);
      n.answers.length = Math.min(n.answers.length, 5);
    }

    takeStatusResult(n, r) {
      n.uptime = num(r.uptime_s);
      if (typeof r.crop === 'boolean') {
        n.crop = r.crop;
      }
      const list = Array.isArray(r.source_status) ? r.source_status : [];
      for (const st of list) {
        const sid = num(st && st.source_id);
        const s = sid === null ? null : this.source(n, sid);
        if (!s) {
          continue;
        }
        s.name = typeof st.source === 'string' ? st.source : s.name;
        s.state = typeof st.state === 'string' ? st.state : s.state;
        s.fps = num(st.fps);
        s.width = num(st.width) || s.width;
        s.height = num(st.height) || s.height;
        s.lastError = typeof st.last_error === 'string' ? st.last_error : null;
      }
    }

    onMetrics(n, obj) {
      n.metrics = obj;
      n.fps = num(obj.throughput_fps);
      const reports = Array.isArray(obj.latency_reports) ? obj.latency_reports : [];
      for (const r of reports) {
        const sid = num(r && r.source_id);
        const s = sid === null ? null : this.source(n, sid);
        if (s) {
          s.latency = { decode: num(r.frame_decoding_latency_ms), infer: num(r.inference_latency_ms),
                        e2e: num(r.e2e_latency_ms), skipped: num(r.frames_skipped) };
        }
      }
      return { node: n.id, feed: 'metrics' };
    }

    onDetections(n, topic, obj) {
      const dets = Array.isArray(obj.detections) ? obj.detections : null;
      if (!dets) {
        return this.bad_(topic, 'no "detections" array');
      }
      const frame = obj.frame && typeof obj.frame === 'object' ? obj.frame : {};
      const s = this.source(n, num(frame.source_id) || 0);
      if (!s) {
        return null;
      }
      s.detections = dets.filter((d) => d && d.bbox && typeof d.bbox === 'object');
      s.frameId = num(frame.frame_id);
      s.roi = obj.roi_metrics && obj.roi_metrics.roi_box ? obj.roi_metrics.roi_box : null;
      s.messages++;
      s.detectionCount += s.detections.length;
      s.detSeq++;
      return { node: n.id, feed: 'detections', source: s.id };
    }

    onFrame(node, topic, payload, props) {
      const n = this.node(node);
      if (!n || !payload.length) {
        return null;
      }
      if (payload.length < 3 || payload[0] !== 0xff || payload[1] !== 0xd8) {
        return this.bad_(topic, 'not a JPEG');
      }
      const up = (props && props.userProperties) || {};
      const sid = Number.parseInt(up.source_id, 10);
      const s = this.source(n, Number.isFinite(sid) ? sid : 0);
      if (!s) {
        return null;
      }
      n.known = true;
      n.lastSeen = this.now();
      s.frame = { bytes: payload, frameId: up.frame_id !== undefined ? Number(up.frame_id) : null,
                  timestamp: up.timestamp || null, at: this.now() };
      s.frameSeq++;
      return { node: n.id, feed: 'frames', source: s.id };
    }

    /* A command for node: {topic, payload, requestId}, to publish at QoS 1. quiet: the
     * dashboard's own status requests, whose time-out is not shown. */
    command(nodeId, command, quiet) {
      const requestId = `${this.prefix}-${++this.sent}`;
      const n = this.node(nodeId);
      this.pending.set(requestId, { node: nodeId, command, sentAt: this.now(), quiet: !!quiet });
      if (n && !quiet) {
        this.answer(n, { requestId, command, waiting: true });
      }
      return { topic: topics.nodeTopic(nodeId, 'commands'),
               payload: JSON.stringify({ command, request_id: requestId }), requestId };
    }

    /* Once a second: rates, history, and commands whose answer is overdue. Returns the nodes
     * whose status should be asked for: new ones, and those whose health changed (at most
     * every 2 s). Not periodically: a status command makes the node publish its retained
     * status again, for every client to see. */
    tick() {
      const now = this.now();
      for (const [id, p] of this.pending) {
        if (now - p.sentAt < this.commandTimeoutMs) {
          continue;
        }
        this.pending.delete(id);
        const n = this.nodes.get(p.node);
        if (n && !p.quiet) {
          this.answer(n, { requestId: id, command: p.command, timedOut: true, ms: now - p.sentAt });
        }
      }
      const ask = [];
      for (const n of this.nodes.values()) {
        for (const s of n.sources.values()) {
          const dt = s.rateAt ? (now - s.rateAt) / 1000 : 0;
          if (dt > 0) {
            s.rate = (s.messages - s.rateMessages) / dt;
            s.detRate = (s.detectionCount - s.rateDetections) / dt;
            const h = s.history;
            h.t.push(now / 1000);
            h.fps.push(s.rate);
            h.dets.push(s.detRate);
            h.decode.push(s.latency ? s.latency.decode : null);
            h.infer.push(s.latency ? s.latency.infer : null);
            h.e2e.push(s.latency ? s.latency.e2e : null);
            if (h.t.length > HISTORY) {
              for (const k of Object.keys(h)) {
                h[k].shift();
              }
            }
          }
          s.rateAt = now;
          s.rateMessages = s.messages;
          s.rateDetections = s.detectionCount;
        }
        const live = n.status !== 'stopped' && n.status !== 'disconnected';
        if (n.known && live && n.needStatus && now - n.lastStatusAsk >= 2000) {
          n.needStatus = false;
          n.lastStatusAsk = now;
          ask.push(n.id);
        }
      }
      return ask;
    }

    /* What the node's state comes to, for the eye: 'ok', 'paused', 'warn' or 'bad'. */
    verdict(n) {
      if (n.status === 'disconnected' || n.status === 'stopped' ||
          (n.health.data && n.health.data.event === 'lost')) {
        return 'bad';
      }
      if (n.status === 'paused') {
        return 'paused';
      }
      for (const c of Object.values(n.health)) {
        if (!c.ok) {
          return 'warn';
        }
      }
      for (const s of n.sources.values()) {
        if (s.state === 'lost' || s.state === 'ended') {
          return 'warn';
        }
      }
      return 'ok';
    }
  }

  root.MQP = root.MQP || {};
  root.MQP.Fleet = Fleet;
  if (typeof module !== 'undefined' && module.exports) {
    module.exports = { Fleet, parseObject };
  }
})(typeof window !== 'undefined' ? window : globalThis);
