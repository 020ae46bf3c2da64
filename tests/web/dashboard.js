// The dashboard in a real browser (Debian's chromium, headless, driven by playwright-core),
// served by a real mosquitto, watching real nodes. Run by tests/web/dashboard.sh, which starts
// the broker and the nodes and passes everything through the environment:
//   node dashboard.js dev    PAGE BROKER_PORT   (NODE_PID, VOICE, MQPLANE, SERVICES_DIR)
//   node dashboard.js prod   PAGE               (PASSWORD_OPERATOR)
// Every wait is for the condition it checks, with a deadline; screenshots go to SHOTS.
'use strict';
const path = require('node:path');
const { execFile, execFileSync } = require('node:child_process');
const modules = process.env.MQP_NODE_MODULES;
const { chromium } = require(path.join(modules, 'playwright-core'));
const mqtt = require(path.join(modules, 'mqtt'));

const [mode, page, brokerPort] = process.argv.slice(2);
const SHOTS = process.env.SHOTS;
const WAIT = 15000;

function step(what) {
  console.log(`== ${what}`);
}

async function shot(p, name) {
  await p.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

// Waits until MQTT says topic's retained or next payload makes ok(payload) true.
function waitMqtt(topic, ok, what) {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(`mqtt://127.0.0.1:${brokerPort}`, { clientId: `dash-test-${process.pid}-${Math.random()}` });
    let last = null;
    const timer = setTimeout(() => {
      c.end(true);
      reject(new Error(`${what}: not seen over MQTT in ${WAIT} ms (last on ${topic}: ${last})`));
    }, WAIT);
    c.on('connect', () => c.subscribe(topic, { qos: 1 }));
    c.on('message', (t, payload) => {
      last = payload.toString();
      if (ok(last)) {
        clearTimeout(timer);
        c.end(true);
        resolve(last);
      }
    });
  });
}

function publishRetained(topic, payload) {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(`mqtt://127.0.0.1:${brokerPort}`, { clientId: `dash-test-pub-${process.pid}` });
    c.on('connect', () => c.publish(topic, payload, { qos: 1, retain: true }, (err) => {
      c.end(true);
      return err ? reject(err) : resolve();
    }));
    c.on('error', reject);
  });
}

const status = (s) => (payload) => {
  try {
    return JSON.parse(payload).status === s;
  } catch (e) {
    return false;
  }
};

function voice(env) {
  return new Promise((resolve, reject) => {
    execFile(process.env.VOICE, ['-p', '30', `mqtt://127.0.0.1:${brokerPort}`], { env: Object.assign({}, process.env, env) },
             (err, stdout, stderr) => (err ? reject(new Error(`the voice example: ${err.message} ${stderr}`)) : resolve(stdout)));
  });
}

async function text(p, sel) {
  return (await p.locator(sel).first().textContent()).trim();
}

async function dev(browser) {
  const p = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  p.on('pageerror', (e) => errors.push(e.message));
  step('the page loads from the broker and connects back to it');
  await p.goto(`${page}?command_timeout_ms=1500`);
  await p.waitForSelector('#conn[data-state="ok"]', { timeout: WAIT });

  step('both nodes are shown running: the reference topics and a --node-id namespace');
  const ref = p.locator('article.node[data-node=""]');
  const cam2 = p.locator('article.node[data-node="cam2"]');
  await p.waitForSelector('article.node[data-node=""][data-status="running"]', { timeout: WAIT });
  await p.waitForSelector('article.node[data-node="cam2"][data-status="running"]', { timeout: WAIT });
  await p.waitForSelector('article.node[data-node=""] .dot.ok >> text=data: ready', { timeout: WAIT });

  step('a frame with the live boxes over it, their labels, and the charts');
  await p.waitForSelector('article.node[data-node=""] .live[data-frame="shown"]', { timeout: WAIT });
  await p.waitForFunction(() => document.querySelectorAll('article.node[data-node=""] .live .box').length > 0, null, { timeout: WAIT });
  const size = await ref.locator('.live img').evaluate((img) => [img.naturalWidth, img.naturalHeight]);
  if (size[0] !== 640 || size[1] !== 480) {
    throw new Error(`the frame is ${size[0]}x${size[1]}, not the node's 640x480`);
  }
  const label = await text(p, 'article.node[data-node=""] .live .box span');
  if (!/motion/.test(label)) {
    throw new Error(`a box's label is '${label}'`);
  }
  await p.waitForFunction(() => /\d+\.\d frames\/s/.test(document.querySelector('article.node[data-node=""] .stats').textContent) &&
                                 !/– frames\/s/.test(document.querySelector('article.node[data-node=""] .stats').textContent), null, { timeout: WAIT });
  await p.waitForSelector('article.node[data-node=""] .chart canvas', { timeout: WAIT });
  await p.waitForSelector('article.node[data-node=""] .stats >> text=/inference [0-9.]+ ms/', { timeout: WAIT });
  await shot(p, 'nodes');

  step('Pause makes the node paused, checked over MQTT; the answer is shown; Resume');
  const pausedOverMqtt = waitMqtt('inference/cam2/control/status', status('paused'), 'cam2 paused');
  await cam2.locator('button[data-command="pause"]').click();
  await pausedOverMqtt;
  await p.waitForSelector('article.node[data-node="cam2"] .answer[data-command="pause"][data-state="ok"] >> text=status paused', { timeout: WAIT });
  await p.waitForSelector('article.node[data-node="cam2"][data-status="paused"]', { timeout: WAIT });
  if (await cam2.locator('.answer[data-command="pause"]').count() !== 1) {
    throw new Error('the pause answer did not take the place of its waiting line');
  }
  await shot(p, 'paused');
  const runningOverMqtt = waitMqtt('inference/cam2/control/status', status('running'), 'cam2 running again');
  await cam2.locator('button[data-command="resume"]').click();
  await runningOverMqtt;

  step('Snapshot and Toggle crop are answered');
  await ref.locator('button[data-command="snapshot"]').click();
  await p.waitForSelector('article.node[data-node=""] .answer[data-command="snapshot"][data-state="ok"]', { timeout: WAIT });
  await ref.locator('button[data-command="toggle_crop"]').click();
  await p.waitForSelector('article.node[data-node=""] .answer[data-command="toggle_crop"][data-state="ok"] >> text="crop":true', { timeout: WAIT });

  step('Stop asks first: Cancel sends nothing, Stop stops the node');
  await cam2.locator('button[data-command="stop"]').click();
  await p.waitForSelector('#confirm:not([hidden]) >> text=Stop node cam2?', { timeout: WAIT });
  await shot(p, 'stop-confirm');
  await p.locator('#confirm button.no').click();
  await p.waitForSelector('#confirm', { state: 'hidden', timeout: WAIT });
  if (await cam2.locator('.answer[data-command="stop"]').count() !== 0) {
    throw new Error('Cancel sent the stop command');
  }
  const stoppedOverMqtt = waitMqtt('inference/cam2/control/status', status('stopped'), 'cam2 stopped');
  await cam2.locator('button[data-command="stop"]').click();
  await p.locator('#confirm button.yes').click();
  await stoppedOverMqtt;
  await p.waitForSelector('article.node[data-node="cam2"][data-status="stopped"][data-verdict="bad"]', { timeout: WAIT });

  step('a command nobody answers is shown as timed out');
  await publishRetained('inference/ghost/control/status', JSON.stringify({ status: 'running', timestamp: '2026-01-01T00:00:00.000000' }));
  await p.waitForSelector('article.node[data-node="ghost"]', { timeout: WAIT });
  await p.locator('article.node[data-node="ghost"] button[data-command="pause"]').click();
  await p.waitForSelector('article.node[data-node="ghost"] .answer[data-state="timeout"] >> text=no answer in', { timeout: WAIT });
  await publishRetained('inference/ghost/control/status', '');

  step('the voice view shows the example conversation, its answer assembled from its chunks');
  await p.locator('.tab[data-view="voice"]').click();
  await voice({});
  await p.waitForSelector('article.session[data-room="salon"][data-state="idle"]', { timeout: WAIT });
  const answer = await text(p, 'article.session[data-room="salon"] .response');
  if (answer !== 'Turning on the lights in the salon.') {
    throw new Error(`the streamed answer reads '${answer}'`);
  }
  await p.waitForSelector('article.session >> text=Turn on the lights in the salon', { timeout: WAIT });
  await p.waitForSelector('article.session .display >> text=light_control', { timeout: WAIT });
  await shot(p, 'voice');

  step('while migrating: both layouts subscribed, the dual-published copy not shown twice, a legacy publisher seen');
  await p.goto(`${page}?previous_version=`);
  await p.waitForSelector('#conn[data-state="ok"]', { timeout: WAIT });
  await p.locator('.tab[data-view="voice"]').click();
  const filters = await text(p, '#voice-filters');
  if (!filters.includes('v1/voice_assistant/room/+/session/+/#') || !filters.includes(' voice_assistant/room/+/session/+/#')) {
    throw new Error(`the migrating page subscribes to '${filters}'`);
  }
  const before = await p.locator('article.session').count();
  await voice({ MQTT_TOPIC_PREVIOUS_VERSION: '' });
  await p.waitForFunction((n) => document.querySelectorAll('article.session[data-state="idle"]').length > n, before, { timeout: WAIT });
  const dual = p.locator('article.session').first();
  const dualAnswer = (await dual.locator('.response').textContent()).trim();
  if (dualAnswer !== 'Turning on the lights in the salon.') {
    throw new Error(`the dual-published answer reads '${dualAnswer}'`);
  }
  const dups = await p.evaluate(() => window.mqpDashboard.voice.counts.duplicates);
  if (dups !== 21) {
    throw new Error(`${dups} copies recognised, not the conversation's 21 messages`);
  }
  await voice({ MQTT_TOPIC_VERSION: '' });
  await p.waitForSelector('article.session >> text=layouts: legacy', { timeout: WAIT });

  step('a node that dies is shown disconnected (its last will)');
  await p.locator('.tab[data-view="nodes"]').click();
  process.kill(Number(process.env.NODE_PID), 'SIGKILL');
  await p.waitForSelector('article.node[data-node=""][data-status="disconnected"][data-verdict="bad"]', { timeout: WAIT });
  await p.waitForSelector('article.node[data-node=""] .facts >> text=last will', { timeout: WAIT });
  await shot(p, 'disconnected');

  step('the broker gone: the connection is shown lost');
  execFileSync(process.env.MQPLANE, ['services', 'down', '--dir', process.env.SERVICES_DIR]);
  await p.waitForSelector('#conn[data-state="bad"] >> text=lost', { timeout: WAIT });
  await shot(p, 'broker-lost');
  if (errors.length) {
    throw new Error(`the page threw: ${errors.join('; ')}`);
  }
}

async function unreachable(browser, file) {
  step('a page whose broker is not there says so');
  const p = await browser.newPage();
  await p.goto(`file://${file}?broker=ws://127.0.0.1:9/`);
  await p.waitForSelector('#conn[data-state="bad"] >> text=broker unreachable at ws://127.0.0.1:9/', { timeout: WAIT });
}

async function prod(browser) {
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1100, height: 700 } });
  const p = await ctx.newPage();
  step('prod: the page asks for a login to the wss:// broker');
  await p.goto(page);
  await p.waitForSelector('#login:not([hidden])', { timeout: WAIT });
  step('prod: a wrong password is refused, visibly');
  await p.fill('#login input[name="username"]', 'operator');
  await p.fill('#login input[name="password"]', 'not-the-password');
  await p.click('#login button[type="submit"]');
  await p.waitForSelector('#login-error >> text=wrong user name or password', { timeout: WAIT });
  await p.waitForSelector('#conn[data-state="refused"]', { timeout: WAIT });
  await shot(p, 'prod-refused');
  step('prod: the right one connects over wss://');
  await p.fill('#login input[name="password"]', process.env.PASSWORD_OPERATOR);
  await p.click('#login button[type="submit"]');
  await p.waitForSelector('#conn[data-state="ok"] >> text=as operator', { timeout: WAIT });
  await p.waitForSelector('#login', { state: 'hidden', timeout: WAIT });
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update',
           '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
  try {
    if (mode === 'dev') {
      await dev(browser);
      await unreachable(browser, process.env.PAGE_FILE);
    } else {
      await prod(browser);
    }
    console.log(`dashboard.js ${mode}: all passed`);
  } finally {
    await browser.close();
  }
})().catch((e) => {
  console.error(`FAIL: ${e.message}`);
  process.exit(1);
});
