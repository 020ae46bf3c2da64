// The dashboard's models without a browser or a broker: topics, the fleet, the voice sessions.
//   node --test tests/web/model.test.js
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const web = path.join(__dirname, '..', '..', 'web', 'js');
const topics = require(path.join(web, 'topics.js'));
const { Fleet } = require(path.join(web, 'fleet.js'));
const { Voice } = require(path.join(web, 'voice.js'));

const json = (o) => Buffer.from(JSON.stringify(o));

test('node topics: reference and --node-id namespaces, both ways', () => {
  assert.equal(topics.nodeTopic('', 'commands'), 'inference/control/commands');
  assert.equal(topics.nodeTopic('cam2', 'status'), 'inference/cam2/control/status');
  assert.equal(topics.nodeTopic('cam2', 'frames'), 'inference/cam2/data/full_frames');
  assert.throws(() => topics.nodeTopic('a/b', 'status'), /not one topic level/);
  assert.throws(() => topics.nodeTopic('+', 'status'), /not one topic level/);
  assert.deepEqual(topics.parseNodeTopic('inference/control/status'), { node: '', feed: 'status' });
  assert.deepEqual(topics.parseNodeTopic('inference/cam2/data/detections'), { node: 'cam2', feed: 'detections' });
  assert.equal(topics.parseNodeTopic('inference/cam2/data/other'), null);
  assert.equal(topics.parseNodeTopic('inference/a/b/data/detections'), null);
  assert.equal(topics.parseNodeTopic('other/control/status'), null);
  const f = topics.fleetFilters();
  assert.ok(f.includes('inference/+/data/full_frames') && f.includes('inference/control/responses'));
  assert.ok(f.includes('system/health/+'));
});

test('health topics name the node and the connection by the client id', () => {
  assert.deepEqual(topics.parseHealthTopic('system/health/inference_data'),
                   { client: 'inference_data', node: '', connection: 'data' });
  assert.deepEqual(topics.parseHealthTopic('system/health/inference_control-cam2'),
                   { client: 'inference_control-cam2', node: 'cam2', connection: 'control' });
  assert.deepEqual(topics.parseHealthTopic('system/health/tars-stt'), { client: 'tars-stt' });
  assert.equal(topics.parseHealthTopic('system/keepalive/x'), null);
});

test('voice layout: the C library defaults, the legacy layout, migrations, bad settings', () => {
  const d = topics.voiceLayout({});
  assert.deepEqual(d, { version: 'v1', basePrefix: 'voice_assistant', migrating: false, previousVersion: '' });
  assert.deepEqual(topics.voiceFilters(d), ['v1/voice_assistant/room/+/session/+/#']);
  const legacy = topics.voiceLayout({ topic_version: '' });
  assert.deepEqual(topics.voiceFilters(legacy), ['voice_assistant/room/+/session/+/#']);
  const m = topics.voiceLayout({ topic_version: 'v1', base_prefix: 'home/va', previous_version: '' });
  assert.deepEqual(topics.voiceFilters(m), ['v1/home/va/room/+/session/+/#', 'home/va/room/+/session/+/#']);
  assert.deepEqual(topics.parseVoiceTopic(m, 'v1/home/va/room/salon/session/abc-123/transcript/final'),
                   { layout: 'current', version: 'v1', room: 'salon', session: 'abc-123', type: 'transcript/final' });
  assert.deepEqual(topics.parseVoiceTopic(m, 'home/va/room/salon/session/abc-123/state'),
                   { layout: 'previous', version: '', room: 'salon', session: 'abc-123', type: 'state' });
  assert.equal(topics.parseVoiceTopic(d, 'voice_assistant/room/salon/session/abc/state'), null);
  assert.equal(topics.parseVoiceTopic(d, 'v1/voice_assistant/room/salon/session/abc'), null);
  assert.equal(topics.parseVoiceTopic(d, 'v2/voice_assistant/room/salon/session/abc/state'), null);
  assert.throws(() => topics.voiceLayout({ topic_version: 'v/1' }), /topic version 'v\/1'/);
  assert.throws(() => topics.voiceLayout({ base_prefix: 'a//b' }), /base prefix 'a\/\/b'/);
  assert.throws(() => topics.voiceLayout({ previous_version: '#' }), /previous version '#'/);
});

function clock() {
  const c = { t: 1000, now: () => c.t };
  return c;
}

test('fleet: status, health, detections and frames per node and source; rates on tick', () => {
  const c = clock();
  const f = new Fleet({ now: c.now });
  f.onMessage('inference/control/status', json({ status: 'running', timestamp: '2026-12-01T10:00:00.000000', client_id: 'inference_control' }));
  f.onMessage('system/health/inference_data-cam2', json({ ok: false, event: 'source_lost', err: 'source 0: refused' }));
  const ref = f.nodes.get('');
  assert.equal(ref.status, 'running');
  assert.equal(f.verdict(ref), 'ok');
  assert.equal(f.verdict(f.nodes.get('cam2')), 'warn');
  f.tick();
  for (let i = 0; i < 30; i++, c.t += 33) {
    f.onMessage('inference/data/detections', json({
      message_id: i, detection_count: 2,
      detections: [{ class: 'motion', confidence: 1, bbox: { x: 1, y: 2, width: 3, height: 4 }, track_id: 7 },
                   { class: 'motion', confidence: 1, bbox: { x: 5, y: 6, width: 7, height: 8 } }],
      frame: { frame_id: 100 + i, source_id: 1, timestamp: '2026-12-01T10:00:00.000000' } }));
  }
  c.t = 2000;
  f.tick();
  const s = ref.sources.get(1);
  assert.equal(s.frameId, 129);
  assert.equal(s.detections.length, 2);
  assert.equal(s.rate, 30);
  assert.equal(s.detRate, 60);
  assert.deepEqual(s.history.fps, [30]);
  const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 1, 2]);
  f.onMessage('inference/data/full_frames', jpeg, { userProperties: { source_id: '1', frame_id: '129' } });
  assert.equal(s.frame.frameId, 129);
  assert.equal(s.frameSeq, 1);
  assert.equal(f.onMessage('inference/data/full_frames', Buffer.from('{"no":1}')), null);
  assert.equal(f.bad, 1);
  assert.match(f.lastBad, /not a JPEG/);
  f.onMessage('inference/data/detections', Buffer.from('{oops'));
  assert.equal(f.bad, 2);
  f.onMessage('inference/control/status', json({ status: 'disconnected' }));
  assert.equal(f.verdict(ref), 'bad');
});

test('fleet: metrics and the status answer fill the sources in', () => {
  const f = new Fleet({ now: clock().now });
  f.onMessage('inference/cam2/data/metrics', json({
    throughput_fps: 25.5, latency_reports: [{ source_id: 0, frame_decoding_latency_ms: 1.5, inference_latency_ms: 4, e2e_latency_ms: 6.25, frames_skipped: 3 }],
    data_plane: { published: 10, dropped: 1 } }));
  const n = f.nodes.get('cam2');
  assert.equal(n.fps, 25.5);
  assert.deepEqual(n.sources.get(0).latency, { decode: 1.5, infer: 4, e2e: 6.25, skipped: 3 });
  f.onMessage('inference/cam2/control/responses', json({
    request_id: 'someone-else', command: 'status', ok: true, status: 'running',
    result: { uptime_s: 12, crop: true, source_status: [{ source_id: 0, source: 'synthetic 640x480@30', state: 'running', fps: 30, width: 640, height: 480 },
                                                        { source_id: 1, source: 'rtsp://cam/1', state: 'lost', fps: 0, last_error: 'no data for 5.0 s' }] } }));
  assert.equal(n.uptime, 12);
  assert.equal(n.crop, true);
  assert.equal(n.sources.get(0).width, 640);
  assert.equal(n.sources.get(1).lastError, 'no data for 5.0 s');
  assert.equal(f.verdict(n), 'warn');
  assert.equal(n.answers.length, 0, "another client's answer is not ours to show");
});

test('fleet: a command, its answer, and a command that times out', () => {
  const c = clock();
  const f = new Fleet({ now: c.now, commandTimeoutMs: 5000, requestPrefix: 'dash-t' });
  f.onMessage('inference/cam2/control/status', json({ status: 'running' }));
  const cmd = f.command('cam2', 'pause');
  assert.equal(cmd.topic, 'inference/cam2/control/commands');
  assert.deepEqual(JSON.parse(cmd.payload), { command: 'pause', request_id: 'dash-t-1' });
  const n = f.nodes.get('cam2');
  assert.equal(n.answers[0].waiting, true);
  c.t += 12;
  f.onMessage('inference/cam2/control/responses', json({ request_id: 'dash-t-1', command: 'pause', ok: true, status: 'paused' }));
  assert.deepEqual(n.answers, [{ requestId: 'dash-t-1', command: 'pause', ok: true, error: null, status: 'paused', result: null, ms: 12 }],
                   'the answer takes the place of its waiting line');
  f.command('cam2', 'fly');
  f.onMessage('inference/cam2/control/responses', json({ request_id: 'dash-t-2', command: null, ok: false, error: "unknown command 'fly'" }));
  assert.equal(n.answers[0].ok, false);
  assert.equal(n.answers[0].error, "unknown command 'fly'");
  f.command('cam2', 'resume');
  f.command('cam2', 'status', true);
  c.t += 4999;
  f.tick();
  assert.equal(n.answers[0].waiting, true);
  c.t += 1;
  f.tick();
  assert.equal(n.answers[0].timedOut, true);
  assert.equal(n.answers[0].command, 'resume');
  assert.deepEqual(n.answers.map((a) => a.command), ['resume', 'fly', 'pause']);
  assert.equal(n.answers.filter((a) => a.command === 'status').length, 0, 'quiet requests stay quiet');
  assert.equal(f.pending.size, 0);
});

test('fleet: a node is asked for its status once, and again when its health changes', () => {
  const c = clock();
  c.t = 100000;
  const f = new Fleet({ now: c.now });
  f.onMessage('inference/control/status', json({ status: 'running' }));
  f.onMessage('inference/old/control/status', json({ status: 'stopped' }));
  assert.deepEqual(f.tick(), ['']);
  c.t += 60000;
  assert.deepEqual(f.tick(), [], 'not periodically: each status command republishes the status');
  f.onMessage('system/health/inference_data', json({ ok: false, event: 'source_lost', err: 'source 0' }));
  assert.deepEqual(f.tick(), ['']);
  f.onMessage('system/health/inference_data', json({ ok: true, event: 'source_restored', err: 'source 0' }));
  c.t += 1000;
  assert.deepEqual(f.tick(), [], 'at most every 2 s');
  c.t += 1000;
  assert.deepEqual(f.tick(), ['']);
});

function play(v, root, session, layoutTag) {
  const t = (type) => `${root}/room/salon/session/${session}/${type}`;
  let ts = 1000;
  const say = (type, o) => v.onMessage(t(type), json(Object.assign(o, { timestamp: ts++ })));
  say('state', { state: 'listening' });
  say('transcript/interim', { text: 'turn on', sequence: 1 });
  say('transcript/final', { text: 'turn on the lights', confidence: 0.85 });
  say('response/stream/start', {});
  for (const ch of ['Turning', ' on', ' the', ' lights']) {
    say('response/stream/chunk', { chunk: ch });
  }
  say('response/stream/complete', {});
  say('state', { state: 'idle' });
  return layoutTag;
}

test('voice: a conversation assembled: state, transcripts, the streamed answer', () => {
  const v = new Voice(topics.voiceLayout({}));
  play(v, 'v1/voice_assistant', 'abc-123');
  const s = v.sessions.get('salon/abc-123');
  assert.equal(s.state, 'idle');
  assert.equal(s.final, 'turn on the lights');
  assert.equal(s.confidence, 0.85);
  assert.equal(s.interim, '');
  assert.equal(s.response, 'Turning on the lights');
  assert.equal(s.streaming, false);
  assert.deepEqual([...s.layouts], ['v1']);
  assert.equal(v.counts.current, 10);
  assert.equal(v.onMessage('v1/voice_assistant/room/salon/session/abc-123/state', Buffer.from('nope')), null);
  assert.equal(v.counts.bad, 1);
});

test('voice: while migrating, the copy on the other layout is not shown twice', () => {
  const v = new Voice(topics.voiceLayout({ previous_version: '' }));
  const chunk = (root, text, ts) => v.onMessage(`${root}/room/salon/session/s1/response/stream/chunk`, json({ chunk: text, timestamp: ts }));
  v.onMessage('v1/voice_assistant/room/salon/session/s1/response/stream/start', json({ timestamp: 1 }));
  chunk('v1/voice_assistant', 'Hello', 2);
  chunk('voice_assistant', 'Hello', 2);
  chunk('v1/voice_assistant', ' there', 3);
  chunk('voice_assistant', ' there', 3);
  chunk('v1/voice_assistant', ' there', 3); // The same bytes again on one layout: a message of its own.
  const s = v.sessions.get('salon/s1');
  assert.equal(s.response, 'Hello there there');
  assert.equal(v.counts.duplicates, 2);
  assert.deepEqual([...s.layouts], ['v1']);
  // A legacy-only publisher is seen, and tagged.
  v.onMessage('voice_assistant/room/kitchen/session/k1/state', json({ state: 'listening', timestamp: 9 }));
  assert.deepEqual([...v.sessions.get('kitchen/k1').layouts], ['legacy']);
  assert.equal(v.counts.previous, 1);
});

test('voice: an envelope is read by its data', () => {
  const v = new Voice(topics.voiceLayout({}));
  v.onMessage('v1/voice_assistant/room/salon/session/e1/transcript/final',
              json({ id: 'x1', type: 'stt.final', ts: 1.5, source: 'tars-stt', seq: 3, data: { text: 'hi', confidence: 0.9 } }));
  assert.equal(v.sessions.get('salon/e1').final, 'hi');
});
