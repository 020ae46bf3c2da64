// An MQTT client over websockets (npm mqtt), for tests/cli/websockets.sh.
//   node ws_client.js URL pub TOPIC MESSAGE [--ca FILE] [--user U --password P]
//   node ws_client.js URL sub TOPIC          (prints the first message, then exits)
// Exit status: 0 done, 1 error (printed), 2 nothing within 5 s. MQP_NODE_MODULES: where mqtt is.
'use strict';
const fs = require('fs');
const mqtt = require(process.env.MQP_NODE_MODULES + '/mqtt');

const [url, verb, topic, message] = process.argv.slice(2);
const opt = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const options = { reconnectPeriod: 0, connectTimeout: 4000, protocolVersion: 5 };
if (opt('--ca')) options.ca = fs.readFileSync(opt('--ca'));
if (opt('--user')) options.username = opt('--user');
if (opt('--password')) options.password = opt('--password');

let done = false; // after the work is done, a socket error while closing does not matter
const finish = () => { done = true; clearTimeout(timer); client.end(false, () => process.exit(0)); };
const timer = setTimeout(() => { console.error('nothing within 5 s'); process.exit(2); }, 5000);
const client = mqtt.connect(url, options);
client.on('error', (e) => {
  if (done) return;
  console.error(`${url}: ${e.message}`);
  process.exit(1);
});
client.on('connect', () => {
  if (verb === 'pub') {
    client.publish(topic, message, { qos: 1, retain: true }, (e) => {
      if (e) { console.error(`publish refused: ${e.message}`); process.exit(1); }
      finish();
    });
  } else {
    client.subscribe(topic, { qos: 1 }, (e, granted) => {
      if (e || granted[0].reason >= 128) {
        console.error(`subscribe refused: ${e ? e.message : granted[0].reason}`);
        process.exit(1);
      }
    });
    client.on('message', (t, payload) => {
      console.log(payload.toString());
      finish();
    });
  }
});
