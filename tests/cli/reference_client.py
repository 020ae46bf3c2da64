"""A client written against the reference documents alone (seeds 01 and 02), with paho-mqtt as
the reference uses it: it knows the command and status topics and the data topics, and nothing
of mqplane's additions (no responses topic, no request ids). For each command it checks, on
those topics only, that the command took effect.

    /usr/bin/python3 reference_client.py HOST PORT PREFIX
PREFIX is "inference" for the reference layout, or "inference/<node-id>" for a namespace.
Exits 0 when every check passed; otherwise prints what was missing and exits 1."""
import json
import queue
import sys
import time
from datetime import datetime

import paho.mqtt.client as mqtt

HOST, PORT, PREFIX = sys.argv[1], int(sys.argv[2]), sys.argv[3]
COMMANDS = f"{PREFIX}/control/commands"
STATUS = f"{PREFIX}/control/status"
DETECTIONS = f"{PREFIX}/data/detections"
METRICS = f"{PREFIX}/data/metrics"
DEADLINE_S = 10

inbox = queue.Queue()


def on_message(client, userdata, msg):
    inbox.put((msg.topic, msg.retain, json.loads(msg.payload)))


def fail(what):
    print(f"reference client: FAIL: {what}", file=sys.stderr)
    sys.exit(1)


def wait_for(what, match):
    """The first message after now for which match(topic, retain, body) holds."""
    until = time.monotonic() + DEADLINE_S
    while time.monotonic() < until:
        try:
            topic, retain, body = inbox.get(timeout=until - time.monotonic())
        except queue.Empty:
            break
        if match(topic, retain, body):
            return body
    fail(f"no {what} within {DEADLINE_S} s")


def drain():
    while not inbox.empty():
        inbox.get_nowait()


def command(name):
    drain()
    client.publish(COMMANDS, json.dumps({"command": name}), qos=1).wait_for_publish()


def status_after(name, want, previous):
    """Sends a command and waits for a fresh status on the status topic (a live publication,
    not the retained copy, stamped no earlier than the previous one)."""
    command(name)
    body = wait_for(f"status '{want}' on {STATUS} after '{name}'",
                    lambda t, r, b: t == STATUS and not r and b.get("status") == want)
    stamp = datetime.fromisoformat(body["timestamp"])
    if previous and stamp < previous:
        fail(f"the status after '{name}' is older than the one before: {body}")
    if body.get("client_id", "").split("-")[0] != "inference_control":
        fail(f"status without the control plane's client id: {body}")
    return stamp


def detections(crop):
    """Waits for three detections messages in a row that carry roi_metrics (crop) or lack it."""
    seen = 0
    until = time.monotonic() + DEADLINE_S
    while seen < 3 and time.monotonic() < until:
        body = wait_for("detections", lambda t, r, b: t == DETECTIONS)
        seen = seen + 1 if ("roi_metrics" in body) == crop else 0
    if seen < 3:
        fail(f"detections never {'carried' if crop else 'lost'} roi_metrics")


client = mqtt.Client(client_id=f"reference-client-{int(time.time() * 1000)}",
                     protocol=mqtt.MQTTv5)
client.on_message = on_message
client.connect(HOST, PORT, keepalive=60)
client.loop_start()
for topic, qos in ((STATUS, 1), (DETECTIONS, 0), (METRICS, 0)):
    client.subscribe(topic, qos=qos)
wait_for(f"status 'running' on {STATUS}",
         lambda t, r, b: t == STATUS and b.get("status") == "running")

stamp = status_after("status", "running", None)
stamp = status_after("pause", "paused", stamp)
stamp = status_after("pause", "paused", stamp)  # Again: the reference publishes it each time.
stamp = status_after("status", "paused", stamp)
stamp = status_after("resume", "running", stamp)
command("metrics")
body = wait_for(f"a metrics message on {METRICS} after 'metrics'", lambda t, r, b: t == METRICS)
if "throughput_fps" not in body:
    fail(f"metrics message without throughput_fps: {body}")
detections(crop=False)
command("toggle_crop")
detections(crop=True)
command("TOGGLE_CROP")  # Any letter case, as the reference lowers it.
detections(crop=False)
stamp = status_after("stop", "stopped", stamp)
client.loop_stop()
client.disconnect()
print("reference client: every command took effect on the reference topics")
