/* The topics the dashboard reads and writes, built as libmqplane builds them: the inference
 * node's (docs/WIRE.md: the reference topics, or inference/<node id>/... with --node-id), the
 * clients' health (seed 05), and the voice-assistant layout of seed 04 with its version, base
 * prefix and the previous layout while migrating (include/mqplane/topics.h).
 * A classic script (see index.html): it defines MQP.topics, and module.exports under node. */
(function (root) {
  'use strict';

  const PREFIX = 'inference';
  const FEEDS = {
    status: ['control', 'status'],
    responses: ['control', 'responses'],
    commands: ['control', 'commands'],
    detections: ['data', 'detections'],
    metrics: ['data', 'metrics'],
    frames: ['data', 'full_frames'],
  };
  const READ = ['status', 'responses', 'detections', 'metrics', 'frames'];

  /* A level of a topic: not empty, no '/', '+', '#' or NUL. */
  function isLevel(s) {
    return typeof s === 'string' && s.length > 0 && !/[/+#\u0000]/.test(s);
  }

  /* The topic of a node's feed; node '' is the reference namespace (inference/control/status). */
  function nodeTopic(node, feed) {
    const [plane, name] = FEEDS[feed];
    if (node !== '' && !isLevel(node)) {
      throw new Error(`node id '${node}' is not one topic level`);
    }
    return node === '' ? `${PREFIX}/${plane}/${name}` : `${PREFIX}/${node}/${plane}/${name}`;
  }

  /* Every filter the fleet view subscribes to: each feed in both kinds of namespace. */
  function fleetFilters() {
    const out = [];
    for (const feed of READ) {
      const [plane, name] = FEEDS[feed];
      out.push(`${PREFIX}/${plane}/${name}`, `${PREFIX}/+/${plane}/${name}`);
    }
    out.push('system/health/+');
    return out;
  }

  /* {node, feed} of a node's topic, or null. */
  function parseNodeTopic(topic) {
    const p = topic.split('/');
    if (p[0] !== PREFIX || (p.length !== 3 && p.length !== 4)) {
      return null;
    }
    const node = p.length === 4 ? p[1] : '';
    const plane = p[p.length - 2], name = p[p.length - 1];
    for (const feed of Object.keys(FEEDS)) {
      if (FEEDS[feed][0] === plane && FEEDS[feed][1] === name) {
        return { node, feed };
      }
    }
    return null;
  }

  /* The node and connection of a health topic's client id: inference_control, inference_data,
   * inference_control-ID, inference_data-ID. Other clients' health: {client} alone. */
  function parseHealthTopic(topic) {
    const m = /^system\/health\/(.+)$/.exec(topic);
    if (!m) {
      return null;
    }
    const c = /^inference_(control|data)(?:-(.+))?$/.exec(m[1]);
    return c ? { client: m[1], node: c[2] || '', connection: c[1] } : { client: m[1] };
  }

  /* The voice layout: {version, basePrefix, migrating, previousVersion}, from a configuration
   * object with the C library's names (topic_version, base_prefix, previous_version: null or
   * absent when not migrating; "" is the legacy unversioned layout). */
  function voiceLayout(cfg) {
    const c = cfg || {};
    const version = c.topic_version === undefined || c.topic_version === null ? 'v1' : String(c.topic_version);
    const basePrefix = c.base_prefix ? String(c.base_prefix) : 'voice_assistant';
    const migrating = c.previous_version !== undefined && c.previous_version !== null;
    const previousVersion = migrating ? String(c.previous_version) : '';
    if (version !== '' && !isLevel(version)) {
      throw new Error(`topic version '${version}' is not one topic level`);
    }
    if (previousVersion !== '' && !isLevel(previousVersion)) {
      throw new Error(`previous version '${previousVersion}' is not one topic level`);
    }
    if (!basePrefix.split('/').every(isLevel)) {
      throw new Error(`base prefix '${basePrefix}' has an empty level or a wildcard`);
    }
    return { version, basePrefix, migrating, previousVersion };
  }

  function layoutRoot(version, basePrefix) {
    return version === '' ? basePrefix : `${version}/${basePrefix}`;
  }

  /* The live layouts' roots: current first, then the previous one while migrating. */
  function voiceRoots(layout) {
    const roots = [{ layout: 'current', version: layout.version, root: layoutRoot(layout.version, layout.basePrefix) }];
    if (layout.migrating && layout.previousVersion !== layout.version) {
      roots.push({ layout: 'previous', version: layout.previousVersion,
                   root: layoutRoot(layout.previousVersion, layout.basePrefix) });
    }
    return roots;
  }

  /* {version}/{base_prefix}/room/+/session/+/# in every live layout. */
  function voiceFilters(layout) {
    return voiceRoots(layout).map((r) => `${r.root}/room/+/session/+/#`);
  }

  /* {layout, version, room, session, type} of a voice topic, or null. The current layout is
   * tried first: an unversioned root is a suffix of the versioned one, never a prefix. */
  function parseVoiceTopic(layout, topic) {
    for (const r of voiceRoots(layout)) {
      if (!topic.startsWith(`${r.root}/room/`)) {
        continue;
      }
      const p = topic.slice(r.root.length + 1).split('/');
      if (p.length >= 5 && p[0] === 'room' && p[2] === 'session' && isLevel(p[1]) && isLevel(p[3])) {
        return { layout: r.layout, version: r.version, room: p[1], session: p[3], type: p.slice(4).join('/') };
      }
    }
    return null;
  }

  const api = { isLevel, nodeTopic, fleetFilters, parseNodeTopic, parseHealthTopic, voiceLayout,
                voiceRoots, voiceFilters, parseVoiceTopic };
  root.MQP = root.MQP || {};
  root.MQP.topics = api;
  if (typeof module !== 'undefined' && module.exports) {
    module.exports = api;
  }
})(typeof window !== 'undefined' ? window : globalThis);
