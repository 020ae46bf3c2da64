/* Voice-assistant sessions (seed 04) from their topics: each room's sessions with their state,
 * transcripts (interim, final, refined), the streamed response assembled from its chunks, the
 * display actions and tools. Payloads are the reference's plain JSON or libmqplane envelopes
 * (their "data"). While migrating, a publisher sends each message on both layouts: the copy
 * that arrives second is recognised and counted, not shown twice.
 * A classic script (see index.html): it defines MQP.Voice, and module.exports under node. */
(function (root) {
  'use strict';

  const topics = root.MQP && root.MQP.topics ? root.MQP.topics : require('./topics.js');

  const MAX_SESSIONS = 50;
  const SEEN = 512; /* Recent messages remembered to recognise the other layout's copy. */

  function decode(payload) {
    const raw = typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
    let v;
    try {
      v = JSON.parse(raw);
    } catch (e) {
      return { raw, obj: null };
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      return { raw, obj: null };
    }
    /* An envelope (docs/CLIENT.md): id, type, seq and the event in data. */
    if (typeof v.id === 'string' && typeof v.type === 'string' && v.data && typeof v.data === 'object') {
      return { raw, obj: v.data, id: v.id };
    }
    return { raw, obj: v };
  }

  class Voice {
    constructor(layout, opts) {
      this.layout = layout;
      this.now = (opts && opts.now) || (() => Date.now());
      this.sessions = new Map(); /* "room/session" -> session */
      this.seen = new Map(); /* key -> the layout it came on, oldest first */
      this.counts = { current: 0, previous: 0, duplicates: 0, bad: 0 };
      this.lastBad = '';
    }

    filters() {
      return topics.voiceFilters(this.layout);
    }

    /* Whether this message is the copy of one that came on the other layout: the same payload
     * on the same session and type. A repeat on the same layout is a message of its own. */
    duplicate(t, m) {
      const key = `${t.room}/${t.session}/${t.type}|${m.id || m.raw}`;
      const was = this.seen.get(key);
      if (was !== undefined && was !== t.layout) {
        this.seen.delete(key);
        return true;
      }
      this.seen.delete(key);
      this.seen.set(key, t.layout);
      if (this.seen.size > SEEN) {
        this.seen.delete(this.seen.keys().next().value);
      }
      return false;
    }

    session(room, id) {
      const key = `${room}/${id}`;
      let s = this.sessions.get(key);
      if (!s) {
        if (this.sessions.size >= MAX_SESSIONS) {
          let oldest = null;
          for (const x of this.sessions.values()) {
            if (!oldest || x.updated < oldest.updated) {
              oldest = x;
            }
          }
          this.sessions.delete(oldest.key);
        }
        s = { key, room, id, state: null, interim: '', final: null, refined: null, confidence: null,
              response: '', streaming: false, complete: null, display: null, tools: [], hint: null,
              layouts: new Set(), messages: 0, started: this.now(), updated: this.now() };
        this.sessions.set(key, s);
      }
      return s;
    }

    /* One message; returns the session it changed, or null. */
    onMessage(topic, payload) {
      const t = topics.parseVoiceTopic(this.layout, topic);
      if (!t) {
        return null;
      }
      const m = decode(payload);
      if (!m.obj) {
        this.counts.bad++;
        this.lastBad = `${topic}: not a JSON object`;
        return null;
      }
      if (this.layout.migrating && this.duplicate(t, m)) {
        this.counts.duplicates++;
        return null;
      }
      this.counts[t.layout]++;
      const s = this.session(t.room, t.session);
      const o = m.obj;
      s.layouts.add(t.version === '' ? 'legacy' : t.version);
      s.messages++;
      s.updated = this.now();
      const str = (v) => (typeof v === 'string' ? v : null);
      switch (t.type) {
        case 'state':
          s.state = str(o.state) || s.state;
          break;
        case 'transcript/interim':
          s.interim = str(o.text) || '';
          break;
        case 'transcript':
        case 'transcript/final':
          s.final = str(o.text);
          s.confidence = typeof o.confidence === 'number' ? o.confidence : null;
          s.interim = '';
          break;
        case 'transcript/refined':
          s.refined = str(o.text);
          break;
        case 'response/stream/start':
          s.response = '';
          s.streaming = true;
          s.complete = null;
          break;
        case 'response/stream/chunk':
          s.response += str(o.chunk) || '';
          s.streaming = true;
          break;
        case 'response/stream/complete':
          s.streaming = false;
          break;
        case 'response':
          s.complete = str(o.text);
          s.streaming = false;
          break;
        case 'display_action':
          s.display = { type: str(o.type) || '?', data: o.data === undefined ? null : o.data };
          break;
        case 'tool_executed':
          s.tools.unshift({ name: str(o.tool_name) || '?', success: o.success === true });
          s.tools.length = Math.min(s.tools.length, 5);
          break;
        case 'overlay_hint':
          s.hint = o;
          break;
        default:
          break; /* A type this view does not show: counted, nothing more. */
      }
      return s;
    }

    /* Sessions, the latest first. */
    list() {
      return [...this.sessions.values()].sort((a, b) => b.updated - a.updated);
    }
  }

  root.MQP = root.MQP || {};
  root.MQP.Voice = Voice;
  if (typeof module !== 'undefined' && module.exports) {
    module.exports = { Voice, decode };
  }
})(typeof window !== 'undefined' ? window : globalThis);
