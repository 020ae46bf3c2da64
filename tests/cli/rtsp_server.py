"""A small RTSP camera for the tests: Debian's gst-rtsp-server serving a moving ball as H.264
on 127.0.0.1:PORT/cam, one media per client (so a client that comes back gets a fresh stream).

    /usr/bin/python3 rtsp_server.py PORT          prints "ready" once it serves
    /usr/bin/python3 rtsp_server.py PORT --mute   accepts TCP connections and never answers"""
import socket
import sys
import time

port = int(sys.argv[1])
if len(sys.argv) > 2 and sys.argv[2] == "--mute":
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(16)
    print("ready", flush=True)
    held = []
    while True:
        c, _ = s.accept()
        held.append(c)  # Open, read by nobody, answered never.

import gi  # noqa: E402

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

Gst.init(None)
server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(str(port))
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(
    "( videotestsrc pattern=ball is-live=true ! video/x-raw,width=320,height=240,framerate=15/1"
    " ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15"
    " ! rtph264pay name=pay0 pt=96 )")
factory.set_shared(False)
server.get_mount_points().add_factory("/cam", factory)
if server.attach(None) == 0:
    sys.exit(f"cannot listen on port {port}")
print("ready", flush=True)
GLib.MainLoop().run()
